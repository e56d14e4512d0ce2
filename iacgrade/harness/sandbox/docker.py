"""The `docker` sandbox: warm synth workers in long-lived, locked-down containers.

Each slot is one container of the project's image running `worker.py` as its main process, with
no network, a read-only root, tmpfs for `/work` and `/tmp`, memory, pids and CPU limits, a
non-root user and every capability dropped. A runaway app kills only its own container.

The worker protocol runs over the container's attached stdin/stdout, through the engine API
(the docker SDK's hijacked attach socket): no docker CLI process per container, and the stream
stays readable with `select`, so every wait has a deadline. The socket is attached before the
container starts, so the first line (`ready`) cannot be missed; Docker multiplexes stdout and
stderr on it in 8-byte-headed frames, which `_Container` splits: stdout carries the protocol,
stderr is kept as the worker's log tail.

Containers carry the label `iacgrade.sandbox=1` plus this run's id, host and pid. A new sandbox
removes the leftovers of dead processes; `close()` (also run at exit and on SIGTERM) removes
this run's. With `stdin_once` the engine closes a container's stdin when its attach connection
drops, so even a SIGKILLed parent leaves only stopped containers behind.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import select
import signal
import socket
import struct
import threading
import time
import uuid
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from iacgrade.harness.sandbox.base import REPRODUCIBLE_ENV, Isolation
from iacgrade.harness.sandbox.pool import (
    LineWorker,
    WorkerGone,
    WorkerPoolSandbox,
    WorkerStartError,
    WorkerTimeout,
    process_alive,
)

if TYPE_CHECKING:
    import docker

log = logging.getLogger(__name__)

LABEL = "iacgrade.sandbox"
WORKER_UID = 10001  # the image's `sandbox` user
WORKER_USER = f"{WORKER_UID}:{WORKER_UID}"
TMPFS_FLAGS = "rw,nosuid,nodev,noexec"
# The worker's own soft timer ends most runaway apps; this margin is for the ones it cannot.
HARD_GRACE_SECONDS = 10.0
START_TIMEOUT_SECONDS = 300.0
WRITE_TIMEOUT_SECONDS = 30.0
EXIT_WAIT_SECONDS = 10
ENGINE_TIMEOUT_SECONDS = 60
READ_CHUNK = 1 << 20
LOG_TAIL_BYTES = 4 * 1024
FRAME_HEADER = struct.Struct(">BxxxL")
STDOUT, STDERR = 1, 2
# The AWS and pip settings every app gets are the worker's own (NO_NETWORK_ENV), and the image
# puts the offline `pip` first on PATH (docker/Dockerfile).
WORKER_ENV = {
    # The worker's scratch (the answer's files, synth output) goes to the size-capped tmpfs.
    "TMPDIR": "/work",
    **REPRODUCIBLE_ENV,
}


@dataclass(frozen=True)
class Limits:
    """What one container may use."""

    memory: str = "2g"  # also the memory+swap limit: no swap
    cpus: float = 1.0
    pids: int = 256
    work_size: str = "256m"
    tmp_size: str = "256m"

    def host_config(self, api: docker.APIClient) -> dict[str, Any]:
        return dict(
            api.create_host_config(
                network_mode="none",
                read_only=True,
                tmpfs={
                    # Owned by the worker: the engine resets the mode of the image's WORKDIR.
                    "/work": f"{TMPFS_FLAGS},size={self.work_size},uid={WORKER_UID},gid={WORKER_UID}",
                    "/tmp": f"{TMPFS_FLAGS},size={self.tmp_size},mode=1777",
                },
                mem_limit=self.memory,
                memswap_limit=self.memory,
                pids_limit=self.pids,
                nano_cpus=int(self.cpus * 1e9),
                cap_drop=["ALL"],
                security_opt=["no-new-privileges"],
                ipc_mode="private",
            )
        )

    def describe(self) -> dict[str, str]:
        return {
            "memory": self.memory,
            "cpus": f"{self.cpus:g}",
            "pids": str(self.pids),
            "work_tmpfs": self.work_size,
            "tmp_tmpfs": self.tmp_size,
            "network": "none",
            "read_only_root": "yes",
            "user": WORKER_USER.split(":")[0],
            "capabilities": "none",
        }


# --------------------------------------------------------------------------------------------
# one container


class _Container(LineWorker):
    """One worker container and its attached stdin/stdout/stderr stream."""

    noun = "worker container"

    def __init__(
        self, api: docker.APIClient, image: str, name: str, labels: dict[str, str], config: dict[str, Any]
    ) -> None:
        self.api = api
        self.name = name
        self.apps = 0
        self._frames = bytearray()
        self._stdout = bytearray()
        self._stderr = bytearray()
        self._eof = False
        created = api.create_container(
            image=image,
            name=name,
            user=WORKER_USER,
            labels=labels,
            stdin_open=True,
            # Not detached + stdin_open sets StdinOnce: the engine closes the worker's stdin when
            # our attach connection drops, and the worker then exits.
            detach=False,
            tty=False,
            environment=config["environment"],
            host_config=config["host_config"],
        )
        self.id: str = created["Id"]
        try:
            # Attach before start, so no output is lost and nothing is read ahead into a buffer.
            self._io = api.attach_socket(self.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            self._sock: socket.socket = getattr(self._io, "_sock", self._io)
            self._sock.settimeout(WRITE_TIMEOUT_SECONDS)
            api.start(self.id)
        except BaseException:
            self.remove()
            raise
        self.spawned = time.monotonic()

    @property
    def short_id(self) -> str:
        return self.id[:12]

    # ---- life cycle

    def _gone_note(self) -> str:
        return f"{self.state_note()} {self.log_tail()}"

    def stop(self) -> None:
        """Ask the worker to exit, give it a moment, then remove the container whatever it did."""
        from docker.errors import DockerException
        from requests import RequestException

        with contextlib.suppress(OSError):
            self._sock.sendall(b'{"op":"exit"}\n')
        with contextlib.suppress(DockerException, RequestException):
            self.api.wait(self.id, timeout=EXIT_WAIT_SECONDS)
        self.remove()

    def remove(self) -> None:
        """Kill and remove the container; close our end of the stream."""
        from docker.errors import DockerException
        from requests import RequestException

        for stream in (getattr(self, "_io", None), getattr(self, "_sock", None)):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()
        with contextlib.suppress(DockerException, RequestException):
            self.api.remove_container(self.id, force=True)

    # ---- requests

    def _write(self, data: bytes) -> None:
        self._sock.sendall(data)

    def read_line(self, deadline: float) -> bytes:
        """One line of the worker's stdout; WorkerTimeout past `deadline`, WorkerGone at end of stream."""
        while (end := self._stdout.find(b"\n")) < 0:
            if self._eof:
                raise WorkerGone("closed its output", delivered=True)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkerTimeout
            try:
                readable, _, _ = select.select([self._sock], [], [], remaining)
                chunk = self._sock.recv(READ_CHUNK) if readable else None
            except (OSError, ValueError) as exc:  # closed under us by close()
                raise WorkerGone("lost its output stream", delivered=True) from exc
            if chunk is not None:
                self._take(chunk)
        line = bytes(self._stdout[:end])
        del self._stdout[: end + 1]
        return line

    def _take(self, chunk: bytes) -> None:
        """Split the engine's multiplexed frames into stdout (protocol) and stderr (log tail)."""
        if not chunk:
            self._eof = True
            return
        self._frames += chunk
        while len(self._frames) >= FRAME_HEADER.size:
            kind, size = FRAME_HEADER.unpack_from(self._frames)
            if len(self._frames) < FRAME_HEADER.size + size:
                return
            payload = bytes(self._frames[FRAME_HEADER.size : FRAME_HEADER.size + size])
            del self._frames[: FRAME_HEADER.size + size]
            if kind == STDOUT:
                self._stdout += payload
            else:
                self._stderr = (self._stderr + payload)[-LOG_TAIL_BYTES:]

    # ---- what is left after a death

    def state(self, wait_seconds: float = 10.0) -> dict[str, Any]:
        """The container's State once it has stopped (or as it is after `wait_seconds`)."""
        from docker.errors import DockerException
        from requests import RequestException

        with contextlib.suppress(DockerException, RequestException):
            self.api.wait(self.id, timeout=wait_seconds)
        try:
            return dict(self.api.inspect_container(self.id).get("State") or {})
        except (DockerException, RequestException):
            return {}

    def state_note(self) -> str:
        return _exit_description(self.state())

    def log_tail(self) -> str:
        return self._stderr.decode("utf-8", "replace").strip()


