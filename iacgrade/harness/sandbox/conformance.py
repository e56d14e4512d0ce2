"""The checks every sandbox must pass: one suite, run against each implementation.

A check is a plain function of a started `Sandbox`: it sends tiny real apps through `synth` and
raises `AssertionError` saying what went wrong, or returns None. Only the `Sandbox` protocol is
used (`synth`, `describe`, `isolation`, `name`), so a new sandbox passes by behaving, not by
sharing code. Requests carry only id, files, entry, env and timeout.

Isolation is held to what the sandbox declares (`Sandbox.isolation`), both ways: a promise must
hold, and a refusal must be true, so a declaration cannot go stale in either direction. Probing a
refusal touches only what the check itself set up on this host (a loopback listener, a temp
folder), never anything else.

`CHECKS` runs cheap checks first and the ones that cost a worker (a kill, a crash) last. The
probes read what the app observed from a stack output, so the app's own view is what is checked.
Run them with `run_checks(sandbox)`, or one by one under pytest (tests/sandbox/test_conformance.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from iacgrade.harness.core.synth import SynthResult, SynthStatus
from iacgrade.harness.sandbox.base import Sandbox, SynthRequest

Check = Callable[[Sandbox], None]

# Long enough for a first app on a worker that has only just loaded.
APP_SECONDS = 60.0
# Short, so the runaway apps end soon; the worker's own timer fires at this mark.
RUNAWAY_SECONDS = 2.0
# A variable of this process that no app may see (see `plant_host_secret`).
HOST_SECRET_VARIABLE = "IACGRADE_CONFORMANCE_HOST_SECRET"
# How many requests a check may spend to meet a worker again (one per slot of the pool).
SAME_WORKER_TRIES = 8

# An app that reports what `observe()` saw as the output "observed" of its one stack, "probe".
PROBE_APP = """\
import json
from cdktf import App, TerraformOutput, TerraformStack

{probe}

app = App()
stack = TerraformStack(app, "probe")
TerraformOutput(stack, "observed", value=json.dumps(observe(), sort_keys=True))
app.synth()
"""

# A small helper every probe shares: an OSError as its errno name.
OUTCOME = """\
import errno


def outcome(exc):
    return errno.errorcode.get(exc.errno, str(exc)) if exc.errno else type(exc).__name__
"""

VALID_STACK = """\
from constructs import Construct
from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket


class DataStack(TerraformStack):
    def __init__(self, scope: Construct, id: str, bucket: str):
        super().__init__(scope, id)
        AwsProvider(self, "aws", region="us-east-1")
        S3Bucket(self, "bucket", bucket=bucket)
"""

VALID_ENTRY = """\
from cdktf import App
from lib.data_stack import DataStack

app = App()
DataStack(app, "first", bucket="conformance-first")
DataStack(app, "second", bucket="conformance-second")
app.synth()
"""

# The raise is on line 3 of lib/broken.py, in `build`.
BROKEN_MODULE = """\
def build():
    message = "broken on purpose"
    raise ValueError(message)
"""

BROKEN_ENTRY = """\
from lib.broken import build

build()
"""

# Line 4 of lib/spin.py spins until the worker's timer ends it.
SPIN_MODULE = """\
def spin():
    count = 0
    while True:
        count += 1
"""

# Ignoring SIGALRM defeats the worker's own timer: only the sandbox's hard limit ends this.
STUBBORN_APP = """\
import signal

signal.signal(signal.SIGALRM, signal.SIG_IGN)
while True:
    pass
"""

CRASH_APP = """\
import os

print("going down", flush=True)
os._exit(3)
"""

ENV_PROBE = """\
import os


def observe():
    return dict(os.environ)
"""

# Leaves files in its workspace and temp folder, and a module of its own loaded.
LEAVING_PROBE = """\
import os
import sys
import tempfile

import left_module


def observe():
    with open("left-in-workspace.txt", "w") as handle:
        handle.write("from the first request")
    with open(os.path.join(tempfile.gettempdir(), "left-in-tmp.txt"), "w") as handle:
        handle.write("from the first request")
    return {"loaded": "left_module" in sys.modules, "env": os.environ.get("CONFORMANCE_FIRST", "")}
"""

FINDING_PROBE = """\
import os
import sys
import tempfile


def observe():
    return {
        "workspace": sorted(os.listdir(".")),
        "tmp": sorted(os.listdir(tempfile.gettempdir())),
        "loaded": "left_module" in sys.modules,
        "env": os.environ.get("CONFORMANCE_FIRST", ""),
    }
"""

NETWORK_PROBE = (
    OUTCOME
    + """
import os
import socket


