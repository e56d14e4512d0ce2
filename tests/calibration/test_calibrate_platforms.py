"""Calibration on Terraform HCL and CloudFormation answers: error kinds, lint codes, template paths
and the per-rule table of the run's platforms, on tasks built by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iacgrade.harness.calibration.calibrate import (
    TaskCalibration,
    Vocabulary,
    _catalogue,
    errors_agree,
    failure_spans,
    match_items,
    run_platforms,
)
from iacgrade.harness.calibration.report import calibrate
from iacgrade.harness.calibration.written import WrittenItem, parse_written
from iacgrade.harness.cli import app
from iacgrade.harness.core.findings import Category, Location, Severity
from iacgrade.harness.core.results import Failure, Score, TaskResult, TaskStatus
from iacgrade.harness.platforms.names import CDKTF_PYTHON, TF_HCL
from tests.paths import CFN_CORPUS, TF_HCL_CORPUS


@pytest.fixture
def vocabulary() -> Vocabulary:
    return Vocabulary.load()


def _failure(rule_id: str, message: str, *, path: str = "tap_stack.tf", line: int = 10) -> Failure:
    return Failure(
        rule_id=rule_id,
        title=f"{rule_id} title",
        severity=Severity.CRITICAL,
        category=Category.API_CONSISTENCY,
        message=message,
        location=Location(path=path, line=line),
        error=message,
    )


UNSUPPORTED = """2. Critical Failure: flow logs failed to validate

```
│ Error: Unsupported argument
│
│   on tap_stack.tf line 312, in resource "aws_flow_log" "main":
│  312:   log_destination_arn = aws_cloudwatch_log_group.vpc_flow_logs.arn
│
│ An argument named "log_destination_arn" is not expected here.
```
"""


def _items(doc: str) -> tuple[WrittenItem, ...]:
    return parse_written(doc).items


def test_an_error_kind_and_a_shared_name_tie_a_terraform_error_to_its_failure(vocabulary: Vocabulary) -> None:
    (item,) = _items(UNSUPPORTED)
    assert item.severity is Severity.CRITICAL
    failures = [
        _failure("HCL003", "main: has no argument 'log_destination_arn' (did you mean 'log_destination'?)"),
        _failure("HCL003", "logs: has no argument 'acl_policy'"),
        _failure("HCL004", "aws_db_instance.db: the required argument 'instance_class' is missing"),
    ]
    # One shared name and no exception: the quoted errors alone do not agree.
    assert not errors_agree(item.errors, failures[0].error)
    matches, _ = match_items([item], failures, {}, vocabulary)
    assert [(m.failure, m.method) for m in matches] == [(0, "error")]


def test_the_only_failure_of_a_kind_matches_without_a_shared_name(vocabulary: Vocabulary) -> None:
    doc = "1. Critical Failure: validate failed\n\n```\n│ Error: Missing required argument\n```\n"
    (item,) = _items(doc)
    one = [_failure("HCL004", "aws_db_instance.db: the required argument 'instance_class' is missing")]
    matches, _ = match_items([item], one, {}, vocabulary)
    assert [(m.failure, m.method) for m in matches] == [(0, "error")]
    # Two of the kind and nothing to tell them apart: no guess.
    two = [*one, _failure("HCL004", "aws_lb.web: the required argument 'subnets' is missing")]
    assert match_items([item], two, {}, vocabulary)[0] == []


def test_a_kind_named_only_in_prose_ties_nothing(vocabulary: Vocabulary) -> None:
    doc = "1. Critical Failure: arguments\n\nThe model left out a missing required argument somewhere.\n"
    (item,) = _items(doc)
    failures = [_failure("HCL004", "aws_lb.web: the required argument 'subnets' is missing")]
    assert match_items([item], failures, {}, vocabulary)[0] == []


def test_a_cfn_lint_code_ties_an_item_to_the_failures_carrying_it(vocabulary: Vocabulary) -> None:
    doc = """## Issue 1: Wrong property type (Critical)

