"""--select/--ignore and the reviewer's ignore list through the pipeline: what is skipped, what
is set aside and shown, what the cache keeps, and that the answer's own comments count for nothing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from iacgrade.graders.registry import load_rules, run_rules
from iacgrade.harness.core.findings import Outcome
from iacgrade.harness.core.results import TaskResult, TaskStatus
from iacgrade.harness.core.selection import RuleSelection
from iacgrade.harness.pipeline.cache import ResultCache
from iacgrade.harness.pipeline.cached import run_rules_cached
from iacgrade.harness.pipeline.grade import GradeOptions, grade_path
from iacgrade.harness.sandbox.local import LocalSandbox
from iacgrade.reports.markdown import render_analysis
from tests.paths import TASKS
from tests.rule_fixtures import rule_case

HCL_TASK = TASKS / "tf-hcl-logs-bucket"
# What the example task's model answer gets wrong, at main.tf lines (its README).
HCL005_LINE = 25


def test_deselected_rules_are_skipped_with_the_reason() -> None:
    ctx = rule_case("TF001", "fails").context()
    assert any(f.rule_id == "TF001" for f in run_rules(ctx, only=["TF001"]).findings)
    run = run_rules(ctx, only=["TF001"], selection=RuleSelection.of(ignore=["tf"]))
    assert run.findings == []
    [outcome] = run.outcomes
    assert (outcome.outcome, outcome.detail) == (Outcome.SKIP, "deselected by ignore 'TF'")
    other = run_rules(ctx, only=["TF001"], selection=RuleSelection.of(select=["AWS"]))
    assert other.findings == [] and other.outcomes[0].detail.startswith("deselected: not matched")


def test_a_check_is_deselected_alone_and_the_cache_keeps_the_whole_output(tmp_path: Path) -> None:
    ctx = rule_case("SEC001", "hcl-fails").context()
    cache = ResultCache(tmp_path)
    catalogue = {"SEC001": load_rules()["SEC001"]}
    hidden = run_rules_cached(ctx, cache, catalogue, RuleSelection.of(ignore=["SEC:CKV_AWS_24"]))
    assert "SEC:CKV_AWS_24" not in {f.rule_id for f in hidden.findings}
    assert "deselected checks left out" in hidden.outcomes[0].detail
    # The next run, without the selection, is answered from the cache: with the finding.
    shown = run_rules_cached(ctx, cache, catalogue)
    assert "SEC:CKV_AWS_24" in {f.rule_id for f in shown.findings}
    assert "SEC:CKV_AWS_24" in {f.rule_id for f in run_rules_cached(ctx, cache, catalogue).findings}


@pytest.fixture(scope="module")
def box() -> Iterator[LocalSandbox]:
    sandbox = LocalSandbox(slots=1)
    yield sandbox
    sandbox.close()


def _task(tmp_path: Path, metadata: dict[str, object] | None = None, model_line: str = "") -> Path:
    task = tmp_path / "task"
    shutil.copytree(HCL_TASK, task)
    if metadata is not None:
        data = json.loads((task / "metadata.json").read_text())
        (task / "metadata.json").write_text(json.dumps({**data, **metadata}))
    if model_line:
        answer = task / "MODEL_RESPONSE.md"
        old = "  bucket = aws_s3_bucket.log.id\n"
        assert old in answer.read_text()
        answer.write_text(answer.read_text().replace(old, f"  bucket = aws_s3_bucket.log.id {model_line}\n"))
    return task


def _failures(result: TaskResult) -> set[tuple[str, int | None]]:
    return {(f.rule_id, f.location.line) for f in result.failures}


@pytest.fixture(scope="module")
def baseline(box: LocalSandbox, tmp_path_factory: pytest.TempPathFactory) -> TaskResult:
    return grade_path(_task(tmp_path_factory.mktemp("base")), box, GradeOptions())


def test_the_reviewers_ignore_list_is_shown_and_not_scored(
    box: LocalSandbox, baseline: TaskResult, tmp_path: Path
) -> None:
    reason = "the reviewer accepts the typo in this task"
    task = _task(tmp_path, {"iacgrade": {"ignore": [{"rule": "HCL005", "reason": reason}]}})
    result = grade_path(task, box, GradeOptions())
    assert ("HCL005", HCL005_LINE) in _failures(baseline)
    assert result.status is TaskStatus.GRADED
    assert _failures(result) == _failures(baseline) - {("HCL005", HCL005_LINE)}
    assert result.score is not None and baseline.score is not None
    assert result.score.value > baseline.score.value
    assert result.model is not None and "HCL005" not in {f.rule_id for f in result.model.findings}
    [ignored] = result.reviewer_ignored
    assert (ignored.finding.rule_id, ignored.pattern, ignored.reason) == ("HCL005", "HCL005", reason)
    analysis = render_analysis(result)
    assert "## Ignored by the reviewer" in analysis
    assert (
        f"| `HCL005` | main.tf:{HCL005_LINE} | {reason} (metadata.json ignore entry `HCL005`) |" in analysis
    )
    assert "## Ignored by the reviewer" not in render_analysis(baseline)


def test_a_misshapen_ignore_list_makes_the_task_invalid(box: LocalSandbox, tmp_path: Path) -> None:
    result = grade_path(_task(tmp_path, {"iacgrade": {"ignore": "HCL005"}}), box, GradeOptions())
    assert result.status is TaskStatus.INVALID and "must be a list" in result.reason


def test_suppression_comments_in_the_answer_count_for_nothing(
    box: LocalSandbox, baseline: TaskResult, tmp_path: Path
) -> None:
    comment = "# iacgrade: ignore  # nosec  # checkov:skip=HCL005  # tflint-ignore: all"
    result = grade_path(_task(tmp_path, model_line=comment), box, GradeOptions())
    assert ("HCL005", HCL005_LINE) in _failures(result)
    assert _failures(result) == _failures(baseline)
    assert result.reviewer_ignored == []


def test_the_runs_selection_skips_rules_and_says_so(box: LocalSandbox, baseline: TaskResult) -> None:
    options = GradeOptions(selection=RuleSelection.of(ignore=["HCL005"]))
    result = grade_path(HCL_TASK, box, options)
    assert _failures(result) == _failures(baseline) - {("HCL005", HCL005_LINE)}
    assert result.model is not None
    skipped = {o.rule_id: o.detail for o in result.model.outcomes if o.outcome is Outcome.SKIP}
    assert skipped["HCL005"] == "deselected by ignore 'HCL005'"
    assert result.selection == {"select": [], "ignore": ["HCL005"]}
    analysis = render_analysis(result)
    assert "Rules were deselected for this run (ignore `HCL005`): 1 rule was not run." in analysis
    assert "deselected" not in render_analysis(baseline)
