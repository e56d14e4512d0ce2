"""The warm-worker pool shared by the local and docker sandboxes.

A pool holds `slots` workers; `synth` borrows an idle one, and a worker that hangs, dies, asks to
be replaced or has served `recycle_after` apps is retired and replaced by a fresh one that starts
loading at once. What a worker is (a child process, a container) and how it is started, ended and
described is left to small hooks, so each sandbox keeps only what is specific to it.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import threading
import time
from abc import ABC, abstractmethod
from typing import Any, Generic, TypeVar

from iacgrade.harness.core.errors import SandboxError
from iacgrade.harness.core.synth import SynthResult, SynthStatus
from iacgrade.harness.platforms.cdktf_python.worker.worker_lib.scrub import Scrubber
from iacgrade.harness.sandbox.base import Sandbox, SynthRequest


class WorkerStartError(Exception):
    """A worker (process or container) could not be started or never said it was ready."""


class WorkerGone(Exception):
    """The worker's reply stream ended or broke; `delivered` tells whether it had the request."""

    def __init__(self, message: str, *, delivered: bool) -> None:
        super().__init__(message)
        self.delivered = delivered


class WorkerTimeout(Exception):
    """No reply within the hard limit."""


class LineWorker(ABC):
    """One warm worker seen from the pool: the line protocol on top of a byte stream.

    Subclasses start the worker, set `spawned` once it runs and supply `_write` and `read_line`.
    """

    noun = "worker"  # how start errors name it: "the {noun} was not ready ..."
    ready: dict[str, Any] | None = None
    spawned: float = 0.0

    @abstractmethod
    def _write(self, data: bytes) -> None:
        """Send bytes to the worker's stdin; OSError or ValueError when it is gone."""

    @abstractmethod
    def read_line(self, deadline: float) -> bytes:
        """One line of the worker's stdout; WorkerTimeout past `deadline`, WorkerGone at its end."""

    @abstractmethod
    def log_tail(self) -> str:
        """The end of what the worker wrote to stderr."""

    def output_tail(self) -> str:
        """The end of what the last app printed, when it can still be read after a death."""
        return ""

    def _gone_note(self) -> str:
        """What to say about a worker whose stream ended before it was ready."""
        return self.log_tail()

    def _on_ready(self, ready: dict[str, Any]) -> None:  # noqa: B027 - optional: only some workers note it
        """Runs once the worker has said it is ready."""

    def wait_ready(self, start_timeout: float) -> dict[str, Any]:
        """The worker's `ready` line, waiting until `start_timeout` after it was spawned."""
        if self.ready is not None:
            return self.ready
        try:
            line = self.read_line(self.spawned + start_timeout)
        except WorkerTimeout as exc:
            raise WorkerStartError(f"the {self.noun} was not ready after {start_timeout:g} s") from exc
        except WorkerGone as exc:
            raise WorkerStartError(f"the {self.noun} {exc}: {self._gone_note()}") from exc
        message = parse_line(line)
        if message is None or message.get("op") != "ready":
            detail = message.get("message") if message else line[:500].decode("utf-8", "replace")
            raise WorkerStartError(f"the {self.noun} failed to start: {detail} {self.log_tail()}".strip())
        self.ready = message
        self._on_ready(message)
        return message

    def exchange(self, message: dict[str, object], limit: float) -> dict[str, Any]:
        """Send one request and wait at most `limit` seconds for its reply."""
        try:
            self._write(json.dumps(message).encode("utf-8") + b"\n")
        except (OSError, ValueError) as exc:
            raise WorkerGone("had gone before the request reached it", delivered=False) from exc
        reply = parse_line(self.read_line(time.monotonic() + limit))
        if reply is None:
            raise WorkerGone("replied with something that is not JSON", delivered=True)
        return reply


W = TypeVar("W", bound=LineWorker)