```
E3012 Property Resources/Bucket/Properties/VersioningConfiguration should be of type Object
```
"""
    (item,) = _items(doc)
    failures = [
        _failure(
            "CFN:E3002", "cfn-lint E3002 on Resources/Queue: additional property", path="lib/TapStack.yml"
        ),
        _failure("CFN:E3012", "cfn-lint E3012 on Resources/Bucket: wrong type", path="lib/TapStack.yml"),
    ]
    matches, _ = match_items([item], failures, {}, vocabulary)
    assert [(m.failure, m.method) for m in matches] == [(1, "error")]


def test_template_and_hcl_places_in_a_message_are_failure_spans() -> None:
    failure = _failure(
        "CFN:E3012", "also at lib/TapStack.yml:40 and main.tf:12", path="lib/TapStack.yml", line=5
    )
    assert failure_spans(failure) == [
        ("lib/TapStack.yml", 5, 5),
        ("lib/TapStack.yml", 40, 40),
        ("main.tf", 12, 12),
    ]


def test_the_rule_table_holds_the_rules_of_the_runs_platforms() -> None:
    everything, hcl = _catalogue(), _catalogue((TF_HCL,))
    # PY rules read Python source: no HCL run can fire them. TF rules read the Terraform model both map into.
    assert {"PY001", "TF005"} <= set(everything)
    assert "TF005" in hcl and "PY001" not in hcl


def _task(metadata: dict[str, str]) -> TaskCalibration:
    result = TaskResult(task_id="t", status=TaskStatus.GRADED, metadata=metadata)
    return TaskCalibration(task_id="t", result=result)


def test_run_platforms_from_the_results_metadata() -> None:
    cdktf = _task({"platform": "cdktf", "language": "py"})
    assert run_platforms([cdktf]) == (CDKTF_PYTHON,)
    # A platform not registered here: no rule is left out on a guess.
    assert run_platforms([cdktf, _task({"platform": "pulumi", "language": "go"})]) == ()


def test_calibrate_a_tiny_hcl_run(tmp_path: Path) -> None:
    corpus, run = tmp_path / "corpus", tmp_path / "run"
    lib = corpus / "h1" / "lib"
    lib.mkdir(parents=True)
    (lib / "MODEL_RESPONSE.md").write_text('```hcl\nresource "aws_flow_log" "main" {\n}\n```\n')
    (lib / "MODEL_FAILURES.md").write_text(UNSUPPORTED)
    meta = {"platform": "tf", "language": "hcl", "training_quality": 6}
    (corpus / "h1" / "metadata.json").write_text(json.dumps(meta))
    failure = _failure("HCL003", "aws_flow_log.main: aws_flow_log has no argument 'log_destination_arn'")
    result = TaskResult(
        task_id="h1", status=TaskStatus.GRADED, metadata=meta, score=Score(value=4), failures=[failure]
    )
    (run / "h1").mkdir(parents=True)
    (run / "h1" / "result.json").write_text(result.model_dump_json())
    summary = calibrate(run, corpus)
    assert summary.recall_of("Critical") == (1, 1)
    assert "HCL003" in {r.rule_id for r in summary.rules}


CFN_WRITTEN = """# Model Failures

## Critical Failures

### 1. Versioning given as a string