def has_default_route():
    with open("/proc/net/route") as routes:
        return any(line.split()[1] == "00000000" for line in routes.readlines()[1:])


def attempt(host, port):
    try:
        with socket.create_connection((host, port), timeout=3):
            return "connected"
    except OSError as exc:
        return outcome(exc)


def observe():
    # if_nameindex asks the app's own network namespace; /sys/class/net may show the host's.
    seen = {"interfaces": sorted(name for _, name in socket.if_nameindex())}
    seen["default_route"] = has_default_route()
    seen["host_loopback"] = attempt("127.0.0.1", int(os.environ["CONFORMANCE_PORT"]))
    # Only without a route out, so no packet can leave even if isolation were broken; 192.0.2.1
    # is a documentation address (TEST-NET-1) that no host answers anyway.
    if not seen["default_route"]:
        seen["outside"] = attempt("192.0.2.1", 443)
        try:
            seen["resolve"] = socket.getaddrinfo("example.com", 443)[0][4][0]
        except OSError as exc:
            seen["resolve"] = type(exc).__name__
    return seen
"""
)

FILES_PROBE = (
    OUTCOME
    + """
import os
import tempfile


def try_read(path):
    try:
        with open(path) as handle:
            return "read: " + handle.read()
    except OSError as exc:
        return outcome(exc)


def try_write(path):
    try:
        with open(path, "w") as handle:
            handle.write("written by the app")
        return "written"
    except OSError as exc:
        return outcome(exc)


def observe():
    host = os.environ["CONFORMANCE_HOST_DIR"]
    return {
        "host_read": try_read(os.path.join(host, "secret.txt")),
        "host_write": try_write(os.path.join(host, "written-by-app.txt")),
        "workspace": try_write("probe.txt"),
        "tmp": try_write(os.path.join(tempfile.gettempdir(), "probe.txt")),
    }
"""
)

HOST_FILE_TEXT = "host secret: only readable where the host's files are"


# --------------------------------------------------------------------------------------------
# helpers


def request(
    name: str, files: dict[str, str], *, env: dict[str, str] | None = None, timeout: float = APP_SECONDS
) -> SynthRequest:
    """A request of the fields every sandbox must honour; the entry is always `tap.py`."""
    return SynthRequest(
        id=f"conformance-{name}", files=files, entry="tap.py", env=dict(env or {}), timeout=timeout
    )


def probe_files(probe: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The files of an app that reports what `probe`'s `observe()` returns (see `observed`)."""
    return {"tap.py": PROBE_APP.format(probe=probe), **(extra or {})}


def observed(result: SynthResult) -> Any:
    """What a probe app reported; an AssertionError naming the failure when it did not run."""
    assert result.status is SynthStatus.OK, f"the probe app did not synthesize: {_said(result)}"
    try:
        return json.loads(result.stacks["probe"]["output"]["observed"]["value"])
    except (KeyError, TypeError, ValueError) as exc:
        raise AssertionError(f"the probe's stack has no output 'observed': {sorted(result.stacks)}") from exc


def _said(result: SynthResult) -> str:
    """A result in one line, for failure messages."""
    text = f"{result.status.value} {result.error_type}: {result.message}".strip()
    return f"{text} {result.traceback[-600:]}".strip()


def _serves_again(sandbox: Sandbox, after: str) -> None:
    """After an app lost its worker, requests succeed until one meets a worker twice: by then
    every slot has served one, the lost worker's replacement too, whatever the pool's size."""
    seen: set[str] = set()
    for attempt in range(SAME_WORKER_TRIES):
        result = sandbox.synth(request(f"after-{after}-{attempt}", probe_files(ENV_PROBE)))
        assert result.ok, f"request {attempt + 1} after the {after} failed: {_said(result)}"
        if result.worker in seen:
            return
        seen.add(result.worker)


def _on_the_same_worker(
    sandbox: Sandbox, first: SynthRequest, second: SynthRequest
) -> tuple[SynthResult, SynthResult]:
    """`first`, then `second` on the worker that ran `first`: requests go on until the pool hands
    that worker out again, so the check holds for any number of slots. Both must succeed."""
    before = sandbox.synth(first)
    assert before.ok, f"the first request failed: {_said(before)}"
    for _ in range(SAME_WORKER_TRIES):
        after = sandbox.synth(second)
        assert after.ok, f"the second request failed: {_said(after)}"
        if after.worker == before.worker:
            return before, after
    raise AssertionError(
        f"{SAME_WORKER_TRIES} requests never came back to worker {before.worker!r}: "
        "the check cannot see whether it leaks"
    )