def _exit_description(state: Mapping[str, Any]) -> str:
    if not state:
        return "its state is unknown"
    if state.get("Running"):
        return "it is still running"
    code = state.get("ExitCode")
    text = f"it exited with status {code}"
    if state.get("OOMKilled"):
        text += " (OOM-killed: it reached the container's memory limit)"
    elif code == 137:
        text += " (SIGKILL)"
    elif isinstance(code, int) and code > 128:
        text += f" (signal {code - 128})"
    return text


# --------------------------------------------------------------------------------------------
# leftovers and process exit


def _is_leftover(item: Mapping[str, Any], host: str) -> bool:
    """A container whose owner is gone: its process died, or (another host's) it has stopped."""
    labels = item.get("Labels") or {}
    if labels.get(f"{LABEL}.host") == host:
        pid = int(labels.get(f"{LABEL}.pid", "0") or 0)
        # A live owner inspects and removes its own containers, stopped ones included.
        return not (pid and process_alive(pid))
    return item.get("State") != "running"


def remove_leftovers(client: docker.DockerClient, run_id: str | None = None) -> int:
    """Remove the sandbox containers of `run_id`, or, without one, every leftover (`_is_leftover`)."""
    from docker.errors import DockerException
    from requests import RequestException

    host = socket.gethostname()
    wanted = f"{LABEL}.run={run_id}" if run_id else LABEL
    removed = 0
    for item in client.api.containers(all=True, filters={"label": wanted}):
        if run_id is None and not _is_leftover(item, host):
            continue
        with contextlib.suppress(DockerException, RequestException):
            client.api.remove_container(item["Id"], force=True)
            removed += 1
    return removed


