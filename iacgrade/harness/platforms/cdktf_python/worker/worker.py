"""The warm synth worker: imports cdktf and the AWS provider once, then synthesizes many apps.

Run as `python worker.py`. It speaks the JSON-lines protocol documented in
`iacgrade/harness/sandbox/base.py` on its stdin/stdout and imports only the standard library and the
cdktf toolchain, so the file can be copied into a container image or shipped to a remote actor.

Apps run one at a time. Between apps the worker empties its workspace, purges every module the
app loaded, and restores sys.path, os.environ, the working directory, stdio, logging, signal
handlers and the toolchain attributes it patched. A soft timer ends pure-Python loops; the
parent enforces a hard limit by killing the worker's process group.

The workspace is one fixed directory, emptied between apps, rather than a fresh one per app:
the jsii node kernel keeps the working directory it started in and resolves relative paths
against it (the cdktf.json lookup, local module sources, the LocalBackend default path).
Starting the kernel inside the workspace makes those resolve as `cdktf synth` in the project
directory would, and makes absolute paths in the output the same on every app.
"""

from __future__ import annotations

import base64
import contextlib
import gc
import importlib
import importlib.metadata
import importlib.util
import inspect
import json
import linecache
import logging
import os
import platform
import runpy
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import types
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, cast

OUTPUT_TAIL_BYTES = 8 * 1024
# The clock apps see when a request names none (an ISO date; zip archives cannot go before 1980).
DEFAULT_CLOCK = "2025-01-01"
TRACEBACK_LINES = 60
# What a test run leaves of the request's time for the reply itself.
REPLY_MARGIN_SECONDS = 2.0
TEST_OUTPUT_TAIL_BYTES = 2048
MESSAGE_CHARS = 8 * 1024
# After the soft limit the alarm keeps firing, so an app that swallows one timeout meets the next.
TIMER_REPEAT_SECONDS = 0.5
DEFAULT_ENV = {
    "ENVIRONMENT_SUFFIX": "dev",
    "AWS_REGION": "us-east-1",
    "TERRAFORM_STATE_BUCKET": "iac-rlhf-tf-states",
    "TERRAFORM_STATE_BUCKET_REGION": "us-east-1",
}
# The sandbox has no AWS access and no network. An app that calls AWS or downloads packages at
# synth time must fail at once and the same way in every sandbox: boto3 gets credentials that
# are plainly fake (so it fails at the network, with EndpointConnectionError, not on a missing
# profile), one attempt and no instance-metadata probe; pip gets no index and no retries.
NO_NETWORK_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIAIACGRADEFAKE0000",
    "AWS_SECRET_ACCESS_KEY": "iacgrade-fake-secret-the-sandbox-has-no-aws-access",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_MAX_ATTEMPTS": "1",
    "AWS_RETRY_MODE": "standard",
    "PIP_NO_INDEX": "1",
    "PIP_RETRIES": "0",
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
}
# Settings that would send boto3 to a named profile (absent here) instead of the fake keys.
PROFILE_ENV = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN")
# The package __init__ imports every resource module already; naming a few keeps the warm-up
# honest should a later provider release make those imports lazy.
WARM_MODULES = (
    "provider",
    "s3_bucket",
    "iam_role",
    "iam_role_policy_attachment",
    "lambda_function",
    "vpc",
    "subnet",
    "security_group",
    "cloudwatch_log_group",
    "kms_key",
    "data_aws_caller_identity",
)
# Directories the "bare" strategy does not import: tests import pytest and their own fixtures.
BARE_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "cdktf.out", "tests", "test", "imports"})
TOOLCHAIN_PACKAGES = ("cdktf", "cdktf-cdktf-provider-aws", "constructs", "jsii")
NO_STACKS_MESSAGES = {
    "entry": "the app ran without error but synthesized no stack (App.synth() never called?)",
    "scaffold": "the scaffold entry point synthesized no stack",
    "bare": "the workspace defines no TerraformStack subclass",
}


@contextlib.contextmanager
def repaired_imports(repairs: dict[str, Any]) -> Iterator[None]:
    """Resolve the provider names an answer got wrong to the ones the request maps them to.

    A missing module becomes an alias of its stand-in in `sys.modules`; a missing name is served
    by a module-level `__getattr__` (PEP 562), so `from m import Missing` and `m.Missing` both
    work. Everything is put back on exit: the next app sees the provider as it is.
    """
    aliased: dict[str, types.ModuleType | None] = {}
    patched: dict[types.ModuleType, Any] = {}
    try:
        for missing, target in (repairs.get("modules") or {}).items():
            stand_in = _importable(target)
            if stand_in is not None:
                aliased[missing] = sys.modules.get(missing)
                sys.modules[missing] = stand_in
        for module_name, names in (repairs.get("names") or {}).items():
            module = _importable(module_name)
            if module is None or module in patched or not isinstance(names, dict):
                continue
            patched[module] = module.__dict__.get("__getattr__", _ABSENT)
            module.__getattr__ = _resolver(module, dict(names))  # type: ignore[method-assign]
        yield
    finally:
        for module, previous in patched.items():
            if previous is _ABSENT:
                module.__dict__.pop("__getattr__", None)
            else:
                module.__getattr__ = previous  # type: ignore[method-assign]
        for missing, previous in aliased.items():
            if previous is None:
                sys.modules.pop(missing, None)
            else:
                sys.modules[missing] = previous


_ABSENT = object()


def _importable(name: object) -> types.ModuleType | None:
    # Repairs come from the host's index of the same toolchain; one that does not import is skipped.
    try:
        return importlib.import_module(str(name))
    except ImportError:
        return None


def _resolver(module: types.ModuleType, names: dict[str, Any]) -> Callable[[str], Any]:
    def resolve(name: str) -> Any:
        target = names.get(name)
        if not isinstance(target, list | tuple) or len(target) != 2:
            raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")
        return getattr(importlib.import_module(str(target[0])), str(target[1]))

    return resolve


def request_seed(request: dict[str, Any]) -> int:
    """The seed of the request's answer (0 where the determinism module is absent)."""
    files, archives = request.get("files"), request.get("archives")
    if REPAIRS is None or not isinstance(files, dict):
        return 0
    return int(REPAIRS.determinism.seed_for(files, archives if isinstance(archives, dict) else {}))


def request_clock(request: dict[str, Any]) -> str:
    """The date the request's apps see: its own when it names a valid one, else the default."""
    clock = str(request.get("clock") or DEFAULT_CLOCK)
    try:
        if REPAIRS is not None:
            REPAIRS.determinism.clock_of(clock)
    except ValueError:
        return DEFAULT_CLOCK
    return clock


def system_roots() -> list[str]:
    """The temp folders the worker was given, which a reply's text names as `/tmp`."""
    system = tempfile.gettempdir()
    roots = [system]
    # The local sandbox gives each worker a folder of its own as HOME, holding its TMPDIR.
    home = os.environ.get("HOME", "")
    if home and os.path.dirname(os.path.realpath(system)) == os.path.realpath(home):
        roots.append(home)
    return roots


