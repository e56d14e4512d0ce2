"""A long-lived checkov: imports checkov once, then scans one directory per request.

Run by graders/security/runner.py with the interpreter checkov is installed in (its own virtualenv), so
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
    # checkov has its own venv.
    from checkov import main as checkov_main  # type: ignore[import-not-found]

    Checkov = checkov_main.Checkov

    protocol.write(json.dumps({"ready": True}) + "\n")
    protocol.flush()
    for line in sys.stdin:
        try:
            request = json.loads(line)
            _fresh_runners(checkov_main, request.get("args", []))
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


def _fresh_runners(checkov_main: object, args: list[str]) -> None:
    """New instances of the runners of the scan's frameworks. checkov keeps one instance of each
    runner for the process (`DEFAULT_RUNNERS`), and its CloudFormation runner parses templates
    only when it holds none yet: a second scan would report the first scan's templates."""
    frameworks = {args[i + 1] for i, a in enumerate(args[:-1]) if a == "--framework"}
    runners = getattr(checkov_main, "DEFAULT_RUNNERS", [])
    for i, runner in enumerate(runners):
        if getattr(runner, "check_type", None) in frameworks:
            runners[i] = type(runner)()


if __name__ == "__main__":
    sys.exit(main())
