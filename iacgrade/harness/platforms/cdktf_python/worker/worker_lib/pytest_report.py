"""The pytest plugin of the worker's unit-test runs: one record per event, nothing else.

The worker passes a `Reporter` to `pytest.main(..., plugins=[reporter])`: no third-party plugin is
needed and none is loaded, and the records stay in the worker's memory (no file an answer's test
could read or change). This module imports pytest for annotations only: the worker loads the
package it sits in without pytest.

Records (`event` first): `collected` (how many tests), `collect` (a file that failed to collect),
`report` (one phase of one test: setup, call or teardown), `exception` (what a failing phase or
collection raised, with the frame it points at), `finish` (pytest's exit status).
"""

from __future__ import annotations

import os
import traceback
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

MESSAGE_LINES = 12
MESSAGE_CHARS = 2000
# pytest wraps what a test module raised on import in its own error; the cause is what to show.
WRAPPERS = frozenset({"CollectError"})


class Reporter:
    """Records what a pytest session ran into; stops the session on any of `stop_on` (the
    worker's time limit), which pytest would otherwise count as one more failing test."""

    def __init__(self, workspace: str, stop_on: tuple[type[BaseException], ...] = ()) -> None:
        self.workspace = os.path.realpath(workspace)
        self.prefix = self.workspace + os.sep
        self.stop_on = stop_on
        self.stopped = False
        self.records: list[dict[str, Any]] = []

    # ---- hooks

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.records.append({"event": "collected", "count": len(session.items)})

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.records.append(
                {"event": "collect", "nodeid": report.nodeid, "longrepr": _first_lines(str(report.longrepr))}
            )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record: dict[str, Any] = {
            "event": "report",
            "nodeid": report.nodeid,
            "when": report.when,
            "outcome": report.outcome,
            "duration": round(report.duration, 3),
        }
        if report.failed:
            record["longrepr"] = _first_lines(str(report.longrepr))
        elif report.skipped and isinstance(report.longrepr, tuple):
            record["longrepr"] = str(report.longrepr[2])
        self.records.append(record)

    def pytest_exception_interact(
        self,
        node: pytest.Item | pytest.Collector,
        call: pytest.CallInfo[Any],
        report: pytest.TestReport | pytest.CollectReport,
    ) -> None:
        if call.excinfo is None:
            return
        if isinstance(call.excinfo.value, self.stop_on):
            self.stopped = True
            node.session.shouldstop = "the time limit of the tests was reached"
        test_file = self.relative(str(getattr(node, "path", "") or ""))
        self.records.append(
            {
                "event": "exception",
                "nodeid": node.nodeid,
                "when": call.when,
                **self.describe(call.excinfo.value, test_file),
            }
        )

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.records.append({"event": "finish", "exitstatus": int(exitstatus)})

    # ---- helpers

    def relative(self, filename: str | None) -> str | None:
        """The workspace-relative path of a file inside the workspace, else None."""
        if not filename or filename.startswith("<"):
            return None
        real = os.path.realpath(os.path.join(self.workspace, filename))
        return real[len(self.prefix) :] if real.startswith(self.prefix) else None

    def describe(self, exc: BaseException, test_file: str | None) -> dict[str, Any]:
        """Its type, message and the frames it points at: the innermost in the workspace, and the
        innermost in the test's own file."""
        exc = _unwrapped(exc)
        record: dict[str, Any] = {
            "error_type": _type_name(exc),
            "message": _first_lines(str(exc)),
            "frame": None,
            "test_frame": None,
        }
        if isinstance(exc, ModuleNotFoundError) and exc.name:
            record["module"] = exc.name
        frames = [
            {"file": rel, "line": s.lineno or 0, "code": (s.line or "").strip(), "function": s.name}
            for s in traceback.extract_tb(exc.__traceback__)
            if (rel := self.relative(s.filename)) is not None
        ]
        if isinstance(exc, SyntaxError) and (rel := self.relative(exc.filename)) is not None:
            frames.append(
                {"file": rel, "line": exc.lineno or 0, "code": (exc.text or "").strip(), "function": ""}
            )
        if frames:
            record["frame"] = frames[-1]
            own = [f for f in frames if f["file"] == test_file]
            record["test_frame"] = own[-1] if own else None
        return record


def _unwrapped(exc: BaseException) -> BaseException:
    seen = 0
    while type(exc).__name__ in WRAPPERS and seen < 5:
        cause = exc.__cause__ or exc.__context__
        if cause is None:
            break
        exc, seen = cause, seen + 1
    return exc


def _type_name(exc: BaseException) -> str:
    """Builtin exceptions by bare name, others with their module, as the worker names them."""
    cls = type(exc)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def _first_lines(text: str) -> str:
    return "\n".join(text.strip().splitlines()[:MESSAGE_LINES])[:MESSAGE_CHARS]
