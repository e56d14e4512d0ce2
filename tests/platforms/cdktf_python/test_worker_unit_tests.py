"""The worker's unit-test runs: the plugin's lines folded into the reply, and real runs of an
answer's tests in each sandbox (the local one, and the container, whose image must carry pytest)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from iacgrade.harness.core.synth import SynthResult, SynthStatus, TestOutcome
from iacgrade.harness.platforms.cdktf_python.worker.worker_lib.unit_tests import summarise
from iacgrade.harness.sandbox.base import Sandbox, SynthRequest
from iacgrade.harness.sandbox.pool import WorkerPoolSandbox
from tests.rule_fixtures import rule_case
from tests.rule_synth import synth_case


def report(nodeid: str, when: str, outcome: str, **extra: Any) -> dict[str, Any]:
    return {"event": "report", "nodeid": nodeid, "when": when, "outcome": outcome, **extra}


def test_phases_fold_into_one_case_per_test() -> None:
    records = [
        {"event": "collected", "count": 3},
        report("t.py::ok", "setup", "passed"),
        report("t.py::ok", "call", "passed"),
        report("t.py::ok", "teardown", "passed"),
        report("t.py::bad", "setup", "passed"),
        report("t.py::bad", "call", "failed", longrepr="E assert 1 == 2"),
        {
            "event": "exception",
            "nodeid": "t.py::bad",
            "when": "call",
            "error_type": "AssertionError",
            "message": "assert 1 == 2",
            "frame": {"file": "t.py", "line": 7, "code": "assert 1 == 2"},
        },
        report("t.py::bad", "teardown", "failed", longrepr="teardown broke"),
        report("t.py::fixture", "setup", "failed", longrepr="E fixture 'stack' not found"),
        report("t.py::fixture", "teardown", "passed"),
        {"event": "finish", "exitstatus": 1},
    ]
    out = summarise(records, 1, False, 120)
    assert out["ran"] and out["reason"] == ""
    assert out["counts"] == {"passed": 1, "failed": 1, "error": 1, "skipped": 0, "collected": 3}
    by_id = {c["nodeid"]: c for c in out["cases"]}
    # The call's failure is what the case tells; the teardown after it does not overwrite it.
    assert by_id["t.py::bad"]["outcome"] == "failed" and by_id["t.py::bad"]["frame"]["line"] == 7
    # No exception line: the report's own text stands in.
    assert by_id["t.py::fixture"] == {
        "nodeid": "t.py::fixture",
        "outcome": "error",
        "when": "setup",
        "message": "E fixture 'stack' not found",
    }
    assert by_id["t.py::ok"] == {"nodeid": "t.py::ok", "outcome": "passed"}
    assert [c["outcome"] for c in out["cases"]][-1] == "passed"  # failures first


def test_a_file_that_does_not_collect_is_an_error_case() -> None:
    records = [
        {"event": "collect", "nodeid": "t.py", "longrepr": "ImportError while importing test module"},
        {
            "event": "exception",
            "nodeid": "t.py",
            "when": "collect",
            "error_type": "ModuleNotFoundError",
            "message": "No module named 'moto'",
            "module": "moto",
        },
        {"event": "collected", "count": 0},
    ]
    out = summarise(records, 2, False, 120)
    assert out["counts"]["error"] == 1
    assert out["cases"] == [
        {
            "nodeid": "t.py",
            "outcome": "error",
            "when": "collect",
            "error_type": "ModuleNotFoundError",
            "message": "No module named 'moto'",
            "module": "moto",
        }
    ]


def test_the_test_the_time_limit_cut_off_is_no_failure() -> None:
    records = [
        {"event": "collected", "count": 2},
        report("t.py::slow", "call", "failed", longrepr="SynthTimeout"),
        {"event": "exception", "nodeid": "t.py::slow", "when": "call", "error_type": "__main__.SynthTimeout"},
    ]
    out = summarise(records, 2, True, 10)
    assert out["timed_out"] and out["cases"] == [] and out["counts"]["failed"] == 0


def test_runs_that_stop_early_say_why() -> None:
    assert summarise([], 4, False, 120)["reason"] == "pytest stopped before collecting (exit status 4)"
    assert not summarise([], 4, False, 120)["ran"]
    late = summarise([{"event": "collected", "count": 1}], -9, True, 3)
    assert (
        late["ran"] and late["timed_out"] and late["reason"] == "the tests ran past their time limit of 3 s"
    )
    assert (
        summarise([{"event": "collected", "count": 0}], 5, False, 120)["reason"]
        == "the test files hold no test"
    )


# ---- real runs, in each sandbox


@pytest.fixture(
    scope="module",
    params=[pytest.param("local", marks=pytest.mark.synth), pytest.param("docker", marks=pytest.mark.docker)],
)
def sandbox(request: pytest.FixtureRequest) -> Iterator[WorkerPoolSandbox]:
    if request.param == "local":
        from iacgrade.harness.sandbox.local import LocalSandbox

        box: WorkerPoolSandbox = LocalSandbox(slots=1)
    else:
        from iacgrade.harness.sandbox.docker import DockerSandbox
        from tests.sandbox import require_sandbox_image

        require_sandbox_image()
        box = DockerSandbox(slots=1)
    try:
        yield box
    finally:
        box.close()


def test_a_failing_unit_test_is_reported_with_its_assertion_and_line(sandbox: Sandbox) -> None:
    result = synth_case(rule_case("TST002", "fails"), sandbox)
    assert result.status is SynthStatus.OK and result.tests is not None and result.tests.ran
    run = result.tests
    assert run.paths == ["tests/unit/test_tap_stack.py"]
    assert run.counts == {"passed": 1, "failed": 2, "error": 0, "skipped": 0, "collected": 3}
    by_name = {c.nodeid.rpartition("::")[2]: c for c in run.cases}
    versioned = by_name["test_bucket_is_versioned"]
    assert versioned.outcome is TestOutcome.FAILED and versioned.error_type == "AssertionError"
    assert versioned.message.startswith("assert 'aws_s3_bucket_versioning' in {'aws_s3_bucket':")
    assert versioned.frame and (versioned.frame.file, versioned.frame.line) == (
        "tests/unit/test_tap_stack.py",
        20,
    )
    # An exception in the answer's code: the innermost frame is there, the test's own line is kept.
    raised = by_name["test_empty_suffix_falls_back_to_dev"]
    assert raised.error_type == "ValueError" and raised.frame and raised.test_frame
    assert (raised.frame.file, raised.frame.line) == ("lib/tap_stack.py", 9)
    assert (raised.test_frame.file, raised.test_frame.line) == ("tests/unit/test_tap_stack.py", 24)
    assert by_name["test_bucket_is_named_for_the_environment"].outcome is TestOutcome.PASSED
    # No path of the worker reaches the reply.
    assert "iacgrade-worker" not in result.model_dump_json()


def test_integration_tests_are_not_run(sandbox: Sandbox) -> None:
    result = synth_case(rule_case("TST002", "passes"), sandbox)
    assert result.tests is not None and result.tests.ran
    assert result.tests.paths == ["tests/unit/test_tap_stack.py"]
    assert result.tests.counts["passed"] == 2 and not result.tests.failures


SLOW_TEST = "import time\n\n\ndef test_slow():\n    time.sleep(60)\n"


def test_tests_past_their_time_are_stopped_and_the_worker_serves_on(sandbox: Sandbox) -> None:
    files = {
        **rule_case("TST002", "passes").files(),
        "tests/unit/test_slow.py": SLOW_TEST,
        "tap.py": "from cdktf import App\nfrom lib.tap_stack import TapStack\n\napp = App()\n"
        'TapStack(app, "TapStackdev")\napp.synth()\n',
    }
    request = SynthRequest(
        id="slow:model",
        files=files,
        entry="tap.py",
        timeout=70.0,
        options={"tests": {"paths": ["tests/unit/test_slow.py"], "seconds": 10.0}},
    )
    result = sandbox.synth(request)
    assert result.status is SynthStatus.OK and result.tests is not None
    assert result.tests.timed_out and "time limit of" in result.tests.reason
    assert result.tests.seconds < 30
    again = sandbox.synth(SynthRequest(id="after:model", files=files, entry="tap.py", timeout=60.0))
    assert again.status is SynthStatus.OK and again.tests is None


def test_a_result_without_tests_reads_as_before() -> None:
    assert SynthResult.from_reply({"status": "ok"}).tests is None