_OPEN: weakref.WeakSet[DockerSandbox] = weakref.WeakSet()
_SIGNALS_INSTALLED = False


def _install_sigterm_cleanup() -> None:
    """On SIGTERM, remove our containers before dying (atexit does not run on a signal death)."""
    global _SIGNALS_INSTALLED
    if _SIGNALS_INSTALLED or threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return  # someone else handles SIGTERM (a test runner, Ray): leave it to them and atexit

    def on_sigterm(signum: int, frame: object) -> None:
        for box in list(_OPEN):
            box.close()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    signal.signal(signal.SIGTERM, on_sigterm)
    _SIGNALS_INSTALLED = True


# --------------------------------------------------------------------------------------------
# the pool


class DockerSandbox(WorkerPoolSandbox[_Container]):
    """A pool of `slots` warm worker containers; `synth` may be called from many threads."""

    name = "docker"
    worker_noun = "worker container"
    killed_noun = "container"
    # An engine fault must become a result, not stop a batch.
    infra_faults = (Exception,)

    def __init__(
        self,
        slots: int = 1,
        image: str | None = None,
        *,
        build: bool = False,
        limits: Limits | None = None,
        recycle_after: int = 200,
        start_timeout: float = START_TIMEOUT_SECONDS,
        hard_grace: float = HARD_GRACE_SECONDS,
        env: Mapping[str, str] | None = None,
    ) -> None:
        """Find (or with `build`, build) the image; `SandboxError` when no engine or image is there."""
        from iacgrade.harness.sandbox.image import engine_client, ensure_image

        super().__init__(slots, recycle_after, start_timeout, hard_grace)
        self.limits = limits or Limits()
        self.client = engine_client(timeout=ENGINE_TIMEOUT_SECONDS)
        self.image = image or ensure_image(build=build)
        self.run_id = uuid.uuid4().hex[:12]
        self.labels = {
            LABEL: "1",
            f"{LABEL}.run": self.run_id,
            f"{LABEL}.host": socket.gethostname(),
            f"{LABEL}.pid": str(os.getpid()),
        }
        self._config = {
            "environment": {**WORKER_ENV, **dict(env or {})},
            "host_config": self.limits.host_config(self.client.api),
        }
        self._counter = 0
        self.leftovers_removed = self._remove_leftovers()
        _OPEN.add(self)
        atexit.register(self.close)
        _install_sigterm_cleanup()

    # ---- public API

    @property
    def isolation(self) -> Isolation:
        # network_mode "none", and the host's files are never mounted (Limits.host_config).
        return Isolation(network=True, filesystem=True)

    def describe(self) -> dict[str, str]:
        return {
            "sandbox": self.name,
            "isolation": self.isolation.label(),
            "image": self.image,
            **self._version_facts(self._versions),
            "slots": str(self.slots),
            **self.limits.describe(),
        }

    # ---- pool hooks

    def _launch(self) -> _Container:
        from docker.errors import DockerException
        from requests import RequestException

        with self._lock:
            self._counter += 1
            name = f"iacgrade-{self.run_id}-{self._counter}"
        try:
            return _Container(self.client.api, self.image, name, self.labels, self._config)
        except (DockerException, RequestException, OSError) as exc:
            raise WorkerStartError(f"cannot start a worker container from {self.image}: {exc}") from exc

    def _end(self, container: _Container, *, kill: bool) -> None:
        if kill:
            container.remove()
        else:
            container.stop()

    def _served(self, container: _Container) -> int:
        container.apps += 1
        return container.apps

    def _label(self, container: _Container) -> str:
        return f"docker:{container.short_id}"

    def _death(self, container: _Container) -> tuple[str, str]:
        # Waits for the container to stop, so its exit status and OOM flag are final.
        state = container.state()
        if state.get("OOMKilled"):
            return "WorkerOOMKilled", f"{_exit_description(state)}. The container was OOM-killed."
        return "WorkerCrashed", f"{_exit_description(state)}."

    def _end_all(self) -> None:
        with self._lock:
            containers = list(self._live)
            self._live.clear()
        for container in containers:
            container.remove()
        from docker.errors import DockerException
        from requests import RequestException

        # Catch any container created while closing, or whose removal failed above.
        with contextlib.suppress(DockerException, RequestException):
            remove_leftovers(self.client, self.run_id)

    def _remove_leftovers(self) -> int:
        """Tidy up after dead runs; a failure here must not stop this sandbox from working."""
        from docker.errors import DockerException
        from requests import RequestException

        try:
            return remove_leftovers(self.client)
        except (DockerException, RequestException) as exc:
            log.warning("could not remove leftover sandbox containers: %s", exc)
            return 0
