"""The shipped HCL example task graded end to end: no sandbox worker is asked, real checkov runs."""

from __future__ import annotations

from iacgrade.harness.core.results import TaskStatus
from iacgrade.harness.pipeline.grade import GradeOptions, grade_path
from iacgrade.harness.sandbox.local import LocalSandbox
from tests.paths import TASKS


def test_the_example_task_finds_the_three_mistakes_at_their_lines() -> None:
    box = LocalSandbox(slots=1)
    try:
        result = grade_path(TASKS / "tf-hcl-logs-bucket", box, GradeOptions())
    finally:
        box.close()
    assert result.status is TaskStatus.GRADED and not result.model_only
    assert result.model is not None and result.ideal is not None
    critical = sorted(
        (f.rule_id, f.location.path, f.location.line)
        for f in result.model.findings
        if f.severity.value == "Critical"
    )
    assert critical == [("HCL005", "main.tf", 25), ("HCL006", "main.tf", 42), ("HCL007", "main.tf", 31)]
    assert not [f for f in result.ideal.findings if f.severity.value == "Critical"]