@contextlib.contextmanager
def _host_listener() -> Iterator[socket.socket]:
    """A listener on this host's loopback, for an app to try to reach (`_accepted` counts who did)."""
    listener = socket.socket()
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        yield listener
    finally:
        listener.close()


def _accepted(listener: socket.socket) -> int:
    """How many connections reached the listener; each is closed."""
    count = 0
    while True:
        try:
            accepted, _ = listener.accept()
        except BlockingIOError:
            return count
        accepted.close()
        count += 1


def plant_host_secret() -> str:
    """Put a secret in this process's environment; call it before the sandbox starts its workers,
    so `check_host_environment_stays_out` can tell whether it reaches an app."""
    return os.environ.setdefault(HOST_SECRET_VARIABLE, f"conformance-{uuid.uuid4().hex}")


# --------------------------------------------------------------------------------------------
# the checks: cheap ones first


def check_describe_names_kind_and_isolation(sandbox: Sandbox) -> None:
    """`describe()` is text facts for result.json: its kind and what it isolates."""
    facts = sandbox.describe()
    assert isinstance(facts, dict), f"describe() returned {type(facts).__name__}, not a dict"
    odd = {k: v for k, v in facts.items() if not (isinstance(k, str) and isinstance(v, str))}
    assert not odd, f"describe() must map text to text; these do not: {odd!r}"
    assert facts.get("sandbox") == sandbox.name, f"describe()['sandbox'] is {facts.get('sandbox')!r}"
    isolation = sandbox.isolation
    assert facts.get("isolation") == isolation.label(), (
        f"describe()['isolation'] is {facts.get('isolation')!r}, the sandbox declares {isolation.label()!r}"
    )
    if not (isolation.network and isolation.filesystem):
        assert isolation.why_not, "a sandbox that does not isolate everything must say why (why_not)"


def check_valid_app_synthesizes_its_stacks(sandbox: Sandbox) -> None:
    """A valid app gives OK, every stack by name, and each stack's Terraform JSON."""
    files = {"tap.py": VALID_ENTRY, "lib/__init__.py": "", "lib/data_stack.py": VALID_STACK}
    result = sandbox.synth(request("valid", files))
    assert result.status is SynthStatus.OK, f"a valid app did not synthesize: {_said(result)}"
    assert sorted(result.stacks) == ["first", "second"], f"stacks: {sorted(result.stacks)}"
    for name in ("first", "second"):
        buckets = result.stacks[name].get("resource", {}).get("aws_s3_bucket", {})
        assert buckets.get("bucket", {}).get("bucket") == f"conformance-{name}", (
            f"stack {name!r} lacks its bucket: {json.dumps(result.stacks[name])[:500]}"
        )
        assert result.stacks[name].get("provider", {}).get("aws"), f"stack {name!r} lacks its provider"
    assert result.worker, "the result must name the worker that served it"
    assert result.seconds > 0, "the result must say how long the app took"


def check_raising_app_is_an_error_at_its_frame(sandbox: Sandbox) -> None:
    """An app that raises gives ERROR, the exception's type and message, and the frame in the
    workspace where it was raised (workspace-relative file, line, function and code)."""
    files = {"tap.py": BROKEN_ENTRY, "lib/__init__.py": "", "lib/broken.py": BROKEN_MODULE}
    result = sandbox.synth(request("raises", files))
    assert result.status is SynthStatus.ERROR, f"a raising app gave {_said(result)}"
    assert result.error_type == "ValueError", f"error type {result.error_type!r}"
    assert "broken on purpose" in result.message, f"message {result.message!r}"
    assert result.frame is not None, "the error carries no frame"
    frame = result.frame
    assert (frame.file, frame.line, frame.function) == ("lib/broken.py", 3, "build"), f"frame {frame!r}"
    assert "raise ValueError" in frame.code, f"frame code {frame.code!r}"
    assert "ValueError" in result.traceback, "the error carries no traceback"


def check_request_paths_stay_in_the_workspace(sandbox: Sandbox) -> None:
    """A request naming a file outside the workspace is refused whole, before anything runs."""
    files = {"tap.py": "raise SystemExit('this app must never run')\n", "../outside.py": "x = 1\n"}
    result = sandbox.synth(request("unsafe-path", files))
    assert result.status is SynthStatus.ERROR, f"an unsafe path gave {_said(result)}"
    assert result.error_type == "UnsafePath", f"error type {result.error_type!r}: {result.message}"
    assert result.strategy == "workspace", f"strategy {result.strategy!r}: the app must not have run"
    assert "../outside.py" in result.message, f"message {result.message!r}"


