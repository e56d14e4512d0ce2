"""Running checkov over a directory: through one warm checkov server, or a process per scan.

Importing checkov takes ~3 s of CPU and scanning one answer ~0.2 s, so a process per answer
would make checkov the largest cost of grading. When checkov is a Python script (it lives in a
virtualenv of its own), its interpreter runs `server.py` once per grading process and
every scan is a request to it; the server is replaced after `RECYCLE_AFTER` scans to bound its
memory. When the server cannot start or breaks, a scan falls back to a checkov process of its
own, so a scan's answer never depends on which way it ran.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import select
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iacgrade.harness.core.errors import GraderError

log = logging.getLogger(__name__)

SERVER_SCRIPT = Path(__file__).resolve().parent / "server.py"
START_TIMEOUT_SECONDS = 120.0
RECYCLE_AFTER = 300
# Quiet output, and no call home for the check-to-guideline mapping (there is no network).
CHECKOV_ENV = {"LOG_LEVEL": "ERROR", "BC_SKIP_MAPPING": "TRUE"}


@dataclass(frozen=True)
class ScanOutput:
    returncode: int
    stdout: str
    stderr: str = ""


def script_interpreter(command: list[str]) -> str | None:
    """The Python interpreter of a checkov launcher script (its `#!` line), or None."""
    if len(command) != 1:
        return None
    try:
        with open(command[0], "rb") as handle:
            first = handle.readline(512).decode("utf-8", "replace").strip()
    except OSError:
        return None
    if not first.startswith("#!"):
        return None
    parts = first[2:].split()
    if not parts or not Path(parts[0]).name.startswith("python") or not os.access(parts[0], os.X_OK):
        return None
    return parts[0]


class _Server:
    """One running checkov server."""

    def __init__(self, python: str) -> None:
        self.proc = subprocess.Popen(
            [python, str(SERVER_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **CHECKOV_ENV},
        )
        self.scans = 0
        self.buffer = b""
        try:
            ready = self._read(time.monotonic() + START_TIMEOUT_SECONDS)
            if ready.get("ready") is not True:
                raise OSError(f"the checkov server did not start: {ready}")
        except BaseException:
            self.close()
            raise

    def scan(self, directory: str, args: list[str], timeout: float) -> ScanOutput:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"dir": directory, "args": args}).encode() + b"\n")
        self.proc.stdin.flush()
        reply = self._read(time.monotonic() + timeout)
        self.scans += 1
        if "error" in reply:
            raise OSError(f"checkov failed: {reply['error']}")
        return ScanOutput(returncode=int(reply.get("rc", 2)), stdout=str(reply.get("stdout", "")))

    def _read(self, deadline: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise subprocess.TimeoutExpired("checkov server", 0)
            readable, _, _ = select.select([fd], [], [], remaining)
            if readable:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise OSError("the checkov server exited")
                self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        value = json.loads(line)
        if not isinstance(value, dict):
            raise OSError("the checkov server replied with something else than an object")
        return value

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=2)
            return
        self.proc.kill()
        self.proc.wait()


class CheckovRunner:
    """Scans directories with checkov; one scan at a time through the server, any number by process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._broken = False  # the server failed to start: do not retry it on every scan

    def scan(self, command: list[str], directory: str, args: list[str], timeout: float) -> ScanOutput:
        python = script_interpreter(command)
        if python is not None and not self._broken:
            with self._lock:
                output = self._scan_on_server(python, directory, args, timeout)
            if output is not None:
                return output
        return _scan_by_process(command, directory, args, timeout)

    def _scan_on_server(
        self, python: str, directory: str, args: list[str], timeout: float
    ) -> ScanOutput | None:
        try:
            if self._server is None or self._server.scans >= RECYCLE_AFTER:
                self._close_server()
                self._server = _Server(python)
            return self._server.scan(directory, args, timeout)
        except subprocess.TimeoutExpired as exc:
            self._close_server()
            raise GraderError(f"checkov ran past {timeout:.0f} s") from exc
        except (OSError, ValueError) as exc:
            log.warning("checkov server unusable, scanning with a checkov process instead: %s", exc)
            self._broken = self._server is None
            self._close_server()
            return None

    def _close_server(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def close(self) -> None:
        with self._lock:
            self._close_server()


def _scan_by_process(command: list[str], directory: str, args: list[str], timeout: float) -> ScanOutput:
    try:
        proc = subprocess.run(
            [*command, "-d", directory, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={**os.environ, **CHECKOV_ENV},
        )
    except subprocess.TimeoutExpired as exc:
        raise GraderError(f"checkov ran past {timeout:.0f} s") from exc
    except OSError as exc:
        raise GraderError(f"checkov could not be started: {exc}") from exc
    return ScanOutput(returncode=proc.returncode, stdout=proc.stdout, stderr=proc.stderr)


RUNNER = CheckovRunner()
atexit.register(RUNNER.close)
