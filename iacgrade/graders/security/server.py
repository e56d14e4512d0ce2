"""A long-lived checkov: imports checkov once, then scans one directory per request.

Run by iacgrade/graders/security/runner.py with the interpreter checkov is installed in (its own virtualenv),
so
this file imports nothing of iacgrade. Importing checkov costs ~3 s and a scan of one answer's
stacks ~0.2 s: one process per scan would spend most of its time importing.

Protocol, JSON lines: the server first prints {"ready": true}; then each request
{"dir": path, "args": [checkov arguments]} gets {"rc": int, "stdout": str} or {"error": str}.
It exits at the end of its input, so it never outlives the grader that started it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys


def main() -> int:
    # Python puts this file's folder first on the path, where graders' own modules would
    # shadow checkov's; only checkov's environment belongs on it.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    # The protocol gets its own copy of stdout; fd 1 then points at stderr, so nothing checkov
    # or a library prints straight to the file descriptor can corrupt a reply.
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    # Ctrl-C at the terminal reaches the whole process group; the grader decides when this ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from checkov.main import DEFAULT_RUNNERS, Checkov  # type: ignore[import-not-found]  # own venv

    protocol.write(json.dumps({"ready": True}) + "\n")
    protocol.flush()
    for line in sys.stdin:
        try:
            request = json.loads(line)
            _forget_last_scan(DEFAULT_RUNNERS)
            captured = io.StringIO()
            with contextlib.redirect_stdout(captured):
                rc = Checkov(["-d", str(request["dir"]), *request.get("args", [])]).run()
            reply: dict[str, object] = {"rc": int(rc or 0), "stdout": captured.getvalue()}
        except BaseException as exc:  # reported to the grader, which decides
            if isinstance(exc, KeyboardInterrupt):
                raise
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        protocol.write(json.dumps(reply) + "\n")
        protocol.flush()
    return 0


# What a checkov runner keeps of its last scan: the terraform runner reuses it when set, so a warm
# process would report every later `.tf` folder as the first one it scanned.
_SCAN_STATE = ("definitions", "context", "breadcrumbs")


def _forget_last_scan(runners: list[object]) -> None:
    for runner in runners:
        for attr in _SCAN_STATE:
            if getattr(runner, attr, None) is not None:
                setattr(runner, attr, None)


if __name__ == "__main__":
    sys.exit(main())