def check_request_env_reaches_the_app(sandbox: Sandbox) -> None:
    """The request's environment variables are in the app's `os.environ`, as given."""
    env = {"CONFORMANCE_GREETING": "hello from the request", "CONFORMANCE_EMPTY": ""}
    seen = observed(sandbox.synth(request("env", probe_files(ENV_PROBE), env=env)))
    for name, value in env.items():
        assert seen.get(name) == value, f"the app saw {name}={seen.get(name)!r}, not {value!r}"


def check_host_environment_stays_out(sandbox: Sandbox) -> None:
    """No variable of the process that runs the sandbox reaches an app (credentials live there)."""
    secret = os.environ.get(HOST_SECRET_VARIABLE)
    assert secret, f"call plant_host_secret() before the sandbox starts: {HOST_SECRET_VARIABLE} is unset"
    seen = observed(sandbox.synth(request("host-env", probe_files(ENV_PROBE))))
    assert HOST_SECRET_VARIABLE not in seen, f"the app sees {HOST_SECRET_VARIABLE} of the host"
    leaked = sorted(name for name, value in seen.items() if secret in value)
    assert not leaked, f"the host's secret reached the app in {leaked}"


def check_requests_do_not_leak_into_the_next(sandbox: Sandbox) -> None:
    """The next request on the same worker finds none of the last one's files, temp files,
    modules or environment."""
    first = request(
        "leaves",
        probe_files(LEAVING_PROBE, {"left_module.py": "LEFT = True\n"}),
        env={"CONFORMANCE_FIRST": "set by the first request"},
    )
    before, after = _on_the_same_worker(sandbox, first, request("finds", probe_files(FINDING_PROBE)))
    left = observed(before)
    assert left == {"loaded": True, "env": "set by the first request"}, f"the first app saw {left}"
    seen = observed(after)
    assert seen["workspace"] == ["tap.py"], f"the workspace holds files of the last request: {seen}"
    assert seen["tmp"] == [], f"the temp folder holds files of the last request: {seen['tmp']}"
    assert not seen["loaded"], "a module of the last request is still loaded"
    assert seen["env"] == "", "the last request's environment is still set"


def check_network_is_as_declared(sandbox: Sandbox) -> None:
    """Declared network isolation: no interface but loopback, no route out, the host's loopback
    unreachable, an outside address unreachable, no name resolution. Declared none: the app
    shares the host's network (it reaches a listener on the host's loopback)."""
    with _host_listener() as listener:
        port = str(listener.getsockname()[1])
        result = sandbox.synth(request("network", probe_files(NETWORK_PROBE), env={"CONFORMANCE_PORT": port}))
        seen = observed(result)
        connections = _accepted(listener)
    if not sandbox.isolation.network:
        assert seen["host_loopback"] == "connected" and connections >= 1, (
            f"the sandbox declares no network isolation ({sandbox.isolation.why_not}), "
            f"yet the app could not reach the host: {seen}; declare it"
        )
        return
    assert connections == 0, f"the app connected to the host's loopback {connections} time(s)"
    assert seen["host_loopback"] != "connected", f"the app reached the host's loopback: {seen}"
    assert seen["interfaces"] == ["lo"], f"interfaces besides loopback: {seen['interfaces']}"
    assert seen["default_route"] is False, "the app has a route out"
    assert seen["outside"] == "ENETUNREACH", f"an outside address gave {seen['outside']!r}"
    assert seen["resolve"] == "gaierror", f"a name resolved to {seen['resolve']!r}"


def check_host_files_are_as_declared(sandbox: Sandbox) -> None:
    """Declared file-system isolation: a host file cannot be read and a host folder gains nothing.
    Declared none: the app reads and writes the host's files. Either way the app writes its own
    workspace and temp folder."""
    host = Path(tempfile.mkdtemp(prefix="iacgrade-conformance-"))
    try:
        (host / "secret.txt").write_text(HOST_FILE_TEXT)
        result = sandbox.synth(
            request("files", probe_files(FILES_PROBE), env={"CONFORMANCE_HOST_DIR": str(host)})
        )
        seen = observed(result)
        after = sorted(p.name for p in host.iterdir())
        secret_after = (host / "secret.txt").read_text()
    finally:
        shutil.rmtree(host, ignore_errors=True)
    assert (seen["workspace"], seen["tmp"]) == ("written", "written"), f"the app's own folders: {seen}"
    if not sandbox.isolation.filesystem:
        assert seen["host_read"] == f"read: {HOST_FILE_TEXT}" and "written-by-app.txt" in after, (
            f"the sandbox declares no file-system isolation ({sandbox.isolation.why_not}), "
            f"yet the app did not reach the host's files: {seen}; declare it"
        )
        return
    assert not seen["host_read"].startswith("read:"), f"the app read a host file: {seen['host_read']!r}"
    # A write may land in the sandbox's own folder of that name; the host's must not change.
    assert after == ["secret.txt"] and secret_after == HOST_FILE_TEXT, f"the host folder changed: {after}"


