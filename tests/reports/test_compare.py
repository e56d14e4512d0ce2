"""`iacgrade diff`: failures new, fixed and unchanged by fingerprint, the paired bootstrap interval
of the mean score difference, the regression gate and its exit code, the JSON shape.

The last tests grade two real runs of the example tasks (the HCL and CloudFormation ones, which
need no sandbox worker) where one answer was edited between them.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iacgrade.harness.cli import EXIT_REGRESSION, EXIT_USAGE, app
from iacgrade.harness.core.findings import Category, Severity
from iacgrade.harness.core.results import TaskResult, TaskStatus
from iacgrade.reports.compare import (
    CompareError,
    RuleChange,
    TaskDiff,
    _score_diff,
    compare_runs,
    render,
    to_json,
)
from iacgrade.reports.dashboard import write_dashboard
from iacgrade.reports.sarif import FINGERPRINT_KEY, fingerprint
from tests.paths import REPO, TASKS
from tests.reports.test_dashboard import AWS, PY, SYN, TF, make_failure, make_result, parse, write_run
from tests.reports.test_sarif import assert_sarif

MOVED_SYN = make_failure(*SYN, line=40, anchor="TapStack.__init__")


def _runs(tmp_path: Path) -> tuple[Path, Path]:
    a = [
        make_result(
            "T1",
            6.0,
            [make_failure(*SYN, line=10, anchor="TapStack.__init__"), make_failure(*PY, anchor="helper")],
        ),
        make_result("T2", 5.0, [make_failure(*TF, anchor="backend")]),
        make_result("T3", 8.0, []),
        make_result("T5", 4.0, []),
    ]
    b = [
        # SYN001 moved 30 lines (same anchor): unchanged; PY001 is gone; AWS003 is new.
        make_result("T1", 5.0, [MOVED_SYN, make_failure(*AWS, anchor="aws_db_instance.db")]),
        # The harness failed on T2 this time: nothing of it is compared.
        make_result("T2", None, status=TaskStatus.ERROR, reason="boom"),
        make_result("T3", 8.0, []),
        make_result("T6", 3.0, [make_failure(*SYN)]),
    ]
    return write_run(tmp_path / "a", a), write_run(tmp_path / "b", b)


def test_failures_are_matched_by_fingerprint(tmp_path: Path) -> None:
    diff = compare_runs(*_runs(tmp_path))
    tasks = {t.task_id: t for t in diff.tasks}
    assert set(tasks) == {"T1", "T2", "T3"}
    t1 = tasks["T1"]
    assert [f.rule_id for f in t1.new] == ["AWS003"]
    assert [f.rule_id for f in t1.fixed] == ["PY001"]
    assert [f.rule_id for f in t1.unchanged] == ["SYN001"]
    # The SARIF fingerprint, one definition: the moved failure keeps the identity it had.
    assert t1.unchanged[0].fingerprint == fingerprint("T1", MOVED_SYN)
    assert t1.unchanged[0].location == "lib/tap_stack.py:40"  # where it is now
    assert (diff.count("new"), diff.count("fixed"), diff.count("unchanged")) == (1, 1, 1)
    assert [t.task_id for t in diff.changed] == ["T1", "T2"]
    assert not tasks["T3"].changed


def test_a_failure_whose_anchor_changed_at_the_same_place_is_unchanged(tmp_path: Path) -> None:
    # A rule version that names the resource anew: the fingerprint changes, the place does not.
    old = make_failure(*AWS, line=14, anchor="checkov:CKV_AWS_20:AWS::S3::Bucket.Logs")
    renamed = make_failure(*AWS, line=14, anchor="checkov:CKV_AWS_20:aws_s3_bucket.Logs")
    elsewhere = make_failure(*AWS, line=90, anchor="checkov:CKV_AWS_20:aws_s3_bucket.Other")
    unplaced = make_failure(*TF, path=None, line=None, anchor="backend:a")
    unplaced_renamed = make_failure(*TF, path=None, line=None, anchor="backend:b")
    a = write_run(tmp_path / "a", [make_result("T1", 5.0, [old, unplaced])])
    b = write_run(tmp_path / "b", [make_result("T1", 5.0, [renamed, elsewhere, unplaced_renamed])])
    t1 = compare_runs(a, b).tasks[0]
    assert [(f.rule_id, f.location) for f in t1.unchanged] == [("AWS003", "lib/tap_stack.py:14")]
    assert t1.unchanged[0].fingerprint == fingerprint("T1", renamed)
    assert t1.unchanged[0].previous_fingerprint == fingerprint("T1", old)
    # A new place is new; with no file and line to go by, only the fingerprint matches.
    assert [(f.rule_id, f.location) for f in t1.new] == [("AWS003", "lib/tap_stack.py:90"), ("TF001", "")]
    assert [f.rule_id for f in t1.fixed] == ["TF001"]


def test_a_failure_rated_anew_is_unchanged_and_says_so(tmp_path: Path) -> None:
    medium = make_failure("CFN:W1031", Severity.MEDIUM, Category.PARAMETER_VALIDATION, anchor="sub")
    critical = medium.model_copy(update={"severity": Severity.CRITICAL})
    a = write_run(tmp_path / "a", [make_result("T1", 9.0, [medium])])
    b = write_run(tmp_path / "b", [make_result("T1", 8.0, [critical])])
    diff = compare_runs(a, b)
    t1 = diff.tasks[0]
    assert (t1.new, t1.fixed) == ([], [])
    assert [(f.previous_severity, f.severity) for f in t1.unchanged] == [("Medium", "Critical")]
    assert t1.changed and [f.rule_id for _, f in diff.rerated] == ["CFN:W1031"]
    assert "- T1: CFN:W1031 Medium → Critical" in render(diff, "markdown")
    out = tmp_path / "dashboard.html"
    write_dashboard([a, b], out)
    assert ">CFN:W1031 Medium → Critical</span>" in out.read_text(encoding="utf-8").split('id="changes-1"')[1]
    assert json.loads(render(diff, "json"))["summary"]["severity_changed"] == 1


def test_tasks_in_one_run_only_or_not_graded_in_both_count_neither_way(tmp_path: Path) -> None:
    diff = compare_runs(*_runs(tmp_path))
    assert (diff.only_in_a, diff.only_in_b) == (["T5"], ["T6"])
    t2 = next(t for t in diff.tasks if t.task_id == "T2")
    # T2's failure is not "fixed": B did not grade it at all.
    assert (t2.status_a, t2.status_b, t2.new, t2.fixed) == ("graded", "error", [], [])
    assert [t.task_id for t in diff.compared] == ["T1", "T3"]
    assert [t.task_id for t in diff.status_changed] == ["T2"]
    assert diff.score.tasks == 2  # T1 and T3: the pairs that have both scores


def test_score_interval_is_paired_seeded_and_brackets_the_mean(tmp_path: Path) -> None:
    scores_a = [5.0, 6.0, 7.0, 8.0, 2.0, 9.5]
    scores_b = [5.5, 6.0, 6.0, 9.0, 2.0, 9.0]
    a = write_run(tmp_path / "a", [make_result(f"T{i}", s) for i, s in enumerate(scores_a)])
    b = write_run(tmp_path / "b", [make_result(f"T{i}", s) for i, s in enumerate(scores_b)])
    first, again = compare_runs(a, b), compare_runs(a, b)
    assert first.score == again.score  # seeded: the same inputs give the same output
    s = first.score
    assert s.mean_difference == pytest.approx((sum(scores_b) - sum(scores_a)) / 6)
    assert s.ci_low is not None and s.ci_high is not None
    assert min(b - a for a, b in zip(scores_a, scores_b, strict=True)) <= s.ci_low
    assert s.ci_low < s.mean_difference < s.ci_high
    assert s.ci_high <= max(b - a for a, b in zip(scores_a, scores_b, strict=True))
    assert (s.confidence, s.resamples, s.seed) == (0.95, 10_000, 0)
    other = compare_runs(a, b, seed=7).score
    assert other.seed == 7 and other.mean_difference == s.mean_difference
    # A wider confidence gives a wider interval.
    wide = compare_runs(a, b, confidence=0.99).score
    assert wide.ci_low is not None and wide.ci_high is not None
    assert wide.ci_low <= s.ci_low and wide.ci_high >= s.ci_high
    assert not first.regressed  # no new failure; the interval straddles 0


def test_a_score_drop_alone_is_a_regression_when_its_interval_is_below_zero(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", [make_result(f"T{i}", 8.0) for i in range(5)])
    b = write_run(tmp_path / "b", [make_result(f"T{i}", 8.0 - 0.5 * (i % 2 + 1)) for i in range(5)])
    diff = compare_runs(a, b)
    assert diff.count("new") == 0
    assert diff.score.ci_high is not None and diff.score.ci_high < 0
    assert diff.regressed and "interval lies below 0" in diff.regression_reasons[0]
    # The same scores both times: an interval of [0, 0] is no regression.
    same = compare_runs(a, a)
    assert (same.score.ci_low, same.score.ci_high, same.regressed) == (0.0, 0.0, False)
    assert same.changed == []


def test_json_shape(tmp_path: Path) -> None:
    data = json.loads(render(compare_runs(*_runs(tmp_path)), "json"))
    assert set(data) == {"run_a", "run_b", "summary", "rules", "score", "regression", "tasks"}
    assert data["rules"] == []
    assert data["summary"] == {
        "tasks_in_both": 3,
        "tasks_compared": 2,
        "tasks_changed": 2,
        "new": 1,
        "fixed": 1,
        "unchanged": 1,
        "severity_changed": 0,
        "only_in_a": ["T5"],
        "only_in_b": ["T6"],
        "status_changed": ["T2"],
    }
    assert set(data["score"]) == {
        "tasks",
        "mean_a",
        "mean_b",
        "mean_difference",
        "ci_low",
        "ci_high",
        "confidence",
        "resamples",
        "seed",
    }
    assert data["regression"] == {"regressed": True, "reasons": ["1 new failure(s) in 1 task(s)"]}
    t1 = data["tasks"][0]
    assert t1["task_id"] == "T1" and t1["score_difference"] == -1.0 and t1["changed"] is True
    assert t1["new"] == [
        {
            "fingerprint": fingerprint("T1", make_failure(*AWS, anchor="aws_db_instance.db")),
            "rule_id": "AWS003",
            "severity": "High",
            "title": "AWS003 title",
            "location": "lib/tap_stack.py:10",
            "previous_fingerprint": "",
            "previous_severity": "",
        }
    ]
    with pytest.raises(ValueError, match="xml"):
        render(compare_runs(*_runs(tmp_path)), "xml")


def test_markdown_report(tmp_path: Path) -> None:
    text = render(compare_runs(*_runs(tmp_path)), "markdown")
    assert "**Regression:** 1 new failure(s) in 1 task(s)" in text
    assert "| T1 | graded | 6 | 5 | -1.00 | 1 | 1 | 1 |" in text
    assert "| T2 | graded → error |" in text
    assert "- T1: AWS003 (High) AWS003 title at lib/tap_stack.py:10" in text.split("## New failures")[1]
    assert "- T1: PY001 (Medium) PY001 title" in text.split("## Fixed failures")[1]
    assert "## Only in A\n\nT5" in text and "## Only in B\n\nT6" in text


def _graded_by(task_id: str, rules: str) -> TaskResult:
    return make_result(task_id, 5.0).model_copy(update={"versions": {"rules": rules}})


def test_the_rules_whose_versions_differ_are_listed(tmp_path: Path) -> None:
    a = write_run(
        tmp_path / "a",
        [
            _graded_by("T1", "AWS001@1,OLD001@2,SEC001@3,TF009@1"),
            _graded_by("T2", "AWS001@1,SEC001@3,TF009@1"),
        ],
    )
    # T2 of run B was graded before an upgrade (a resumed run): both versions of SEC001 are named.
    b = write_run(
        tmp_path / "b",
        [_graded_by("T1", "AWS001@1,SEC001@10,CFN005@1"), _graded_by("T2", "AWS001@1,SEC001@3,TF009@1")],
    )
    diff = compare_runs(a, b)
    # TF009 is still graded at v1 in B (by T2): not a change. Versions sort as numbers.
    assert diff.rules == [
        RuleChange("CFN005", (), ("1",)),
        RuleChange("OLD001", ("2",), ()),
        RuleChange("SEC001", ("3",), ("3", "10")),
    ]
    line = "**Rules:** CFN005 only in B (v1); OLD001 only in A (v2); SEC001 v3 → v3, v10."
    assert line in render(diff, "markdown")
    assert json.loads(render(diff, "json"))["rules"][0] == {
        "rule_id": "CFN005",
        "versions_a": [],
        "versions_b": ["1"],
    }
    same = compare_runs(a, a)
    assert same.rules == []
    assert "**Rules:** the same rules at the same versions in both runs." in render(same, "markdown")


def test_cli_exit_codes_and_out_file(tmp_path: Path) -> None:
    a, b = _runs(tmp_path)
    runner = CliRunner()
    plain = runner.invoke(app, ["diff", str(a), str(b)])
    assert plain.exit_code == 0 and plain.stdout.startswith("# iacgrade diff")
    gate = runner.invoke(app, ["diff", str(a), str(b), "--fail-on-regression"])
    assert gate.exit_code == EXIT_REGRESSION == 6
    same = runner.invoke(app, ["diff", str(a), str(a), "--fail-on-regression"])
    assert same.exit_code == 0
    out = tmp_path / "diff.json"
    written = runner.invoke(app, ["diff", str(a), str(b), "--format", "json", "--out", str(out)])
    assert written.exit_code == 0 and written.stdout == ""
    assert json.loads(out.read_text())["summary"]["new"] == 1
    assert runner.invoke(app, ["diff", str(a), str(tmp_path / "nope")]).exit_code == EXIT_USAGE
    (tmp_path / "empty").mkdir()
    assert runner.invoke(app, ["diff", str(a), str(tmp_path / "empty")]).exit_code == EXIT_USAGE
    assert runner.invoke(app, ["diff", str(a), str(b), "--format", "xml"]).exit_code == EXIT_USAGE
    with pytest.raises(CompareError):
        compare_runs(a, b, confidence=1.0)


def test_dashboard_lists_the_changed_tasks_linked_to_both_runs(tmp_path: Path) -> None:
    a, b = _runs(tmp_path / "runs")
    out = tmp_path / "page" / "dashboard.html"
    write_dashboard([a, b], out)
    html = out.read_text(encoding="utf-8")
    page = parse(html)
    rows = page.rows["changes-table-1"]
    assert [(r["data-task"], r["data-new"], r["data-fixed"]) for r in rows] == [
        ("T1", "1", "1"),
        ("T2", "0", "0"),
    ]
    section = html.split('id="changes-1"')[1].split("</section>")[0]
    assert 'data-regressed="1"' in html and "1 new failure, 1 fixed" in section
    # Each task opens either run's analysis, both embedded in the page.
    for anchor in ("r0", "r1"):
        for task in ("T1", "T2"):
            assert f'href="#drill-{anchor}-{task}"' in section
            assert f"drill-{anchor}-{task}" in page.ids
    assert "T3" not in section  # unchanged
    assert ">AWS003</span>" in section.split("</td>")[5] and ">PY001</span>" in section.split("</td>")[6]
    # A run kept as its CSVs alone has no failures to match: the page leaves the list out.
    for stored in b.glob("*/result.json"):
        stored.unlink()
    write_dashboard([a, b], out)
    assert 'id="changes-' not in out.read_text(encoding="utf-8")
    # One run only: no comparison at all.
    write_dashboard([a], out)
    assert 'id="changes-' not in out.read_text(encoding="utf-8")


# --- two real runs --------------------------------------------------------------------------

REAL_TASKS = ("tf-hcl-logs-bucket", "cfn-orders-queue")
# Run B's answer fixes the misspelt bucket reference (HCL007) and writes the key rotation flag as a
# string ("yes": HCL006, and checkov's rotation check no longer sees it enabled).
EDITS = {
    "bucket = aws_s3_bucket.log.id": "bucket = aws_s3_bucket.logs.id",
    "enable_key_rotation = true": 'enable_key_rotation = "yes"',
}


def _grade(paths: list[Path], out: Path, cache: Path) -> None:
    command = [sys.executable, "-m", "iacgrade.harness.cli", "run", *map(str, paths), "--out", str(out)]
    command += ["--sandbox", "local", "--jobs", "1", "--cache-dir", str(cache)]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=REPO, check=False)
    assert proc.returncode == 0, proc.stderr


@pytest.fixture(scope="module")
def real_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("real")
    edited = root / "tasks"
    for name in REAL_TASKS:
        shutil.copytree(TASKS / name, edited / name)
    answer = edited / "tf-hcl-logs-bucket" / "MODEL_RESPONSE.md"
    text = answer.read_text(encoding="utf-8")
    for old, new in EDITS.items():
        assert old in text
        text = text.replace(old, new)
    answer.write_text(text, encoding="utf-8")
    _grade([TASKS / name for name in REAL_TASKS], root / "a", root / "cache")
    _grade([edited / name for name in REAL_TASKS], root / "b", root / "cache")
    return root / "a", root / "b"


def _findings(run: Path) -> set[tuple[str, str, str]]:
    with (run / "findings.csv").open(encoding="utf-8") as f:
        return {(row["task_id"], row["rule_id"], row["anchor"]) for row in csv.DictReader(f)}


def test_real_runs_new_and_fixed(real_runs: tuple[Path, Path]) -> None:
    a, b = real_runs
    data = to_json(compare_runs(a, b))
    tasks = {t["task_id"]: t for t in data["tasks"]}
    assert set(tasks) == set(REAL_TASKS)
    # The untouched task is unchanged, failure for failure.
    cfn = tasks["cfn-orders-queue"]
    assert cfn["new"] == cfn["fixed"] == [] and cfn["unchanged"] and not cfn["changed"]
    logs = tasks["tf-hcl-logs-bucket"]
    assert [f["rule_id"] for f in logs["fixed"]] == ["HCL007"]
    assert "HCL006" in {f["rule_id"] for f in logs["new"]}
    # Every count agrees with the two runs' findings.csv (rule and anchor per task).
    before, after = _findings(a), _findings(b)
    assert data["summary"]["new"] == len(after - before)
    assert data["summary"]["fixed"] == len(before - after) == 1
    assert data["summary"]["unchanged"] == len(before & after)
    # The fingerprints are those of run B's SARIF log.
    sarif = json.loads((b / "tf-hcl-logs-bucket" / "result.sarif").read_text(encoding="utf-8"))
    printed = {r["partialFingerprints"][FINGERPRINT_KEY] for r in sarif["runs"][0]["results"]}
    assert {f["fingerprint"] for f in logs["new"] + logs["unchanged"]} == printed
    assert data["regression"]["regressed"] is True


def test_real_runs_sarif_is_valid(real_runs: tuple[Path, Path]) -> None:
    # What real grading writes (cfn-lint and checkov findings among them) meets the schema.
    for run in real_runs:
        logs = [run / "results.sarif", *(run / name / "result.sarif" for name in REAL_TASKS)]
        for path in logs:
            doc = json.loads(path.read_text(encoding="utf-8"))
            assert_sarif(doc)
            assert doc["runs"][0]["results"], path


def test_real_runs_gate(real_runs: tuple[Path, Path]) -> None:
    a, b = real_runs
    runner = CliRunner()
    assert runner.invoke(app, ["diff", str(a), str(b), "--fail-on-regression"]).exit_code == 6
    # The other way round, B's new failures are A's fixed ones, and A's one is new.
    back = runner.invoke(app, ["diff", str(b), str(a), "--format", "json", "--fail-on-regression"])
    assert back.exit_code == 6
    assert [f["rule_id"] for t in json.loads(back.stdout)["tasks"] for f in t["new"]] == ["HCL007"]
    assert runner.invoke(app, ["diff", str(a), str(a), "--fail-on-regression"]).exit_code == 0


def test_many_tasks_are_resampled_in_blocks_with_the_same_result_every_time() -> None:
    # 250 tasks: 4,000 resamples a block, so 10,000 take three blocks.
    tasks = [TaskDiff(f"T{i}", "graded", "graded", 5.0, 5.0 + (i % 5 - 1) * 0.5) for i in range(250)]
    first, again = _score_diff(tasks, 10_000, 0.95, 0), _score_diff(tasks, 10_000, 0.95, 0)
    assert first == again
    assert first.mean_difference == pytest.approx(0.5)
    assert first.ci_low is not None and first.ci_high is not None
    assert 0.3 < first.ci_low < 0.5 < first.ci_high < 0.7