def unit_test_seconds(asked: dict[str, Any] | None) -> float:
    """The seconds a request keeps for its unit tests (its `tests.seconds`), 0 when it asks none."""
    if not asked:
        return 0.0
    try:
        return max(float(asked.get("seconds") or 0.0), 0.0)
    except (TypeError, ValueError):
        return 0.0


def not_run_tests(reason: str) -> dict[str, Any]:
    return {"ran": False, "reason": reason, "paths": [], "counts": {}, "cases": []}


REPAIRED_LABEL = "repaired:"
# Where the task's standard entry point is written to check the entry contract.
CONTRACT_ENTRY = "standard-entry/tap.py"


def _load_repairs() -> types.ModuleType | None:
    """The run-time repairs (the `worker_lib` package beside this file); None where it is absent.

    Loaded by path under a private name: the worker's folder is not on `sys.path`, and an answer
    must not be able to import (or shadow) it."""
    folder = os.path.join(os.path.dirname(os.path.realpath(__file__)), "worker_lib")
    init = os.path.join(folder, "__init__.py")
    if not os.path.isfile(init):
        return None
    spec = importlib.util.spec_from_file_location(
        "_iacgrade_worker_lib", init, submodule_search_locations=[folder]
    )
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


REPAIRS: types.ModuleType | None = None


def session_processes() -> set[int]:
    """Live processes of this worker's session, itself excepted (zombies are already gone)."""
    own, session = os.getpid(), os.getsid(0)
    found: set[int] = set()
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit() or int(entry) == own:
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as handle:
                fields = handle.read().rpartition(")")[2].split()
        except OSError:
            continue
        # After the command name: state, ppid, pgrp, session.
        if len(fields) > 3 and fields[0] != "Z" and fields[3] == str(session):
            found.add(int(entry))
    return found


class SynthTimeout(BaseException):
    """Raised by the alarm; a BaseException so an app's `except Exception` does not swallow it."""