def check_concurrent_requests_get_their_own_results(sandbox: Sandbox) -> None:
    """`synth` from several threads at once: each gets the result of its own request."""
    results: dict[int, SynthResult] = {}

    def run(index: int) -> None:
        env = {"CONFORMANCE_INDEX": str(index)}
        results[index] = sandbox.synth(request(f"concurrent-{index}", probe_files(ENV_PROBE), env=env))

    threads = [threading.Thread(target=run, args=(index,)) for index in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=3 * APP_SECONDS)
    assert sorted(results) == [0, 1, 2], f"only requests {sorted(results)} came back"
    for index, result in sorted(results.items()):
        got = observed(result).get("CONFORMANCE_INDEX")
        assert got == str(index), f"request {index} got the result of request {got}"


# ---- checks that lose a worker: each replacement costs a worker start


def check_timeout_is_reported_at_its_frame(sandbox: Sandbox) -> None:
    """An app past its time limit gives TIMEOUT, the limit it was given, and where it was."""
    files = {
        "tap.py": "from lib.spin import spin\n\nspin()\n",
        "lib/__init__.py": "",
        "lib/spin.py": SPIN_MODULE,
    }
    result = sandbox.synth(request("timeout", files, timeout=RUNAWAY_SECONDS))
    assert result.status is SynthStatus.TIMEOUT, f"a runaway app gave {_said(result)}"
    assert result.error_type == "Timeout", f"error type {result.error_type!r}"
    assert f"time limit of {RUNAWAY_SECONDS:g} s" in result.message, f"message {result.message!r}"
    assert result.frame is not None and result.frame.file == "lib/spin.py", f"frame {result.frame!r}"
    _serves_again(sandbox, "timeout")


def check_app_ignoring_its_timer_is_killed(sandbox: Sandbox) -> None:
    """An app the worker cannot stop is ended at the sandbox's hard limit, as a TIMEOUT, and its
    worker replaced: the sandbox serves the next requests."""
    result = sandbox.synth(request("stubborn", {"tap.py": STUBBORN_APP}, timeout=RUNAWAY_SECONDS))
    assert result.status is SynthStatus.TIMEOUT, f"an app ignoring its timer gave {_said(result)}"
    assert result.error_type == "Timeout", f"error type {result.error_type!r}"
    assert "hard time limit" in result.message, f"message {result.message!r}"
    _serves_again(sandbox, "hard-timeout")


def check_crash_is_reported_and_the_worker_replaced(sandbox: Sandbox) -> None:
    """An app that kills its worker gives CRASHED with how the worker ended; the sandbox serves
    the next requests."""
    result = sandbox.synth(request("crash", {"tap.py": CRASH_APP}))
    assert result.status is SynthStatus.CRASHED, f"an app calling os._exit gave {_said(result)}"
    assert result.error_type == "WorkerCrashed", f"error type {result.error_type!r}"
    assert "exited with status 3" in result.message, f"message {result.message!r}"
    _serves_again(sandbox, "crash")


CHECKS: tuple[Check, ...] = (
    check_describe_names_kind_and_isolation,
    check_valid_app_synthesizes_its_stacks,
    check_raising_app_is_an_error_at_its_frame,
    check_request_paths_stay_in_the_workspace,
    check_request_env_reaches_the_app,
    check_host_environment_stays_out,
    check_requests_do_not_leak_into_the_next,
    check_network_is_as_declared,
    check_host_files_are_as_declared,
    check_concurrent_requests_get_their_own_results,
    check_timeout_is_reported_at_its_frame,
    check_app_ignoring_its_timer_is_killed,
    check_crash_is_reported_and_the_worker_replaced,
)


def run_checks(sandbox: Sandbox) -> dict[str, str]:
    """Every check against one started sandbox, in order: name -> "passed", "FAILED: why" or
    "ERROR: what raised". Call `plant_host_secret()` before the sandbox starts its workers."""
    outcomes: dict[str, str] = {}
    for check in CHECKS:
        try:
            check(sandbox)
        except AssertionError as exc:
            outcomes[check.__name__] = f"FAILED: {exc}"
        except Exception as exc:  # noqa: BLE001 - a check that breaks is reported, and the rest still run
            outcomes[check.__name__] = f"ERROR: {exc!r}"
        else:
            outcomes[check.__name__] = "passed"
    return outcomes