def parse_line(line: bytes) -> dict[str, Any] | None:
    """One protocol line as a JSON object, or None when it is not one."""
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def process_alive(pid: int) -> bool:
    """Whether a process exists; one we may not signal still counts as alive."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class WorkerPoolSandbox(Sandbox, Generic[W]):
    """A pool of `slots` warm workers; `synth` may be called from many threads."""

    # How messages name a worker: "the {worker_noun} died ...", "its {killed_noun} was killed".
    worker_noun = "worker"
    killed_noun = "worker"
    # Faults of the machinery under the workers (the engine) that must become a result, not stop
    # a batch; the local sandbox has none, so anything unexpected there still surfaces.
    infra_faults: tuple[type[Exception], ...] = ()

    def __init__(self, slots: int, recycle_after: int, start_timeout: float, hard_grace: float) -> None:
        if slots < 1:
            raise ValueError("slots must be at least 1")
        self.slots = slots
        self.recycle_after = recycle_after
        self.start_timeout = start_timeout
        self.hard_grace = hard_grace
        # None stands for a slot whose worker is not started yet: it starts on first use.
        self._idle: queue.Queue[W | None] = queue.Queue()
        for _ in range(slots):
            self._idle.put(None)
        # Re-entrant: a SIGTERM handler may run close() while the main thread holds the lock.
        self._lock = threading.RLock()
        self._live: set[W] = set()
        self._counts = {"started": 0, "recycled": 0, "crashed": 0, "timeouts": 0}
        self._versions: dict[str, str] = {}
        self._closed = False

    # ---- hooks

    @abstractmethod
    def _launch(self) -> W:
        """Start one worker (not yet ready); WorkerStartError when it cannot start."""

    def _alive(self, worker: W) -> bool:
        """Whether an idle worker is still worth using; a dead one is replaced before use."""
        return True

    @abstractmethod
    def _end(self, worker: W, *, kill: bool) -> None:
        """Stop a worker and remove what it left; `kill=False` allows a graceful exit."""

    def _on_retired(self, worker: W) -> None:
        """Runs under the lock once a live worker is retired."""

    @abstractmethod
    def _served(self, worker: W) -> int:
        """Record one app served by `worker`; the number it has served so far."""

    @abstractmethod
    def _label(self, worker: W) -> str:
        """The worker as `SynthResult.worker` names it ("local:<pid>", "docker:<id>")."""

    @abstractmethod
    def _death(self, worker: W) -> tuple[str, str]:
        """(error_type, how it ended) for a worker that died under an app; runs before it is retired."""

    @abstractmethod
    def _end_all(self) -> None:
        """Stop every live worker; close() has already refused new work."""

    # ---- public API

    def start(self) -> None:
        """Start every slot's worker now, loading in parallel; SandboxError when one cannot load."""
        taken = [self._idle.get() for _ in range(self.slots)]
        errors: list[str] = []
        try:
            for index, worker in enumerate(taken):
                if worker is None or not self._alive(worker):
                    try:
                        taken[index] = self._spawn()
                    except WorkerStartError as exc:
                        errors.append(str(exc))
            for index, worker in enumerate(taken):
                if worker is not None:
                    try:
                        self._note_ready(worker.wait_ready(self.start_timeout))
                    except WorkerStartError as exc:
                        errors.append(str(exc))
                        self._retire(worker)
                        taken[index] = None
        finally:
            for worker in taken:
                self._idle.put(worker)
        if errors:
            raise SandboxError("; ".join(errors))

    def synth(self, request: SynthRequest) -> SynthResult:
        """Run one request on an idle worker; never raises for the app's or the worker's trouble."""
        if self._closed:
            return SynthResult.infra_error(f"the {self.name} sandbox is closed")
        worker = self._idle.get()
        try:
            result, worker = self._synth_on(worker, request)
        except self.infra_faults as exc:
            result, worker = SynthResult.infra_error(f"{self.name} sandbox failure: {exc}"), None
        finally:
            self._idle.put(worker)
        if self._closed and result.status is not SynthStatus.OK:
            return SynthResult.infra_error(f"the {self.name} sandbox was closed while the app ran")
        return result

    def counts(self) -> dict[str, int]:
        """How many workers were started, recycled, crashed and timed out so far."""
        with self._lock:
            return dict(self._counts)

    def close(self) -> None:
        """Stop every worker and remove what the sandbox started (idempotent; also runs at exit)."""
        self._closed = True
        atexit.unregister(self.close)
        self._end_all()

    # ---- internals

    def _version_facts(self, versions: dict[str, str]) -> dict[str, str]:
        """The tool versions `describe` reports, "unknown" until a worker has said."""
        return {
            name: versions.get(name, "unknown")
            for name in ("cdktf", "cdktf-cdktf-provider-aws", "python", "node")
        }

    def _synth_on(self, worker: W | None, request: SynthRequest) -> tuple[SynthResult, W | None]:
        """Returns the result and the worker to put back in the pool (None: start one when needed)."""
        for _ in range(2):
            try:
                worker = self._ready(worker)
            except WorkerStartError as exc:
                return SynthResult.infra_error(str(exc)), None
            started = time.monotonic()
            try:
                reply = worker.exchange(request.to_message(), request.timeout + self.hard_grace)
            except WorkerGone as exc:
                if not exc.delivered:
                    # It died between apps: not this app's doing, so run it on a fresh worker.
                    self._retire(worker)
                    worker = None
                    continue
                return self._crashed(worker, str(exc), time.monotonic() - started), self._replacement()
            except WorkerTimeout:
                return self._hard_timeout(worker, request, time.monotonic() - started), self._replacement()
            return self._finish(worker, request, reply, time.monotonic() - started)
        return SynthResult.infra_error(f"the {self.worker_noun} died twice before taking the request"), None

    def _finish(
        self, worker: W, request: SynthRequest, reply: dict[str, Any], seconds: float
    ) -> tuple[SynthResult, W | None]:
        if reply.get("id") != request.id or "status" not in reply:
            self._retire(worker)
            return SynthResult.infra_error(
                f"the {self.worker_noun} gave an unexpected reply: {reply!r:.300}"
            ), None
        result = SynthResult.from_reply(reply)
        result.seconds = round(seconds, 4)
        result.worker = self._label(worker)
        if reply.get("recycle") or self._served(worker) >= self.recycle_after:
            # A healthy worker at the end of its term may exit on its own terms.
            self._retire(worker, kill=False)
            self._count("recycled")
            return result, self._replacement()
        return result, worker

    def _crashed(self, worker: W, why: str, seconds: float) -> SynthResult:
        # Everything is read before the worker is retired: retiring reaps it and removes its traces.
        error_type, ending = self._death(worker)
        # Read here, not by the worker: its folders are taken out as it would have.
        scrub = Scrubber.from_description((worker.ready or {}).get("scrub"))
        result = SynthResult(
            status=SynthStatus.CRASHED,
            error_type=error_type,
            message=f"the worker died under the app: it {why} and {ending}".strip(),
            traceback=scrub.text(worker.log_tail()),
            output_tail=scrub.text(worker.output_tail()),
            seconds=round(seconds, 4),
            worker=self._label(worker),
        )
        self._retire(worker)
        self._count("crashed")
        return result

    def _hard_timeout(self, worker: W, request: SynthRequest, seconds: float) -> SynthResult:
        limit = request.timeout + self.hard_grace
        self._retire(worker)
        self._count("timeouts")
        return SynthResult(
            status=SynthStatus.TIMEOUT,
            error_type="Timeout",
            message=f"the app ran past its hard time limit of {limit:g} s; its {self.killed_noun} was killed",
            seconds=round(seconds, 4),
            worker=self._label(worker),
        )

    def _ready(self, worker: W | None) -> W:
        if worker is not None and not self._alive(worker):
            self._retire(worker)
            worker = None
        if worker is None:
            worker = self._spawn()
        try:
            self._note_ready(worker.wait_ready(self.start_timeout))
        except WorkerStartError:
            self._retire(worker)
            raise
        return worker

    def _spawn(self) -> W:
        if self._closed:
            raise WorkerStartError(f"the {self.name} sandbox is closed")
        worker = self._launch()
        with self._lock:
            self._live.add(worker)
            self._counts["started"] += 1
        if self._closed:  # close() ran while this one was being started
            self._retire(worker)
            raise WorkerStartError(f"the {self.name} sandbox is closed")
        return worker

    def _replacement(self) -> W | None:
        """Start a worker now so it loads while the caller goes on; None if it cannot start."""
        try:
            return self._spawn()
        except WorkerStartError:
            return None

    def _retire(self, worker: W, *, kill: bool = True) -> None:
        self._end(worker, kill=kill)
        with self._lock:
            if worker in self._live:
                self._live.discard(worker)
                self._on_retired(worker)

    def _count(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1

    def _note_ready(self, ready: dict[str, Any]) -> None:
        versions = ready.get("versions")
        if isinstance(versions, dict):
            self._versions = {str(k): str(v) for k, v in versions.items()}
