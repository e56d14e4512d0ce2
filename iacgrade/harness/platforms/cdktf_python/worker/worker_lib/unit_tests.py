"""Running an answer's unit tests with pytest, after its synth, in the worker's workspace.

The worker runs pytest in its own process, on the toolchain it has loaded, in the workspace the
app was just synthesized in and with the app's environment (fake AWS keys, no network, the app's
temp folder, the seeded draws and fixed clock), its output captured and its soft timer armed
(`Worker.run_unit_tests`). A second process would load the provider again: ~15 s, and as much
memory again as the worker, which a 2 GB container does not have. Test modules, pytest's import
hooks and whatever the tests patch may outlast the run, so the worker then asks to be replaced.
Which files to run is the request's (`tests.paths`, chosen by the platform: unit tests, never
integration tests, which need a deployed stack).

`arguments` is the command line; `pytest_report.Reporter` records the session's events and
`summarise` turns them into the reply's `tests`:
{"ran", "reason", "timed_out", "exit_status", "paths", "counts", "cases", "seconds", "output_tail"}
with a case per test (or per file that failed to collect):
{"nodeid", "outcome": passed|failed|error|skipped, "when", "error_type", "message", "module",
 "frame", "test_frame"}.
"""

from __future__ import annotations

from typing import Any

# Enough for any answer's suite; a report of more is cut (the counts stay whole).
MAX_CASES = 300
OUTCOMES = ("passed", "failed", "error", "skipped")
# pytest's exit status when it ran but collected nothing (the files hold no test).
NO_TESTS_COLLECTED = 5
# The variable that keeps installed pytest plugins out: the run is the same in every sandbox.
NO_AUTOLOAD = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


def not_run(reason: str, paths: list[str] | None = None) -> dict[str, Any]:
    return {"ran": False, "reason": reason, "paths": paths or [], "counts": {}, "cases": []}


def arguments(paths: list[str], workspace: str) -> list[str]:
    """pytest's command line for `paths`, as a project runs it from its root."""
    return [
        *paths,
        # No .pytest_cache in the workspace, and no options the answer's ini adds for plugins the
        # sandbox lacks (`--cov`): the run is the tests, as written.
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",
        "--rootdir",
        workspace,
        # A file that does not import must not keep the other files' tests from running.
        "--continue-on-collection-errors",
        "-q",
        "--color=no",
        "--tb=short",
    ]


def summarise(records: list[dict[str, Any]], status: int, timed_out: bool, seconds: float) -> dict[str, Any]:
    """The reply's `tests` from the plugin's records and pytest's exit status."""
    cases: dict[str, dict[str, Any]] = {}
    raised: dict[tuple[str, str], dict[str, Any]] = {}
    started = False
    for record in records:
        event, nodeid = record.get("event"), str(record.get("nodeid", ""))
        started = started or event in ("collected", "collect", "report")
        if event == "collect":
            cases[nodeid] = {
                "nodeid": nodeid,
                "outcome": "error",
                "when": "collect",
                "longrepr": record.get("longrepr"),
            }
        elif event == "report":
            _add_phase(cases, nodeid, record)
        elif event == "exception":
            raised[(nodeid, str(record.get("when", "")))] = record
    for case in cases.values():
        _describe(case, raised.get((case["nodeid"], case.get("when", ""))))
    if timed_out:
        # What the time limit cut off is no failure of the test it interrupted.
        cases = {k: c for k, c in cases.items() if not str(c.get("error_type", "")).endswith("SynthTimeout")}
    counts = {name: 0 for name in OUTCOMES}
    for case in cases.values():
        counts[case["outcome"]] += 1
    collected = next((r.get("count") for r in records if r.get("event") == "collected"), None)
    if isinstance(collected, int):
        counts["collected"] = collected
    reason = ""
    if timed_out:
        reason = f"the tests ran past their time limit of {seconds:g} s"
    elif not started:
        reason = f"pytest stopped before collecting (exit status {status})"
    elif status == NO_TESTS_COLLECTED:
        reason = "the test files hold no test"
    return {
        "ran": started,
        "reason": reason,
        "timed_out": timed_out,
        "exit_status": status,
        "counts": counts,
        # Failures first, so a cut report still holds every one of them.
        "cases": sorted(cases.values(), key=lambda c: c["outcome"] == "passed")[:MAX_CASES],
    }


def _add_phase(cases: dict[str, dict[str, Any]], nodeid: str, record: dict[str, Any]) -> None:
    """Fold one phase into the test's case: a failed setup or teardown is an error, a failed
    call a failure; the first phase that went wrong is the one the case tells."""
    when, outcome = str(record.get("when", "")), str(record.get("outcome", ""))
    case = cases.setdefault(nodeid, {"nodeid": nodeid, "outcome": "passed", "when": ""})
    if case["when"] and case["outcome"] in ("failed", "error"):
        return
    if outcome == "failed":
        case["outcome"] = "failed" if when == "call" else "error"
        case["when"], case["longrepr"] = when, record.get("longrepr")
    elif outcome == "skipped":
        case["outcome"], case["when"] = "skipped", when
        case["message"] = str(record.get("longrepr") or "")


def _describe(case: dict[str, Any], raised: dict[str, Any] | None) -> None:
    longrepr = case.pop("longrepr", None)
    if case["outcome"] == "passed":
        case.pop("when", None)
    if case["outcome"] not in ("failed", "error"):
        return
    if raised is not None:
        for key in ("error_type", "message", "module", "frame", "test_frame"):
            if raised.get(key) is not None:
                case[key] = raised[key]
    else:
        case["message"] = str(longrepr or "")