```
E3012 Property Resources/Bucket/Properties/VersioningConfiguration should be of type Object
```
"""


def _write_task(
    corpus: Path, run: Path, task_id: str, meta: dict[str, object], written: str, failure: Failure
) -> None:
    lib = corpus / task_id / "lib"
    lib.mkdir(parents=True)
    (lib / "MODEL_RESPONSE.md").write_text("```\nnothing\n```\n")
    (lib / "MODEL_FAILURES.md").write_text(written)
    (corpus / task_id / "metadata.json").write_text(json.dumps(meta))
    result = TaskResult(
        task_id=task_id, status=TaskStatus.GRADED, metadata=meta, score=Score(value=4), failures=[failure]
    )
    (run / task_id).mkdir(parents=True)
    (run / task_id / "result.json").write_text(result.model_dump_json())


def test_one_run_over_two_corpora(tmp_path: Path) -> None:
    hcl, cfn, run = tmp_path / "hcl", tmp_path / "cfn", tmp_path / "run"
    meta_hcl = {"platform": "tf", "language": "hcl", "training_quality": 6}
    meta_cfn = {"platform": "cfn", "language": "yaml", "training_quality": 7}
    hcl_failure = _failure("HCL003", "main: has no argument 'log_destination_arn'")
    cfn_failure = _failure("CFN:E3012", "cfn-lint E3012 on Resources/Bucket", path="lib/TapStack.yml")
    _write_task(hcl, run, "h1", meta_hcl, UNSUPPORTED, hcl_failure)
    _write_task(cfn, run, "c1", meta_cfn, CFN_WRITTEN, cfn_failure)
    summary = calibrate(run, [hcl, cfn])
    assert sorted(t.task_id for t in summary.compared) == ["c1", "h1"]
    assert summary.recall_of("Critical") == (2, 2)
    text = (run / "calibration.md").read_text()
    assert f"corpora `{hcl}`, `{cfn}`" in text
    # The command takes the corpora after the run directory.
    out = tmp_path / "cli"
    cli = CliRunner().invoke(app, ["calibrate", str(run), str(hcl), str(cfn), "--out", str(out)])
    assert cli.exit_code == 0, cli.output
    assert "written Critical items matched 2/2" in cli.output
    missing = CliRunner().invoke(app, ["calibrate", str(run), str(hcl), str(tmp_path / "nope")])
    assert missing.exit_code != 0 and "no such corpus directory" in missing.output


def test_a_lint_code_named_in_prose_ties_too(vocabulary: Vocabulary) -> None:
    doc = "## Issue 1: Wrong backup window (Critical)\n\nStack creation would fail with error E3034.\n"
    (item,) = _items(doc)
    failures = [_failure("CFN:E3034", "cfn-lint E3034 on Resources/Cluster", path="lib/TapStack.yml")]
    matches, _ = match_items([item], failures, {}, vocabulary)
    assert [(m.failure, m.method) for m in matches] == [(0, "error")]


def _calibrate_corpus_task(
    tmp_path: Path, corpus: Path, task_id: str, failures: list[Failure]
) -> TaskCalibration:
    """Calibrate one real corpus task against hand-made failures; the report goes to tmp_path."""
    task_dir = corpus / task_id
    if not task_dir.is_dir():
        pytest.fail(f"corpus not found at {corpus}")
    meta = json.loads((task_dir / "metadata.json").read_text(encoding="utf-8"))
    result = TaskResult(
        task_id=task_id, status=TaskStatus.GRADED, metadata=meta, score=Score(value=5), failures=failures
    )
    run = tmp_path / "run"
    (run / task_id).mkdir(parents=True)
    (run / task_id / "result.json").write_text(result.model_dump_json())
    (task,) = calibrate(run, corpus, tmp_path / "out").compared
    return task


@pytest.mark.corpus
def test_calibrate_a_cloudformation_corpus_task(tmp_path: Path) -> None:
    """dev-cfn-yaml Pr4752's first written item (Critical) names cfn-lint's E3034."""
    failures = [
        _failure("CFN:E3034", "cfn-lint E3034 on Resources/AuroraCluster/Properties/BackupRetentionPeriod"),
        _failure("CFN:W3011", "cfn-lint W3011 on Resources/Bucket: no UpdateReplacePolicy"),
    ]
    task = _calibrate_corpus_task(tmp_path, CFN_CORPUS, "Pr4752", failures)
    assert task.failures_of(1) == [0] and task.method_of(1) == "error"
    assert task.analysis is not None and task.analysis.items[0].severity is Severity.CRITICAL


@pytest.mark.corpus
def test_calibrate_an_hcl_corpus_task(tmp_path: Path) -> None:
    """dev-tf-hcl Pr3042 numbers its failures without headings; its second quotes Terraform's
    "Unsupported argument" on `aws_flow_log`, which the HCL schema rule reports in its own words."""
    failures = [
        _failure("HCL003", "aws_flow_log.main: aws_flow_log has no argument 'log_destination_arn'", line=312),
        _failure("HCL004", "aws_db_instance.db: the required argument 'instance_class' is missing"),
    ]
    task = _calibrate_corpus_task(tmp_path, TF_HCL_CORPUS, "Pr3042", failures)
    assert [task.failures_of(n) for n in (1, 2)] == [[], [0]]
    assert task.method_of(2) == "error"


def test_a_provider_validation_error_is_not_a_type_error(vocabulary: Vocabulary) -> None:
    # dev-tf-hcl Pr5219: the AWS provider's "invalid value for name" is about the name, not its type.
    doc = (
        "1. Critical Failure — Security Group Naming\n\n"
        "```\n│ Error: invalid value for name (cannot begin with sg-)\n```\n"
    )
    (item,) = _items(doc)
    failures = [_failure("HCL006", "aws_db_instance.db: 'multi_az' takes a bool, not the string 'yes'")]
    assert match_items([item], failures, {}, vocabulary)[0] == []


def test_the_only_failure_of_a_kind_about_other_names_does_not_match(vocabulary: Vocabulary) -> None:
    (item,) = _items(UNSUPPORTED)  # about `log_destination_arn` on aws_flow_log
    failures = [_failure("HCL003", "logs: has no argument 'acl_policy'")]
    assert match_items([item], failures, {}, vocabulary)[0] == []
