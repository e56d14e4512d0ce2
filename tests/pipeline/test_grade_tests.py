"""When the pipeline asks for unit-test runs: the model's tests when it has any, the reference's
only after one of the model's failed. A scripted sandbox answers (no synthesis here: the worker's
runs are tested in tests/platforms/cdktf_python/test_worker_unit_tests.py)."""

from __future__ import annotations

import json
from pathlib import Path

from iacgrade.harness.core.synth import SynthResult, SynthStatus, TestRun
from iacgrade.harness.pipeline.grade import GradeOptions, grade_path
from iacgrade.harness.sandbox.base import Sandbox, SynthRequest
from iacgrade.reports.markdown import synthesis_lines

STACK = """\
from cdktf import TerraformStack
from constructs import Construct


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs):
        super().__init__(scope, construct_id)
"""
TEST = "def test_stack():\n    assert True\n"


def answer(*files: tuple[str, str]) -> str:
    return "\n".join(f"## File: {path}\n\n```python\n{text}```\n" for path, text in files)


def write_task(root: Path, model_tests: bool = True) -> Path:
    task = root / "task"
    task.mkdir()
    (task / "metadata.json").write_text(json.dumps({"platform": "cdktf", "language": "py"}))
    (task / "PROMPT.md").write_text("Build a stack with unit tests.\n")
    model = [("lib/tap_stack.py", STACK)] + ([("tests/unit/test_tap_stack.py", TEST)] if model_tests else [])
    (task / "MODEL_RESPONSE.md").write_text(answer(*model))
    (task / "IDEAL_RESPONSE.md").write_text(
        answer(("lib/tap_stack.py", STACK), ("tests/unit/test_stack.py", TEST))
    )
    return task


class Scripted(Sandbox):
    """Answers every request with an empty successful synth, and a test run when one is asked."""

    name = "scripted"

    def __init__(self, model_fails: bool) -> None:
        self.model_fails = model_fails
        self.requests: list[SynthRequest] = []

    def synth(self, request: SynthRequest) -> SynthResult:
        self.requests.append(request)
        tests = None
        if "tests" in request.options:
            failed = self.model_fails and request.id.endswith(":model")
            case = {"nodeid": "tests/unit/x.py::test_stack", "outcome": "failed" if failed else "passed"}
            tests = TestRun(ran=True, counts={"failed" if failed else "passed": 1}, cases=[case], seconds=1.5)
        return SynthResult(status=SynthStatus.OK, strategy="entry", tests=tests)

    def asked(self) -> list[tuple[str, bool]]:
        return [(r.id.rpartition(":")[2], "tests" in r.options) for r in self.requests]


def test_the_reference_runs_its_tests_only_after_the_models_failed(tmp_path: Path) -> None:
    box = Scripted(model_fails=True)
    result = grade_path(write_task(tmp_path), box)
    assert box.asked() == [("ideal", False), ("model", True), ("ideal", True)]
    assert result.ideal and result.ideal.synth and result.ideal.synth.tests and result.ideal.synth.tests.ran
    # pytest's own seconds are timed apart from the synth's, on both sides.
    assert result.timings["tests_model"] == result.timings["tests_ideal"] == 1.5
    lines = dict(synthesis_lines(result))
    assert "unit tests run: 1 failed" in lines["MODEL_RESPONSE"]
    assert "unit tests run: 1 passed" in lines["IDEAL_RESPONSE"]


def test_passing_model_tests_leave_the_reference_alone(tmp_path: Path) -> None:
    box = Scripted(model_fails=False)
    result = grade_path(write_task(tmp_path), box)
    assert box.asked() == [("ideal", False), ("model", True)]
    assert (
        "tests_ideal" not in result.timings
        and "unit tests" not in dict(synthesis_lines(result))["IDEAL_RESPONSE"]
    )


def test_an_answer_without_tests_asks_for_none(tmp_path: Path) -> None:
    box = Scripted(model_fails=True)
    grade_path(write_task(tmp_path, model_tests=False), box)
    assert box.asked() == [("ideal", False), ("model", False)]


def test_a_run_without_tests_asks_for_none(tmp_path: Path) -> None:
    box = Scripted(model_fails=True)
    grade_path(write_task(tmp_path), box, GradeOptions(tests=False))
    assert box.asked() == [("ideal", False), ("model", False)]