class WorkspaceError(Exception):
    """The request's files cannot be laid out; `kind` becomes the reply's error_type."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


# --------------------------------------------------------------------------------------------
# the soft timer


@dataclass
class _Alarm:
    armed: bool = False
    # Set when the alarm interrupted a call into the jsii kernel: its request/response stream may
    # now be out of step, so the worker asks to be replaced.
    interrupted_jsii: bool = False
    jsii_dir: str = ""

    def handle(self, signum: int, frame: types.FrameType | None) -> None:
        if not self.armed:
            return  # a signal that arrived just as the app finished
        while frame is not None:
            if self.jsii_dir and frame.f_code.co_filename.startswith(self.jsii_dir):
                self.interrupted_jsii = True
            frame = frame.f_back
        raise SynthTimeout

    def arm(self, seconds: float) -> None:
        signal.signal(signal.SIGALRM, self.handle)
        self.armed = True
        signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001), TIMER_REPEAT_SECONDS)

    def disarm(self) -> None:
        self.armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.handle)


ALARM = _Alarm()


# --------------------------------------------------------------------------------------------
# the toolchain


@dataclass
class Toolchain:
    cdktf: types.ModuleType
    versions: dict[str, str]


def load_toolchain() -> Toolchain:
    """Import cdktf, constructs and the whole AWS provider (the expensive part of a worker's life)."""
    import cdktf
    import jsii

    for name in WARM_MODULES:
        importlib.import_module(f"cdktf_cdktf_provider_aws.{name}")
    ALARM.jsii_dir = os.path.dirname(os.path.realpath(jsii.__file__)) + os.sep
    versions = {"python": platform.python_version(), "node": _node_version()}
    for dist in TOOLCHAIN_PACKAGES:
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = "unknown"
    return Toolchain(cdktf=cdktf, versions=versions)


def jsii_kernel_dir() -> str:
    """The folder the jsii runtime unpacked its node kernel's script into ("" when it cannot be told).

    A random temp folder per worker, named in every node stack trace; jsii keeps it only as the
    script argument of the node process it started."""
    try:
        from jsii._runtime import kernel

        # The provider is a ProcessProvider in practice; its private handle is not on the declared
        # BaseProvider, hence Any.
        provider: Any = kernel.provider
        args = provider._process._process.args
        script = str(args[-1])
    except (ImportError, AttributeError, IndexError, TypeError):
        return ""
    # <folder>/bin/jsii-runtime.js; the stack traces name <folder>/lib/program.js.
    return os.path.dirname(os.path.dirname(script)) if os.path.isabs(script) else ""


def _node_version() -> str:
    node = os.environ.get("JSII_NODE") or shutil.which("node") or "node"
    try:
        done = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip().lstrip("v") or "unknown"


def warm_up(toolchain: Toolchain, outdir: str) -> None:
    """Synthesize one tiny stack so the first real app does not pay for the kernel's first synth."""
    from cdktf_cdktf_provider_aws.provider import AwsProvider
    from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket

    cdktf = toolchain.cdktf
    app = cdktf.App(outdir=outdir)
    stack = cdktf.TerraformStack(app, "warmup")
    AwsProvider(stack, "aws", region="us-east-1")
    S3Bucket(stack, "bucket", bucket="warmup")
    app.synth()
    if not os.path.exists(os.path.join(outdir, "stacks", "warmup", "cdk.tf.json")):
        raise RuntimeError("the warm-up synth wrote no stack JSON")


# --------------------------------------------------------------------------------------------
# workspace files


def workspace_target(workspace: str, relpath: object) -> str:
    """The absolute path for one request file, or WorkspaceError when it could leave the workspace."""
    if not isinstance(relpath, str) or not relpath.strip() or "\x00" in relpath:
        raise WorkspaceError("UnsafePath", f"refused path {relpath!r}: not a file name")
    if os.path.isabs(relpath) or relpath.startswith("\\") or relpath[1:2] == ":":
        raise WorkspaceError("UnsafePath", f"refused path {relpath!r}: absolute")
    if ".." in relpath.replace("\\", "/").split("/"):
        raise WorkspaceError("UnsafePath", f"refused path {relpath!r}: contains '..'")
    normal = os.path.normpath(relpath)
    if normal in (".", ""):
        raise WorkspaceError("UnsafePath", f"refused path {relpath!r}: not a file name")
    target = os.path.join(workspace, normal)
    # realpath resolves any symlink on the way; the worker never creates one, but check anyway.
    real = os.path.realpath(target)
    if os.path.commonpath([real, workspace]) != workspace or real == workspace:
        raise WorkspaceError("UnsafePath", f"refused path {relpath!r}: resolves outside the workspace")
    return target


def write_files(workspace: str, files: object) -> None:
    """Check every path first, then write: an unsafe request writes nothing at all."""
    if not isinstance(files, dict):
        raise WorkspaceError("InvalidFiles", "`files` must map relative paths to text")
    targets = [(workspace_target(workspace, rel), text) for rel, text in files.items()]
    for target, text in targets:
        if not isinstance(text, str):
            raise WorkspaceError("InvalidFiles", f"{os.path.relpath(target, workspace)}: content is not text")
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
            with os.fdopen(os.open(target, flags, 0o644), "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise WorkspaceError("InvalidFiles", f"{os.path.relpath(target, workspace)}: {exc}") from exc


def write_archives(workspace: str, archives: object) -> None:
    """The answer's binary archives (base64 by path), with the same path checks as its files."""
    if not archives:
        return
    if not isinstance(archives, dict):
        raise WorkspaceError("InvalidFiles", "`archives` must map relative paths to base64 text")
    targets = [(workspace_target(workspace, rel), data) for rel, data in archives.items()]
    for target, data in targets:
        rel = os.path.relpath(target, workspace)
        try:
            content = base64.b64decode(str(data), validate=True)
        except (ValueError, TypeError) as exc:
            raise WorkspaceError("InvalidFiles", f"{rel}: archive is not base64") from exc
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
            with os.fdopen(os.open(target, flags, 0o644), "wb") as handle:
                handle.write(content)
        except OSError as exc:
            raise WorkspaceError("InvalidFiles", f"{rel}: {exc}") from exc


def force_remove(func: Callable[..., Any], failed: str, _exc: object) -> None:
    """rmtree's error hook: an app may have made a directory read-only; give write access back, retry once."""
    with contextlib.suppress(OSError):
        os.chmod(os.path.dirname(failed), 0o700)
        # chmod follows symlinks (Linux has no lchmod): on a link it would change the mode of
        # whatever the app pointed it at, outside the workspace. A link only needs its parent.
        if not os.path.islink(failed):
            os.chmod(failed, 0o700)
        func(failed)


def empty_dir(path: str) -> bool:
    """Remove everything inside `path` but keep the directory (the node kernel's cwd); True when empty."""
    try:
        for entry in os.scandir(path):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, onerror=force_remove)
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
        return not os.listdir(path)
    except OSError:
        return False


def remove_tree(path: str) -> bool:
    """Remove `path` (a folder, file or link) even where an app made it read-only; True when gone."""
    if os.path.islink(path) or os.path.isfile(path):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            os.unlink(path)
    elif os.path.isdir(path):
        shutil.rmtree(path, onerror=force_remove)
    return not os.path.lexists(path)


def read_tail(path: str, limit: int = OUTPUT_TAIL_BYTES) -> str:
    """The last `limit` bytes of a file as text, without reading the rest."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - limit))
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


# --------------------------------------------------------------------------------------------
# what one strategy produced


@dataclass
class Outcome:
    strategy: str
    status: str = "ok"
    error_type: str = ""
    message: str = ""
    traceback: str = ""
    frame: dict[str, Any] | None = None
    stacks: dict[str, Any] = field(default_factory=dict)
    stack_classes: dict[str, dict[str, str]] = field(default_factory=dict)
    # What the packages the stacks name contain, read before the workspace is emptied.
    packages: dict[str, Any] | None = None
    # What the app raised, for the repair rounds to learn from; never sent.
    exc: BaseException | None = None
    site: tuple[str, int] | None = None

    def attempt(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "status": self.status,
            "error_type": self.error_type,
            "message": self.message,
            "frame": self.frame,
            "stacks": sorted(self.stacks),
        }


def error_type_name(exc: BaseException) -> str:
    """Builtin exceptions by bare name, others with their module (botocore.exceptions.NoCredentialsError)."""
    cls = type(exc)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


class Paths:
    """Turns absolute paths into workspace-relative ones and tells workspace files apart."""

    def __init__(self, workspace: str) -> None:
        self.workspace = workspace
        self.prefix = workspace + os.sep
        self.internal = {os.path.realpath(__file__), os.path.realpath(runpy.__file__)}
        # Where the toolchain is installed, longest first: a path of the grading machine, which an
        # error message names only by accident (ImportError names the module's file).
        self.installed: list[str] = []

    def short(self, text: str) -> str:
        """`relative`, and installed files named from their import root (cdktf/__init__.py)."""
        text = self.relative(text)
        for root in self.installed:
            text = text.replace(root + os.sep, "")
        return text

    def inside(self, filename: str | None) -> bool:
        # Pseudo-files like "<frozen importlib._bootstrap>" are nowhere; a relative file name comes
        # from a relative sys.path entry, which the app could only have meant from the workspace.
        if not filename or filename.startswith("<"):
            return False
        return os.path.normpath(os.path.join(self.workspace, filename)).startswith(self.prefix)

    def relative(self, text: str) -> str:
        return text.replace(self.prefix, "")

    def is_internal(self, filename: str) -> bool:
        if filename.startswith(("<frozen importlib", "<frozen runpy")):
            return True
        return not filename.startswith("<") and os.path.realpath(filename) in self.internal


def workspace_frame(exc: BaseException, paths: Paths) -> dict[str, Any] | None:
    """The innermost traceback frame inside the workspace (for a SyntaxError, the offending line)."""
    if isinstance(exc, SyntaxError) and paths.inside(exc.filename):
        code = (exc.text or "").strip()
        return {
            "file": paths.relative(str(exc.filename)),
            "line": exc.lineno or 0,
            "code": code,
            "function": "",
        }
    for summary in reversed(traceback.extract_tb(exc.__traceback__)):
        if paths.inside(summary.filename):
            return {
                "file": paths.relative(summary.filename),
                "line": summary.lineno or 0,
                "code": (summary.line or "").strip(),
                "function": summary.name,
            }
    return None


def format_traceback(exc: BaseException, paths: Paths) -> str:
    """The traceback without the worker's and the import system's frames, trimmed; workspace
    files relative to it and installed ones from their import root, as in messages."""
    report = traceback.TracebackException.from_exception(exc)
    # Python hides importlib's frames from its own tracebacks the same way.
    kept = [frame for frame in report.stack if not paths.is_internal(frame.filename)]
    report.stack = traceback.StackSummary.from_list(kept)
    lines = paths.short("".join(report.format())).splitlines()
    return "\n".join(lines[-TRACEBACK_LINES:])


def describe_failure(outcome: Outcome, exc: BaseException, paths: Paths) -> None:
    outcome.status = "error"
    outcome.error_type = error_type_name(exc)
    outcome.message = paths.short(str(exc))[:MESSAGE_CHARS]
    outcome.traceback = format_traceback(exc, paths)
    outcome.frame = workspace_frame(exc, paths)


def standard_settings(env: dict[str, str]) -> dict[str, Any]:
    """The keyword arguments the project's standard tap.py passes to its stack."""
    suffix = env["ENVIRONMENT_SUFFIX"]
    return {
        "environment_suffix": suffix,
        "state_bucket": env["TERRAFORM_STATE_BUCKET"],
        "state_bucket_region": env["TERRAFORM_STATE_BUCKET_REGION"],
        "aws_region": env["AWS_REGION"],
        "default_tags": {
            "tags": {
                "Environment": suffix,
                "Repository": env.get("REPOSITORY", "unknown"),
                "Author": env.get("COMMIT_AUTHOR", "unknown"),
            }
        },
    }


def required_settings(stack_cls: type, settings: dict[str, Any]) -> dict[str, Any]:
    """The standard settings a stack class requires (no default), by parameter name."""
    try:
        # Through Any: mypy takes `__init__` read from a `type` value for an instance's (unsound).
        parameters = list(inspect.signature(cast(Any, stack_cls).__init__).parameters.values())[3:]
    except (TypeError, ValueError):
        return {}
    aliases = {**settings, "region": settings["aws_region"], "environment": settings["environment_suffix"]}
    return {
        p.name: aliases[p.name]
        for p in parameters
        if p.default is inspect.Parameter.empty
        and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        and p.name in aliases
    }


# --------------------------------------------------------------------------------------------
# isolating one app


class AppRecorder:
    """Gives every App an absolute output directory of its own and remembers them in order."""

    def __init__(self, root: str, workspace: str = "") -> None:
        self.root = root
        self.outdirs: list[str] = []
        # Stack name -> the answer's class that built it and its file, so a finding on a stack's
        # JSON points into the right class when several define a construct of the same id.
        self.stack_classes: dict[str, dict[str, str]] = {}
        self.workspace_prefix = workspace.rstrip(os.sep) + os.sep if workspace else ""
        os.makedirs(root, exist_ok=True)

    def note_stack(self, name: object, cls: type) -> None:
        try:
            source = inspect.getsourcefile(cls) or ""
        except TypeError:
            return
        prefix = self.workspace_prefix
        if isinstance(name, str) and prefix and source.startswith(prefix):
            self.stack_classes[name] = {"class": cls.__qualname__, "file": source[len(prefix) :]}

    def next_outdir(self) -> str:
        return os.path.join(self.root, f"app-{len(self.outdirs) + 1}")


@contextlib.contextmanager
def patched_toolchain(cdktf: types.ModuleType, workspace: str, recorder: AppRecorder) -> Iterator[None]:
    """Make App output and asset paths absolute: the node kernel resolves relative ones elsewhere."""
    app_cls, asset_cls, stack_cls = cdktf.App, cdktf.TerraformAsset, cdktf.TerraformStack
    app_init, asset_init = app_cls.__dict__["__init__"], asset_cls.__dict__["__init__"]
    stack_init = stack_cls.__dict__["__init__"]

    def init_app(self: Any, *args: Any, **kwargs: Any) -> None:
        outdir = recorder.next_outdir()
        # Graders read JSON, so HCL output is turned off along with the answer's own outdir.
        kwargs.update(outdir=outdir, hcl_output=False)
        app_init(self, *args, **kwargs)
        recorder.outdirs.append(outdir)

    def init_asset(self: Any, *args: Any, **kwargs: Any) -> None:
        path = kwargs.get("path")
        if isinstance(path, str) and not os.path.isabs(path):
            # cdktf resolves a relative asset path against the directory holding cdktf.json.
            kwargs["path"] = os.path.normpath(os.path.join(workspace, path))
        asset_init(self, *args, **kwargs)

    def init_stack(self: Any, *args: Any, **kwargs: Any) -> None:
        stack_init(self, *args, **kwargs)
        recorder.note_stack(kwargs.get("id", args[1] if len(args) > 1 else None), type(self))

    app_cls.__init__, asset_cls.__init__, stack_cls.__init__ = init_app, init_asset, init_stack
    try:
        yield
    finally:
        app_cls.__init__, asset_cls.__init__, stack_cls.__init__ = app_init, asset_init, stack_init


def stack_files(outdirs: list[str]) -> dict[str, str]:
    """Stack name -> the cdk.tf.json cdktf wrote for it, as each App's manifest lists it (a later
    app's stack of the same name wins)."""
    files: dict[str, str] = {}
    for outdir in outdirs:
        try:
            with open(os.path.join(outdir, "manifest.json"), encoding="utf-8") as handle:
                manifest = json.load(handle)
        except (OSError, ValueError):
            continue
        for name, info in (manifest.get("stacks") or {}).items():
            relpath = (info or {}).get("synthesizedStackPath") or f"stacks/{name}/cdk.tf.json"
            files[name] = os.path.join(outdir, relpath)
    return files


def read_stacks(outdirs: list[str]) -> dict[str, Any]:
    """Every stack's Terraform JSON from the given App output directories."""
    stacks: dict[str, Any] = {}
    for name, path in stack_files(outdirs).items():
        try:
            with open(path, encoding="utf-8") as handle:
                stacks[name] = json.load(handle)
        except (OSError, ValueError):
            continue
    return stacks


@dataclass
class Saved:
    """Interpreter state an app can change, taken before it runs."""

    modules: dict[str, types.ModuleType]
    path: list[str]
    argv: list[str]
    environ: os._Environ[str]
    stdio: tuple[Any, Any, Any]
    threads: set[threading.Thread]
    root_handlers: list[logging.Handler]
    root_level: int
    warning_filters: list[Any]
    recursion_limit: int
    tempdir: str | None
    dont_write_bytecode: bool

    @classmethod
    def take(cls) -> Saved:
        root = logging.getLogger()
        return cls(
            modules=dict(sys.modules),
            path=list(sys.path),
            argv=list(sys.argv),
            environ=os.environ,
            stdio=(sys.stdin, sys.stdout, sys.stderr),
            threads=set(threading.enumerate()),
            root_handlers=list(root.handlers),
            root_level=root.level,
            warning_filters=list(warnings.filters),
            recursion_limit=sys.getrecursionlimit(),
            tempdir=tempfile.tempdir,
            dont_write_bytecode=sys.dont_write_bytecode,
        )


class Worker:
    """One worker's state: the protocol streams, its directories and the loaded toolchain."""

    def __init__(self, proto_in: BinaryIO, proto_out: BinaryIO, quiet_fd: int, scratch: str) -> None:
        self.proto_in, self.proto_out, self.quiet_fd = proto_in, proto_out, quiet_fd
        self.scratch = scratch
        self.workspace = os.path.join(scratch, "workspace")
        self.outroot = os.path.join(scratch, "out")
        self.capture_path = os.path.join(scratch, "output.log")
        # The app's own temp folder, emptied before each run: its temp names then repeat.
        self.app_tmp = os.path.join(scratch, "tmp")
        os.makedirs(self.workspace)
        os.makedirs(self.app_tmp)
        self.workspace_inode = os.stat(self.workspace).st_ino
        self.paths = Paths(self.workspace)
        self.base_env = dict(os.environ)
        self.base_path = list(sys.path)
        self.roots = [
            root
            for root in (os.path.realpath(p) for p in sys.path if p not in ("", "."))
            if os.path.isdir(root) and not (self.workspace + os.sep).startswith(root + os.sep)
        ]
        self.paths.installed = sorted(
            {p for p in sys.path if os.path.isabs(p) and not self.paths.prefix.startswith(p + os.sep)}
            | set(self.roots),
            key=len,
            reverse=True,
        )
        self.toolchain: Toolchain | None = None
        self.leaked_threads = False
        self.leaked_processes = False
        self.blockers: list[dict[str, Any]] = []
        self.contract: dict[str, Any] | None = None
        self.tests_ran = False
        # What the current request's apps draw from: set per request
        # (iacgrade/harness/platforms/cdktf_python/worker/worker_lib/determinism.py).
        self.seed, self.clock = 0, DEFAULT_CLOCK
        # Set once the toolchain is loaded: the node kernel's folder is one of those it names.
        self.scrubber: Any = None

    def make_scrubber(self) -> None:
        if REPAIRS is not None:
            self.scrubber = REPAIRS.scrub.Scrubber(
                self.workspace,
                self.outroot,
                [self.app_tmp, self.scratch],
                system_roots(),
                jsii_kernel_dir(),
                self.paths.installed,
            )

    # ---- protocol

    def send(self, message: dict[str, Any]) -> None:
        self.proto_out.write(json.dumps(message, separators=(",", ":")).encode("utf-8") + b"\n")
        self.proto_out.flush()

    def serve(self) -> int:
        """Answer requests until `exit` or end of input."""
        for line in iter(self.proto_in.readline, b""):
            try:
                message = json.loads(line)
            except ValueError:
                self.send({"op": "error", "error_type": "ProtocolError", "message": "request is not JSON"})
                continue
            op = message.get("op") if isinstance(message, dict) else None
            if op == "exit":
                return 0
            if op == "ping":
                self.send({"op": "pong", "pid": os.getpid(), "versions": self.versions()})
            elif op == "synth":
                self.send(self.synth_safely(message))
            else:
                self.send({"op": "error", "error_type": "ProtocolError", "message": f"unknown op {op!r}"})
        return 0

    def versions(self) -> dict[str, str]:
        return self.toolchain.versions if self.toolchain else {}

    def synth_safely(self, request: dict[str, Any]) -> dict[str, Any]:
        started = time.monotonic()
        try:
            return self.synth(request)
        except BaseException as exc:  # noqa: BLE001 - a fault of the worker itself must not end the loop
            return {
                "id": request.get("id"),
                "status": "infra_error",
                "strategy": "worker",
                "error_type": "WorkerError",
                "message": f"the worker failed: {error_type_name(exc)}: {exc}",
                "traceback": "".join(traceback.format_exception(exc))[-4000:],
                "seconds": round(time.monotonic() - started, 4),
                "recycle": True,
            }

    # ---- one request

    def synth(self, request: dict[str, Any]) -> dict[str, Any]:
        started = time.monotonic()
        timeout = float(request.get("timeout") or 120.0)
        # The request's time covers its unit tests too, when it asks for them: the app gets the rest.
        tests_asked = request.get("tests") if isinstance(request.get("tests"), dict) else None
        test_seconds = unit_test_seconds(tests_asked)
        app_timeout = max(timeout - test_seconds, 1.0)
        deadline = started + app_timeout
        env = self.app_env(request.get("env") or {})
        linecache.clearcache()
        self.seed, self.clock = request_seed(request), request_clock(request)
        tests: dict[str, Any] | None = None
        self.tests_ran = False
        try:
            write_files(self.workspace, request.get("files"))
            write_archives(self.workspace, request.get("archives"))
            if REPAIRS is not None:
                REPAIRS.determinism.set_mtimes(self.workspace, self.clock)
            outcomes, tail = self.run_strategies(request, env, deadline, app_timeout)
            if tests_asked is not None:
                tests = self.run_unit_tests(tests_asked, env, outcomes, started + timeout)
        except WorkspaceError as exc:
            outcomes, tail = [Outcome("workspace", "error", exc.kind, str(exc))], ""
            if tests_asked is not None:
                tests = not_run_tests("the workspace could not be laid out")
        finally:
            clean = self.reset_directories()
        first = outcomes[0]
        best = next((o for o in outcomes if o.stacks), None)
        # A test run leaves pytest's hooks and whatever the tests patched: the worker must go.
        recycle = (
            ALARM.interrupted_jsii
            or not clean
            or self.leaked_threads
            or self.leaked_processes
            or self.tests_ran
        )
        return self.scrubbed(
            {
                "id": request.get("id"),
                "status": first.status,
                "strategy": first.strategy,
                "error_type": first.error_type,
                "message": first.message,
                "traceback": first.traceback,
                "frame": first.frame,
                "stacks": best.stacks if best else {},
                "stacks_strategy": best.strategy if best else "",
                "stack_classes": best.stack_classes if best else {},
                "packages": best.packages if best else None,
                "attempts": [o.attempt() for o in outcomes],
                "blockers": self.blockers,
                "contract": self.contract,
                "tests": tests,
                "output_tail": tail,
                "seed": self.seed,
                "clock": self.clock if REPAIRS is not None else "",
                "seconds": round(time.monotonic() - started, 4),
                "recycle": recycle,
            }
        )

    def run_unit_tests(
        self, asked: dict[str, Any], env: dict[str, str], outcomes: list[Outcome], deadline: float
    ) -> dict[str, Any]:
        """The answer's unit tests, run with pytest in this process, in the workspace the app was
        synthesized in (worker_lib/unit_tests.py says why here); the worker then asks to go."""
        if REPAIRS is None or not hasattr(REPAIRS, "unit_tests"):
            return not_run_tests("this worker has no test runner")
        if any(o.status == "timeout" for o in outcomes):
            return not_run_tests("the synth ran past its time limit: no time is left for the tests")
        paths = []
        for path in asked.get("paths") or []:
            with contextlib.suppress(WorkspaceError):
                if os.path.isfile(workspace_target(self.workspace, path)):
                    paths.append(str(path))
        if not paths:
            return not_run_tests("none of the test files is in the workspace")
        seconds = min(unit_test_seconds(asked), deadline - time.monotonic() - REPLY_MARGIN_SECONDS)
        if seconds < 1:
            return not_run_tests("no time was left for the tests")
        try:
            import pytest
        except ImportError:
            return not_run_tests("pytest is not installed in the sandbox")
        started = time.monotonic()
        reporter = REPAIRS.pytest_report.Reporter(self.workspace, stop_on=(SynthTimeout,))
        status, timed_out = -1, False
        remove_tree(self.app_tmp)
        with contextlib.suppress(OSError):
            os.makedirs(self.app_tmp, exist_ok=True)
        self.tests_ran = True
        entry_path = os.path.join(self.workspace, "tap.py")
        with self.captured_output(), self.app_namespace(env, entry_path), self.reproducible():
            os.environ.update(REPAIRS.unit_tests.NO_AUTOLOAD)
            try:
                try:
                    ALARM.arm(seconds)
                    status = int(pytest.main(REPAIRS.unit_tests.arguments(paths, self.workspace), [reporter]))
                finally:
                    ALARM.disarm()
            except SynthTimeout:
                timed_out = True
            except BaseException as exc:  # noqa: BLE001 - pytest itself failing is this run's outcome
                return not_run_tests(f"pytest failed: {error_type_name(exc)}: {exc}")
        result: dict[str, Any] = REPAIRS.unit_tests.summarise(
            reporter.records, status, timed_out or reporter.stopped, seconds
        )
        result["paths"] = paths
        result["output_tail"] = self.paths.relative(read_tail(self.capture_path, TEST_OUTPUT_TAIL_BYTES))
        result["seconds"] = round(time.monotonic() - started, 3)
        return result

    def scrubbed(self, reply: dict[str, Any]) -> dict[str, Any]:
        """The reply without the worker's folders: the Terraform JSON keeps its paths absolute
        (`/workspace/...`: Terraform resolves a relative one from the stack's folder)."""
        if self.scrubber is None:
            return reply
        stacks = reply.pop("stacks", {})
        reply = self.scrubber.value(reply)
        reply["stacks"] = self.scrubber.value(stacks, absolute=True)
        return reply

    def app_env(self, request_env: dict[str, Any]) -> dict[str, str]:
        env = {k: v for k, v in self.base_env.items() if k not in PROFILE_ENV}
        env.update(DEFAULT_ENV)
        env.update(NO_NETWORK_ENV)
        env["TMPDIR"] = self.app_tmp
        env.update({str(k): str(v) for k, v in request_env.items()})
        env.setdefault("AWS_DEFAULT_REGION", env["AWS_REGION"])
        return env

    def run_strategies(
        self, request: dict[str, Any], env: dict[str, str], deadline: float, timeout: float
    ) -> tuple[list[Outcome], str]:
        """Entry, then the scaffold, then bare stacks, stopping at the first that yields stacks."""
        plan: list[tuple[str, Callable[[AppRecorder], list[str] | None]]] = []
        entry = request.get("entry")
        entry_path = (
            workspace_target(self.workspace, entry) if entry else os.path.join(self.workspace, "tap.py")
        )
        if entry:
            plan.append(("entry", lambda recorder: self.run_entry(entry_path)))
        stack = request.get("stack")
        if isinstance(stack, dict) and stack.get("module") and stack.get("class"):
            plan.append(("scaffold", lambda recorder: self.run_scaffold(stack, env, recorder)))
        plan.append(("bare", lambda recorder: self.run_bare(recorder, env)))
        ALARM.interrupted_jsii = False
        self.leaked_threads = False
        processes_before = session_processes()
        outcomes: list[Outcome] = []
        repairs = request.get("repairs")
        passes: list[tuple[str, Callable[[], contextlib.AbstractContextManager[Any]]]] = [
            ("", contextlib.nullcontext)
        ]
        if isinstance(repairs, dict) and repairs and not request.get("repair_rounds"):
            passes.append((REPAIRED_LABEL, lambda: repaired_imports(repairs)))
        self.blockers, self.contract = [], None
        with self.captured_output():
            for prefix, shim in passes:
                for name, body in plan:
                    if outcomes and (time.monotonic() >= deadline or ALARM.interrupted_jsii):
                        break
                    with shim():
                        outcome = self.run_isolated(
                            name, body, env, entry_path, deadline, timeout, label=prefix + name
                        )
                    outcomes.append(outcome)
                    if outcome.stacks:
                        break
                if outcomes[-1].stacks:
                    break
            repairable = all(o.status == "error" for o in outcomes) and time.monotonic() < deadline
            if (
                not outcomes[-1].stacks
                and repairable
                and request.get("repair_rounds")
                and REPAIRS is not None
            ):
                outcomes.extend(self.repair_rounds(request, plan, env, entry_path, deadline, timeout))
            self.contract = self.check_contract(request, outcomes, plan, env, entry_path, deadline, timeout)
        # A process the app started and left running (a fork bomb that ended in EAGAIN) would
        # take the next app's memory and pids: the worker, and its container, must go.
        self.leaked_processes = bool(session_processes() - processes_before)
        return outcomes, self.paths.relative(read_tail(self.capture_path))

    def check_contract(
        self,
        request: dict[str, Any],
        outcomes: list[Outcome],
        plan: list[tuple[str, Callable[[AppRecorder], list[str] | None]]],
        env: dict[str, str],
        entry_path: str,
        deadline: float,
        timeout: float,
    ) -> dict[str, Any] | None:
        """Can the project's standard entry build the answer's stack? Asked only when the answer
        ships an entry of its own that synthesized: otherwise the scaffold strategy already ran."""
        scaffold = dict(plan).get("scaffold")
        if not request.get("entry_contract") or scaffold is None or outcomes[0].status != "ok":
            return None
        if time.monotonic() >= deadline or ALARM.interrupted_jsii:
            return None
        standard = request.get("contract_entry")
        body = scaffold
        if isinstance(standard, str) and standard:
            # The task's own tap.py, run beside the answer's files as the pipeline would run it.
            path = os.path.join(self.workspace, CONTRACT_ENTRY)
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(standard)
            except OSError:
                return None
            entry_path, body = path, (lambda recorder: self.run_entry(path))
        outcome = self.run_isolated("scaffold", body, env, entry_path, deadline, timeout, label="contract")
        outcome.exc = None
        return outcome.attempt()

    def repair_rounds(
        self,
        request: dict[str, Any],
        plan: list[tuple[str, Callable[[AppRecorder], list[str] | None]]],
        env: dict[str, str],
        entry_path: str,
        deadline: float,
        timeout: float,
    ) -> list[Outcome]:
        """Get past one blocker after another, as a reviewer would: each round runs the strategies
        with every repair learned so far, then learns from the error that still stops it."""
        assert REPAIRS is not None
        learned = REPAIRS.RepairPlan()
        imports = request.get("repairs") if isinstance(request.get("repairs"), dict) else {}
        sources = {
            rel: text for rel, text in (request.get("files") or {}).items() if str(rel).endswith(".py")
        }
        modules = REPAIRS.imported_toolchain_modules(sources)
        own_modules = {name for name, _ in self.workspace_modules()}
        # Each strategy in turn gets rounds of its own; what one learned carries over to the next.
        # The blockers reported are those met on the way of the strategy that got through (or of
        # the first, the answer's own entry, when none did): another strategy's detours are noise.
        first_log: list[Any] | None = None
        last: list[Outcome] = []
        for name, body in plan:
            learned.log, learned.seen = [], set()
            outcome: Outcome | None = None
            for _ in range(REPAIRS.MAX_ROUNDS):
                if time.monotonic() >= deadline or ALARM.interrupted_jsii:
                    break
                with repaired_imports(imports or {}), REPAIRS.installed(learned, self.workspace, modules):
                    outcome = self.run_isolated(
                        name, body, env, entry_path, deadline, timeout, label=REPAIRED_LABEL + name
                    )
                # A timeout or a crash is no blocker to repair: the app must not run again.
                if outcome.stacks or outcome.exc is None or outcome.status != "error":
                    break
                if not REPAIRS.learn(learned, outcome.exc, outcome.site, own_modules, self.workspace):
                    break
            if outcome is None:
                break
            last.append(outcome)
            first_log = learned.log if first_log is None else first_log
            if outcome.stacks or time.monotonic() >= deadline:
                break
        if not last or not last[-1].stacks:
            learned.log = first_log or []
        self.blockers = [r.to_json() for r in learned.log]
        for outcome in last:
            outcome.exc = None
        return last

    def run_isolated(
        self,
        name: str,
        body: Callable[[AppRecorder], list[str] | None],
        env: dict[str, str],
        entry_path: str,
        deadline: float,
        timeout: float,
        label: str = "",
    ) -> Outcome:
        """Run one strategy in a clean namespace with the timer armed; the app's failure is the result."""
        assert self.toolchain is not None
        outcome = Outcome(label or name)
        # A repaired pass runs the same strategy again: its apps get folders of their own.
        recorder = AppRecorder(os.path.join(self.outroot, (label or name).replace(":", "-")), self.workspace)
        own_outdirs: list[str] | None = None
        # Every run of an app starts from the same (empty) temp folder, draws and clock as any other.
        remove_tree(self.app_tmp)
        with contextlib.suppress(OSError):
            os.makedirs(self.app_tmp, exist_ok=True)
        with (
            self.app_namespace(env, entry_path),
            patched_toolchain(self.toolchain.cdktf, self.workspace, recorder),
            self.reproducible(),
        ):
            try:
                try:
                    ALARM.arm(deadline - time.monotonic())
                    own_outdirs = body(recorder)
                finally:
                    ALARM.disarm()
            except SynthTimeout as exc:
                describe_failure(outcome, exc, self.paths)
                outcome.status, outcome.error_type = "timeout", "Timeout"
                outcome.message = f"the app ran past its time limit of {timeout:g} s"
            except SystemExit as exc:
                if exc.code not in (0, None):
                    describe_failure(outcome, exc, self.paths)
                    outcome.message = f"the app exited with status {exc.code!r}"
            except BaseException as exc:  # noqa: BLE001 - whatever the answer raised is what we report
                describe_failure(outcome, exc, self.paths)
                outcome.exc = exc
                frame = outcome.frame or {}
                outcome.site = (str(frame.get("file") or ""), int(frame.get("line") or 0))
        outdirs = recorder.outdirs if own_outdirs is None else own_outdirs
        outcome.stacks = read_stacks(outdirs)
        if REPAIRS is not None and hasattr(REPAIRS, "list_packages"):
            folders = {name: os.path.dirname(path) for name, path in stack_files(outdirs).items()}
            outcome.packages = REPAIRS.list_packages(outcome.stacks, folders, self.workspace)
        outcome.stack_classes = {n: c for n, c in recorder.stack_classes.items() if n in outcome.stacks}
        if outcome.status == "ok" and not outcome.stacks:
            outcome.status, outcome.error_type = "error", "NoStacks"
            outcome.message = NO_STACKS_MESSAGES[name]
        return outcome

    # ---- strategies

    def run_entry(self, entry_path: str) -> None:
        runpy.run_path(entry_path, run_name="__main__")

    def run_scaffold(self, stack: dict[str, Any], env: dict[str, str], recorder: AppRecorder) -> None:
        """What the project's standard tap.py does, with the answer's stack class."""
        assert self.toolchain is not None
        module = importlib.import_module(str(stack["module"]))
        stack_cls = getattr(module, str(stack["class"]))
        settings = standard_settings(env)
        app = self.toolchain.cdktf.App()
        stack_cls(app, f"TapStack{settings['environment_suffix']}", **settings)
        app.synth()

    def run_bare(self, recorder: AppRecorder, env: dict[str, str]) -> list[str]:
        """Import every workspace module, then build each TerraformStack subclass alone in its own App.

        A class is called as `Cls(app, "Cls")`, plus those of its required parameters that are
        standard deployment settings (environment_suffix, aws_region, ...), filled as tap.py would.
        """
        assert self.toolchain is not None
        for name, path in self.workspace_modules():
            self.load_partially(name, path)
        settings = standard_settings(env)
        own: list[str] = []
        first_failure: BaseException | None = None
        used: set[str] = set()
        for stack_cls in self.stack_classes():
            stack_id = stack_cls.__name__
            while stack_id in used:
                stack_id += "_"
            used.add(stack_id)
            app = self.toolchain.cdktf.App()
            own.append(recorder.outdirs[-1])
            try:
                stack_cls(app, stack_id, **required_settings(stack_cls, settings))
                app.synth()
            except SynthTimeout:
                raise
            except BaseException as exc:  # noqa: BLE001 - one broken class must not hide the others
                first_failure = first_failure or exc
        if first_failure is not None and not read_stacks(own):
            # Nothing built: report the answer's own error, with its frame, rather than a summary.
            raise first_failure
        return own

    def workspace_modules(self) -> list[tuple[str, str]]:
        """(module name, file) for every importable .py file in the workspace, packages first."""
        found: list[tuple[str, str]] = []
        for folder, dirs, files in os.walk(self.workspace):
            dirs[:] = sorted(d for d in dirs if d not in BARE_SKIPPED_DIRS and not d.startswith("."))
            rel_parts = os.path.relpath(folder, self.workspace).split(os.sep)
            package = [] if rel_parts == ["."] else rel_parts
            for filename in sorted(files):
                stem, ext = os.path.splitext(filename)
                if ext != ".py" or stem.startswith("test_") or stem.endswith("_test") or stem == "conftest":
                    continue
                parts = package if stem == "__init__" else [*package, stem]
                if parts and all(part.isidentifier() for part in parts):
                    found.append((".".join(parts), os.path.join(folder, filename)))
        return sorted(found, key=lambda item: (item[0].count("."), item[0]))

    def load_partially(self, name: str, path: str) -> None:
        """Import one module, keeping what it defined even when its top-level code fails later on."""
        if name in sys.modules:
            return
        parent = name.rpartition(".")[0]
        try:
            if parent:
                importlib.import_module(parent)
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                return
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        except SynthTimeout:
            raise
        except BaseException:  # noqa: BLE001 - a module that fails is skipped, its classes kept
            return

    def stack_classes(self) -> list[type]:
        assert self.toolchain is not None
        base = self.toolchain.cdktf.TerraformStack
        # Keyed by source file and qualname: a module imported under two names (`lib.tap_stack`
        # and, through a sys.path edit, `tap_stack`) defines the same class twice, and building
        # both would synthesize every resource twice.
        found: dict[tuple[str, str], type] = {}
        for module in list(sys.modules.values()):
            if not self.paths.inside(getattr(module, "__file__", None)):
                continue
            for value in list(vars(module).values()):
                if isinstance(value, type) and issubclass(value, base) and value is not base:
                    home = sys.modules.get(value.__module__)
                    home_file = getattr(home, "__file__", None)
                    if home is None or not self.paths.inside(home_file):
                        continue
                    key = (os.path.realpath(str(home_file)), value.__qualname__)
                    kept = found.get(key)
                    # The dotted (package) name is the one the project's own imports use.
                    if kept is None or value.__module__.count(".") > kept.__module__.count("."):
                        found[key] = value
        return sorted(found.values(), key=lambda cls: (cls.__module__, cls.__qualname__))

    # ---- isolation

    @contextlib.contextmanager
    def app_namespace(self, env: dict[str, str], entry_path: str) -> Iterator[None]:
        """Working directory, import path, environment and argv of `python tap.py` in the workspace."""
        saved = Saved.take()
        importlib.invalidate_caches()
        os.chdir(self.workspace)
        sys.path[:] = list(dict.fromkeys([self.workspace, os.path.dirname(entry_path), *self.base_path]))
        sys.argv[:] = [entry_path]
        os.environ.clear()
        os.environ.update(env)
        tempfile.tempdir = env.get("TMPDIR") or None
        # Bytecode written into the workspace would end up in the archives an app builds from its
        # folders, and marshal output is not byte-stable: the asset hash would change every run.
        sys.dont_write_bytecode = True
        try:
            yield
        finally:
            self.restore(saved)

    def restore(self, saved: Saved) -> None:
        with contextlib.suppress(OSError):
            os.chdir(self.scratch)
        os.environ = saved.environ  # noqa: B003 - puts back the object an app may have replaced; cleared below
        os.environ.clear()
        os.environ.update(self.base_env)
        sys.path[:] = saved.path
        sys.argv[:] = saved.argv
        sys.stdin, sys.stdout, sys.stderr = (reopened(s, fd) for fd, s in enumerate(saved.stdio))
        root = logging.getLogger()
        root.handlers[:] = saved.root_handlers
        root.setLevel(saved.root_level)
        # A list at run time (typeshed declares a Sequence); put back in place, as `warnings` itself
        # and modules that hold the list keep reading the same object.
        cast(list[Any], warnings.filters)[:] = saved.warning_filters
        sys.setrecursionlimit(saved.recursion_limit)
        tempfile.tempdir = saved.tempdir
        sys.dont_write_bytecode = saved.dont_write_bytecode
        self.purge_modules(saved.modules)
        self.leaked_threads = self.leaked_threads or any(
            t.is_alive() for t in threading.enumerate() if t not in saved.threads
        )

    def purge_modules(self, before: dict[str, types.ModuleType]) -> None:
        """Drop every module the app loaded that is not part of the installed toolchain."""
        # Decide before deleting: a namespace package recomputes its path through its parent,
        # which must still be there. A purged package takes its whole subtree with it.
        fresh = sorted(n for n in list(sys.modules) if n not in before)
        purged: set[str] = set()
        for name in fresh:
            parent = name.rpartition(".")[0]
            if parent in purged or not self.is_toolchain_module(sys.modules.get(name)):
                purged.add(name)
        for name in purged:
            sys.modules.pop(name, None)
        for name, module in before.items():
            if sys.modules.get(name) is not module:
                sys.modules[name] = module
        for key in [k for k in sys.path_importer_cache if self.paths.inside(k) or k == self.workspace]:
            del sys.path_importer_cache[key]

    def reproducible(self) -> contextlib.AbstractContextManager[None]:
        if REPAIRS is None:
            return contextlib.nullcontext()
        return REPAIRS.determinism.reproducible(self.seed, self.clock)

    def is_toolchain_module(self, module: types.ModuleType | None) -> bool:
        spec = getattr(module, "__spec__", None)
        origin = getattr(spec, "origin", None) or getattr(module, "__file__", None)
        if origin in ("built-in", "frozen"):
            return True
        try:
            locations = [origin] if origin else list(getattr(module, "__path__", None) or [])
        except Exception:  # noqa: BLE001 - a path that cannot be computed is not the toolchain's
            return False
        return bool(locations) and all(self.in_toolchain(str(loc)) for loc in locations)

    def in_toolchain(self, filename: str) -> bool:
        if not os.path.isabs(filename) or self.paths.inside(filename):
            return False
        real = os.path.realpath(filename)
        return any(real.startswith(root + os.sep) for root in self.roots)

    @contextlib.contextmanager
    def captured_output(self) -> Iterator[None]:
        """Send fd 1 and 2 to a file while apps run: their output must never reach the protocol."""
        flush_stdio()
        fd = os.open(self.capture_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.dup2(fd, 1)
            os.dup2(fd, 2)
        finally:
            os.close(fd)
        try:
            yield
        finally:
            flush_stdio()
            os.dup2(self.quiet_fd, 1)
            os.dup2(self.quiet_fd, 2)

    def reset_directories(self) -> bool:
        """Empty the workspace and outputs; False when the workspace cannot serve another app."""
        # An output folder left behind (a read-only parent keeps it) could be a link planted by the
        # app: the next app's synth would write through it and read a manifest it did not write.
        outputs_gone = remove_tree(self.outroot)
        with contextlib.suppress(OSError):
            os.unlink(self.capture_path)
        gc.collect()
        try:
            same = os.stat(self.workspace).st_ino == self.workspace_inode
        except OSError:
            return False
        return same and empty_dir(self.workspace) and outputs_gone


def reopened(stream: Any, fd: int) -> Any:
    """The same standard stream, or a new one on its fd if the app closed it."""
    if not getattr(stream, "closed", False):
        return stream
    mode = "r" if fd == 0 else "w"
    return open(fd, mode, encoding="utf-8", errors="replace", closefd=False, buffering=1)


def flush_stdio() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        with contextlib.suppress(Exception):
            stream.flush()  # type: ignore[union-attr]


def claim_protocol_streams() -> tuple[BinaryIO, BinaryIO, int]:
    """Keep private copies of stdin/stdout for the protocol; point fds 0 and 1 away from it."""
    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    quiet_fd = os.dup(2)
    # Anything written to fd 1 outside an app (the node kernel's console relay, a stray print)
    # goes to stderr, which the parent keeps as the worker's log.
    os.dup2(quiet_fd, 1)
    # Line by line, as on a terminal: output printed just before an os._exit still reaches the tail.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    return proto_in, proto_out, quiet_fd


def main() -> int:
    started = time.monotonic()
    proto_in, proto_out, quiet_fd = claim_protocol_streams()
    # Running as `python worker.py` puts this file's folder first on sys.path; apps must not see it.
    here = os.path.dirname(os.path.realpath(__file__))
    sys.path[:] = [p for p in sys.path if p and os.path.realpath(p) != here]
    global REPAIRS
    REPAIRS = _load_repairs()
    scratch = os.path.realpath(tempfile.mkdtemp(prefix="iacgrade-worker-"))
    try:
        worker = Worker(proto_in, proto_out, quiet_fd, scratch)
        if not start_up(worker, started):
            return 1
        return worker.serve()
    except BrokenPipeError:
        return 0  # the parent is gone: nobody is left to answer
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def start_up(worker: Worker, started: float) -> bool:
    """Load the toolchain and say `ready`, or say why it failed; True when the worker can serve."""
    # The node kernel starts during the import below and keeps this directory for its whole life.
    os.chdir(worker.workspace)
    try:
        worker.toolchain = load_toolchain()
        warm_up(worker.toolchain, os.path.join(worker.scratch, "warmup"))
    except BaseException as exc:  # noqa: BLE001 - a worker that cannot load says why, then exits
        worker.send(
            {
                "op": "error",
                "error_type": error_type_name(exc),
                "message": f"the toolchain failed to load: {exc}",
                "traceback": "".join(traceback.format_exception(exc))[-4000:],
            }
        )
        return False
    shutil.rmtree(os.path.join(worker.scratch, "warmup"), ignore_errors=True)
    worker.make_scrubber()
    os.chdir(worker.scratch)
    # Everything loaded so far lives as long as the worker: freezing it keeps later collections fast.
    gc.collect()
    gc.freeze()
    worker.send(
        {
            "op": "ready",
            "pid": os.getpid(),
            "versions": worker.toolchain.versions,
            "load_seconds": round(time.monotonic() - started, 3),
            "scratch": worker.scratch,
            # How to take this worker's folders out of what a host reads itself (after a crash).
            "scrub": worker.scrubber.describe() if worker.scrubber is not None else None,
        }
    )
    return True


if __name__ == "__main__":
    sys.exit(main())
