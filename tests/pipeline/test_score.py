"""The rubric: deductions by severity, caps, rounding, and an itemised rationale."""

from __future__ import annotations

from pathlib import Path

from iacgrade.harness.core.findings import Category, Location, Severity
from iacgrade.harness.core.results import Failure
from iacgrade.harness.pipeline.score import Rubric, score_failures


def _failure(severity: Severity, title: str = "t") -> Failure:
    return Failure(
        rule_id="X001",
        title=title,
        severity=severity,
        category=Category.CDKTF_SYNTAX,
        message="m",
        location=Location(),
    )


def test_no_failures_scores_the_base() -> None:
    score = score_failures([], Rubric.load())
    assert score.value == 10.0
    assert [i.label for i in score.items] == ["Starting score"]


def test_deductions_are_itemised_by_severity() -> None:
    rubric = Rubric.load()
    score = score_failures([_failure(Severity.CRITICAL, "a"), _failure(Severity.MEDIUM, "b")], rubric)
    assert score.value == 8.0  # 10 - 1.5 - 0.25 = 8.25, rounded to the 0.5 step
    labels = [i.label for i in score.items]
    assert labels[1].startswith("Deployment blockers (1 Critical)")
    assert score.items[1].points == -1.5 and "a" in score.items[1].detail


def test_a_severity_never_costs_more_than_its_cap() -> None:
    score = score_failures([_failure(Severity.CRITICAL)] * 20, Rubric.load())
    assert score.value == 4.0
    assert "(capped)" in score.items[1].detail


def test_custom_rubric_from_file(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text('name = "strict"\nbase = 5\nstep = 0\n[severity.Low]\npoints = 1\ncap = 5\n')
    score = score_failures([_failure(Severity.LOW)], Rubric.load(path))
    assert score.value == 4.0 and score.rubric == "strict@1"


def test_the_rationale_counts_in_words_a_reader_expects() -> None:
    one = score_failures([_failure(Severity.CRITICAL, "a")], Rubric.load(), shared=1)
    assert one.summary.endswith("reflects 1 failure the reference does not have, with 1 deployment blocker.")
    assert one.items[-1].detail == "1 finding the reference has too, so no points off"
    two = score_failures([_failure(Severity.CRITICAL, "a"), _failure(Severity.CRITICAL, "b")], Rubric.load())
    assert "2 failures" in two.summary and "2 deployment blockers" in two.summary
    assert (two.items[0].label, two.items[0].detail) == ("Starting score", "before any failure is taken off")


def test_an_answer_with_no_code_scores_the_floor() -> None:
    empty = _failure(Severity.CRITICAL, "The answer contains no code").model_copy(
        update={"rule_id": "SYN002"}
    )
    score = score_failures([empty], Rubric.load())
    assert score.value == 0.0
    assert score.items[-1].label == "Nothing to grade" and score.items[-1].points == -8.5
    # Another single Critical costs its points only.
    assert score_failures([_failure(Severity.CRITICAL)], Rubric.load()).value == 8.5
