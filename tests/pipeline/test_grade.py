"""End to end on the example tasks, with real synthesis in the local sandbox."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from iacgrade.harness.batch.executor import ThreadExecutor
from iacgrade.harness.batch.runner import run_batch
from iacgrade.harness.core.results import TaskResult, TaskStatus
from iacgrade.harness.core.synth import SynthStatus
from iacgrade.harness.pipeline.grade import GradeOptions, grade_path
from iacgrade.harness.sandbox.local import LocalSandbox
from iacgrade.reports.markdown import render_analysis
from tests.paths import REPO

ROOT = REPO
TASKS = ROOT / "tasks"

pytestmark = pytest.mark.synth


@pytest.fixture(scope="module")
def sandbox(local_sandbox: LocalSandbox) -> LocalSandbox:
    return local_sandbox


@pytest.fixture(scope="module")
def seed(sandbox: LocalSandbox) -> TaskResult:
    return grade_path(TASKS / "seed-multi-region-dr", sandbox, GradeOptions())


def _by_rule(result: TaskResult) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in result.failures:
        out.setdefault(f.rule_id, []).append(str(f.location))
    return out


def test_seed_model_fails_synth_with_the_constructor_mismatch(seed: TaskResult) -> None:
    assert seed.status is TaskStatus.GRADED and not seed.model_only
    assert seed.model and seed.model.synth and seed.model.synth.status is SynthStatus.ERROR
    assert seed.model.synth.error_type == "TypeError"
    # The synth error is folded into the static finding about the same call (one failure, not two).
    assert not [f for f in seed.failures if f.rule_id == "SYN001"]
    syn = next(f for f in seed.failures if "SYN001" in f.merged)
    assert syn.rule_id == "PY007"
    assert str(syn.location) == "tap.py:29"
    assert "unexpected keyword argument 'environment_suffix'" in syn.error
    assert syn.model_code and "def __init__(self, scope: Construct, id: str)" in syn.model_code.code
    assert syn.ideal_code and "stack_id: str" in syn.ideal_code.code


def test_seed_rules_still_run_on_the_fallback_json(seed: TaskResult) -> None:
    assert seed.model and seed.model.synth and seed.model.synth.stacks_strategy in ("scaffold", "bare")
    backend = next(f for f in seed.failures if f.rule_id == "TF001")
    assert "fallback strategy" in backend.note
    assert (
        backend.ideal_code
        and "S3Backend(" in backend.ideal_code.code
        and "encrypt=True" in backend.ideal_code.code
    )


def test_seed_is_judged_in_the_archive_profile_its_folder_names(seed: TaskResult) -> None:
    # tasks/seed-multi-region-dr/iacgrade.toml names the archive's pipeline: remote state is
    # required there, so the missing backend is Critical, as the seed analysis rates it.
    assert seed.environment["profile"] == "archive" and seed.environment["remote_state_required"] is True
    assert seed.environment["judged_from"] in ("task", "today")
    backend = next(f for f in seed.failures if f.rule_id == "TF001" and f.anchor == "backend:missing")
    assert backend.severity.value == "Critical"
    assert "`archive` environment profile" in render_analysis(seed)


def test_seed_analysis_merges_places_puts_the_blocker_first_and_labels_errors(seed: TaskResult) -> None:
    rendered = render_analysis(seed)
    headings = re.findall(r"^### \d+\. (.+)$", rendered, flags=re.MULTILINE)
    # The synth blocker first; the two route tables with the same dict route merged into one.
    assert headings[0].endswith("(PY007)")
    assert any("(2 route tables, PY005)" in h for h in headings)
    first = rendered.split("### 2. ")[0]
    assert "**Error (observed at synth)**:" in first and "**Expected error" not in first
    assert "**Expected error at deploy (not run)**:" in rendered


def test_seed_reports_the_id_shadowing_once(seed: TaskResult) -> None:
    assert _by_rule(seed)["PY001"] == ["lib/tap_stack.py:32"]


def test_seed_reference_synthesizes_and_is_clean(seed: TaskResult) -> None:
    assert seed.ideal and seed.ideal.synth and seed.ideal.synth.status is SynthStatus.OK
    assert seed.ideal.synth.stacks and seed.ideal_only == []


def test_clean_task_has_no_failures(sandbox: LocalSandbox) -> None:
    result = grade_path(TASKS / "clean-s3-static-site", sandbox, GradeOptions())
    assert result.status is TaskStatus.GRADED
    assert result.failures == [] and result.score and result.score.value == 10.0


def test_prose_reference_is_graded_model_only(sandbox: LocalSandbox) -> None:
    result = grade_path(TASKS / "prose-ideal", sandbox, GradeOptions())
    assert result.model_only and "prose" in result.reason
    syn = next(f for f in result.failures if "SYN001" in f.merged)
    assert syn.rule_id == "PY002"
    assert "S3BucketVersioning" in syn.error


def test_malformed_task_is_invalid_with_a_reason(sandbox: LocalSandbox) -> None:
    result = grade_path(TASKS / "malformed-missing-model", sandbox, GradeOptions())
    assert result.status is TaskStatus.INVALID and "MODEL_RESPONSE.md is missing" in result.reason


def test_batch_writes_every_task_and_resumes_without_regrading(sandbox: LocalSandbox, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    first = run_batch([TASKS], run_dir, ThreadExecutor(sandbox, GradeOptions()))
    count = len([p for p in TASKS.iterdir() if p.is_dir()])
    assert first.total == count and first.graded_now == count
    for r in first.results:
        assert (run_dir / r.task_id / "result.json").is_file()
        assert (run_dir / r.task_id / "analysis.md").is_file()
    csv = pd.read_csv(run_dir / "results.csv")
    assert sorted(csv["task_id"]) == sorted(r.task_id for r in first.results)
    assert set(csv.loc[csv.task_id == "malformed-missing-model", "status"]) == {"invalid"}
    stamp = (run_dir / "seed-multi-region-dr" / "result.json").stat().st_mtime_ns
    second = run_batch([TASKS], run_dir, ThreadExecutor(sandbox, GradeOptions()))
    assert second.graded_now == 0 and second.skipped == count
    assert (run_dir / "seed-multi-region-dr" / "result.json").stat().st_mtime_ns == stamp
    assert pd.read_csv(run_dir / "results.csv").equals(csv)


def test_cli_grade_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "seed"
    env = {**os.environ, "COLUMNS": "120"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "iacgrade.harness.cli",
            "grade",
            str(TASKS / "clean-s3-static-site"),
            "--out",
            str(out),
            "--sandbox",
            "local",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "score 10" in proc.stderr
    data = json.loads((out / "result.json").read_text())
    assert data["status"] == "graded" and data["model"]["synth"]["status"] == "ok"
    assert (out / "analysis.md").read_text().startswith("# Model Response Failures Analysis")


def test_cli_exit_codes_for_usage_and_invalid_tasks(tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "iacgrade.harness.cli", *args],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=ROOT,
        )

    assert cli("grade", str(tmp_path / "nope"), "--out", str(tmp_path / "o")).returncode == 2
    assert cli("rules", "NOPE999").returncode == 2
    rules = cli("rules", "SYN001")
    assert rules.returncode == 0 and "What it flags" in rules.stdout
    assert "Source: iacgrade/graders/synth/outcome.py:" in rules.stdout
