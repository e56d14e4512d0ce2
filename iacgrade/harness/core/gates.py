"""CI gates over a run's results: `--fail-under SCORE` and `--fail-on SEVERITY`.

A gate reads only what grading produced; it never changes a result. `--fail-under` compares the
mean score of the graded tasks (tasks that could not be graded have no score to average, and
their status already sets the exit code); `--fail-on` looks at every model failure of every task.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from iacgrade.harness.core.findings import Severity
from iacgrade.harness.core.results import TaskResult, TaskStatus


class Gate(StrEnum):
    FAIL_ON = "fail-on"
    FAIL_UNDER = "fail-under"


@dataclass(frozen=True)
class Breach:
    """A gate the results did not pass, and why (one line a CI log shows)."""

    gate: Gate
    message: str


def mean_score(results: Sequence[TaskResult]) -> float | None:
    """The mean score of the graded tasks; None when no task has a score."""
    scores = [r.score.value for r in results if r.status is TaskStatus.GRADED and r.score is not None]
    return sum(scores) / len(scores) if scores else None


def failures_at_or_above(results: Sequence[TaskResult], severity: Severity) -> dict[str, int]:
    """Per task, how many model failures are at `severity` or worse (tasks with none left out)."""
    counts: dict[str, int] = {}
    for r in results:
        n = sum(1 for f in r.failures if f.severity.rank <= severity.rank)
        if n:
            counts[r.task_id] = n
    return counts


def check_gates(
    results: Sequence[TaskResult], fail_under: float | None = None, fail_on: Severity | None = None
) -> list[Breach]:
    """The gates `results` breach, `--fail-on` first; empty when every gate passes."""
    breaches: list[Breach] = []
    if fail_on is not None:
        hit = failures_at_or_above(results, fail_on)
        if hit:
            tasks = ", ".join(f"{task} ({n})" for task, n in sorted(hit.items()))
            found = f"{sum(hit.values())} model failure(s) at {fail_on.value} or above"
            breaches.append(Breach(Gate.FAIL_ON, f"{found}: {tasks}"))
    if fail_under is not None:
        mean = mean_score(results)
        if mean is None:
            # Nothing was graded, so nothing shows the score is high enough.
            message = f"no graded task, so no mean score to hold to {fail_under:g}"
            breaches.append(Breach(Gate.FAIL_UNDER, message))
        elif mean < fail_under:
            breaches.append(Breach(Gate.FAIL_UNDER, f"mean score {mean:.2f} is below {fail_under:g}"))
    return breaches
