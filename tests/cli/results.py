"""Task results made by hand, for tests of what renders or judges them without grading anything."""

from __future__ import annotations

from iacgrade.harness.core.findings import Category, Location, Severity
from iacgrade.harness.core.results import Failure, Score, TaskResult, TaskStatus


def failure(severity: Severity, rule_id: str = "AWS001", line: int = 3) -> Failure:
    return Failure(
        rule_id=rule_id,
        title=f"{severity.value} thing",
        severity=severity,
        category=Category.RESOURCE_CONFIGURATION,
        message="wrong",
        location=Location(path="main.tf", line=line),
        anchor=f"{rule_id}:{line}",
    )


def graded(task_id: str, score: float, *severities: Severity) -> TaskResult:
    return TaskResult(
        task_id=task_id,
        status=TaskStatus.GRADED,
        score=Score(value=score),
        failures=[failure(s, line=i + 1) for i, s in enumerate(severities)],
        timings={"total": 1.25},
        metadata={"platform": "tf"},
    )


def broken(task_id: str, status: TaskStatus = TaskStatus.INVALID) -> TaskResult:
    return TaskResult(task_id=task_id, status=status, reason="no MODEL_RESPONSE.md")
