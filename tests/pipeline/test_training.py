"""The archive's training-quality rubric: one test per clause of the published policy, then the
reading iacgrade adds (kinds of fix, complexity traits), the report section and the CSV column."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from iacgrade.graders.terraform_model import TerraformModel
from iacgrade.harness.core.findings import Category, Location, Severity
from iacgrade.harness.core.results import Failure, Score, ScoreItem, TaskResult, TaskStatus
from iacgrade.harness.pipeline.training import (
    COMPLEXITY_LABEL,
    FIXES_LABEL,
    MINOR,
    MODEL_ONLY_FIXES_LABEL,
    MODERATE,
    SIGNIFICANT,
    START_LABEL,
    TrainingInputs,
    TrainingPolicy,
    fix_points,
    score_training,
)
from iacgrade.harness.pipeline.training_graph import read_traits
from iacgrade.harness.platforms.registry import platform_for
from iacgrade.reports import render_analysis, write_results_csv
from tests.paths import GOLDEN, REPO

POLICY = TrainingPolicy.load()
CDKTF = {"platform": "cdktf", "language": "py"}
STACK_PY = (
    "from cdktf import TerraformStack\n"
    "from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket\n\n\n"
    "class TapStack(TerraformStack):\n    pass\n"
)


def _failure(rule_id: str, severity: Severity, category: Category, title: str = "") -> Failure:
    return Failure(
        rule_id=rule_id,
        title=title or f"{rule_id} finding",
        severity=severity,
        category=category,
        message="m",
        location=Location(path="lib/tap_stack.py", line=1),
    )


SIG = _failure("PY002", Severity.CRITICAL, Category.CDKTF_SYNTAX, "Import of a missing name")
MOD = _failure("TF001", Severity.CRITICAL, Category.PRODUCTION_READINESS, "No remote state backend")
MIN = _failure("PY001", Severity.MEDIUM, Category.PYTHON_PRACTICE, "Built-in shadowed")


def _stack(resources: dict[str, dict[str, dict[str, Any]]], *regions: str) -> dict[str, Any]:
    providers = [
        {"region": r} | ({"alias": f"r{i}"} if i else {}) for i, r in enumerate(regions or ("us-east-1",))
    ]
    return {"provider": {"aws": providers}, "resource": resources}


# A single basic service: one bucket, nothing else (complexity -1).
BASIC = {"tap": _stack({"aws_s3_bucket": {"data": {"bucket": "data"}}})}
# Lambda reading SQS and writing DynamoDB, with a KMS key and a state machine: every trait.
RICH = {
    "tap": _stack(
        {
            "aws_kms_key": {"key": {"enable_key_rotation": True}},
            "aws_sqs_queue": {"jobs": {"kms_master_key_id": "${aws_kms_key.key.arn}"}},
            "aws_dynamodb_table": {"items": {"name": "items"}},
            "aws_iam_role": {"fn": {"name": "fn"}},
            "aws_lambda_function": {
                "worker": {
                    "role": "${aws_iam_role.fn.arn}",
                    "environment": {"variables": {"TABLE": "${aws_dynamodb_table.items.name}"}},
                }
            },
            "aws_lambda_event_source_mapping": {
                "jobs": {
                    "event_source_arn": "${aws_sqs_queue.jobs.arn}",
                    "function_name": "${aws_lambda_function.worker.arn}",
                }
            },
            "aws_sfn_state_machine": {"flow": {"role_arn": "${aws_iam_role.fn.arn}"}},
        }
    )
}


def _inputs(**overrides: Any) -> TrainingInputs:
    values: dict[str, Any] = {
        "metadata": dict(CDKTF),
        "platform": platform_for(CDKTF),
        "prompt": "Build it in us-east-1.",
        "failures": [MOD],
        "model_files": {"lib/tap_stack.py": STACK_PY},
        "model_stacks": BASIC,
        "ideal_stacks": BASIC,
        "env_region": "us-east-1",
    }
    values.update(overrides)
    return TrainingInputs(**values)


def _item(score: Score, label: str) -> ScoreItem:
    return next(i for i in score.items if i.label == label)


# --- the policy's numbers --------------------------------------------------------------------


def test_policy_file_names_its_source_and_date() -> None:
    text = (REPO / "iacgrade" / "harness" / "data" / "training_policy.toml").read_text()
    assert 'date = "2026-12-04"' in text and "source = " in text
    assert POLICY.base == 8 and POLICY.blockers == {
        "wrong_platform": 3,
        "missing_services": 4,
        "wrong_region": 5,
    }


def test_start_at_8_moderate_fixes_count_nothing() -> None:
    # 8, +0 for moderate fixes, -1 for a single basic service.
    score = score_training(_inputs(), POLICY)
    assert [i.label for i in score.items] == [START_LABEL, FIXES_LABEL, COMPLEXITY_LABEL]
    assert _item(score, START_LABEL).points == 8
    assert _item(score, FIXES_LABEL).points == 0
    assert score.value == 7
    assert score.rubric == "archive-training@1"


@pytest.mark.parametrize(
    ("counts", "points"),
    [
        ({SIGNIFICANT: 2}, 2.0),
        ({SIGNIFICANT: 5, MINOR: 9}, 2.0),
        ({SIGNIFICANT: 1, MODERATE: 3}, 1.0),
        ({MODERATE: 1, MINOR: 7}, 0.0),
        ({MINOR: 6}, -2.0),
        ({MINOR: 9}, -2.0),
        ({MINOR: 5}, -1.0),
        ({MINOR: 4}, -1.0),
        ({MINOR: 3}, -2.0),
        ({MINOR: 1}, -3.0),
        ({}, -4.0),
    ],
)
def test_fix_buckets(counts: dict[str, int], points: float) -> None:
    assert fix_points(counts, POLICY)[0] == points


def test_kinds_of_fix_follow_the_rule_subject_then_category_and_severity() -> None:
    assert POLICY.kind_of(SIG) == SIGNIFICANT  # code that cannot build: completing the feature
    assert POLICY.kind_of(MOD) == MODERATE  # a state backend is configuration, even when Critical
    assert POLICY.kind_of(MIN) == MINOR
    security = _failure("SEC:CKV_AWS_24", Severity.HIGH, Category.PRODUCTION_READINESS)
    practice = _failure("SEC:CKV_AWS_24", Severity.MEDIUM, Category.PRODUCTION_READINESS)
    naming = _failure("AWS009", Severity.HIGH, Category.PRODUCTION_READINESS)
    service = _failure("AWS013", Severity.MEDIUM, Category.PRODUCTION_READINESS)
    assert [POLICY.kind_of(f) for f in (security, practice, naming, service)] == [
        SIGNIFICANT,
        MODERATE,
        MODERATE,
        SIGNIFICANT,
    ]


def test_two_significant_fixes_and_rich_reference_clamp_to_10() -> None:
    score = score_training(
        _inputs(failures=[SIG, SIG.model_copy(update={"rule_id": "PY003"})], ideal_stacks=RICH), POLICY
    )
    assert _item(score, FIXES_LABEL).points == 2
    assert _item(score, COMPLEXITY_LABEL).points == 2  # four traits, capped at +2
    assert "capped at +2" in _item(score, COMPLEXITY_LABEL).detail
    assert score.value == 10  # 12, clamped


def test_all_minor_fixes_lower_the_score() -> None:
    score = score_training(_inputs(failures=[MIN] * 6, ideal_stacks=RICH), POLICY)
    assert _item(score, FIXES_LABEL).points == -2
    assert score.value == 8


def test_nothing_to_fix_is_almost_nothing() -> None:
    score = score_training(_inputs(failures=[], ideal_stacks=BASIC), POLICY)
    assert _item(score, FIXES_LABEL).points == -4
    assert "no failure" in _item(score, FIXES_LABEL).detail
    assert score.value == 3  # 8 - 4 - 1


# --- blockers --------------------------------------------------------------------------------


def test_wrong_platform_is_3() -> None:
    cdk = "from aws_cdk import Stack\nfrom constructs import Construct\n"
    score = score_training(_inputs(model_files={"lib/tap_stack.py": cdk}, failures=[SIG, SIG]), POLICY)
    assert score.value == 3
    assert score.items[1].label == "Wrong platform" and "AWS CDK" in score.items[1].detail


def test_wrong_language_is_3() -> None:
    score = score_training(
        _inputs(model_files={"lib/tap-stack.ts": "import * as cdktf from 'cdktf';\n"}), POLICY
    )
    assert score.value == 3 and score.items[1].label == "Wrong language"
    assert "TypeScript" in score.items[1].detail


@pytest.mark.parametrize(
    "files",
    [{"lib/tap_stack.py": STACK_PY}, {}, {"lib/tap_stack.py": "import boto3\n"}],
    ids=["cdktf-python", "no-code", "python-without-a-framework"],
)
def test_no_platform_blocker_without_evidence_of_another_platform(files: dict[str, str]) -> None:
    assert score_training(_inputs(model_files=files), POLICY).items[1].label == FIXES_LABEL


SERVICES = {**CDKTF, "aws_services": ["Lambda", "SQS", "DynamoDB", "S3", "Rekognition"]}


def test_missing_half_of_the_services_is_4() -> None:
    # Rekognition is an API with no resource: 1 of the 4 judged services is present.
    score = score_training(_inputs(metadata=SERVICES, ideal_stacks=RICH), POLICY)
    assert score.value == 4
    assert score.items[1].label == "Missing half of the required services"
    assert "1 of the task's 4 services" in score.items[1].detail


def test_half_of_the_services_is_enough() -> None:
    half = {"tap": _stack({"aws_s3_bucket": {"b": {}}, "aws_sqs_queue": {"q": {}}})}
    score = score_training(_inputs(metadata=SERVICES, model_stacks=half, ideal_stacks=RICH), POLICY)
    assert score.items[1].label == FIXES_LABEL


def test_missing_services_needs_the_model_json_and_a_reference_that_has_them() -> None:
    assert score_training(_inputs(metadata=SERVICES, model_stacks={}), POLICY).items[1].label == FIXES_LABEL
    # The reference misses them too: the service table, not the model, is the doubt.
    assert (
        score_training(_inputs(metadata=SERVICES, ideal_stacks=BASIC), POLICY).items[1].label == FIXES_LABEL
    )


def test_a_service_the_mapped_model_cannot_hold_is_not_seen_missing() -> None:
    # A template mapped into Terraform JSON holds only the mapping's types (its `modelled_types`).
    lambda_only = _stack({"aws_lambda_function": {"f": {}}})
    partial = {"tap": {**lambda_only, "//": {"modelled_types": ["aws_lambda_function", "aws_sqs_queue"]}}}
    score = score_training(_inputs(metadata=SERVICES, model_stacks=partial, ideal_stacks=RICH), POLICY)
    assert score.items[1].label == FIXES_LABEL
    every = ["aws_dynamodb_table", "aws_lambda_function", "aws_s3_bucket", "aws_sqs_queue"]
    whole = {"tap": {**lambda_only, "//": {"modelled_types": every}}}
    score = score_training(_inputs(metadata=SERVICES, model_stacks=whole, ideal_stacks=RICH), POLICY)
    assert score.items[1].label == "Missing half of the required services"


def test_missing_services_are_not_judged_on_json_an_environment_gap_cut_short() -> None:
    half = {"tap": _stack({"aws_s3_bucket": {"b": {}}})}
    cut = _inputs(metadata=SERVICES, model_stacks=half, ideal_stacks=RICH, model_env_gap=True)
    assert score_training(cut, POLICY).items[1].label == FIXES_LABEL
    whole = _inputs(metadata=SERVICES, model_stacks=half, ideal_stacks=RICH)
    assert score_training(whole, POLICY).items[1].label == "Missing half of the required services"


def test_wrong_region_is_5() -> None:
    model = {"tap": _stack({"aws_s3_bucket": {"b": {}}}, "eu-west-1")}
    score = score_training(_inputs(model_stacks=model), POLICY)
    assert score.value == 5 and score.items[1].label == "Wrong region"
    assert "eu-west-1" in score.items[1].detail and "us-east-1" in score.items[1].detail


def test_region_is_not_judged_when_the_sandbox_may_have_set_it() -> None:
    # The prompt asks for eu-central-1; the model's us-east-1 is the sandbox's AWS_REGION.
    score = score_training(_inputs(prompt="Deploy to eu-central-1."), POLICY)
    assert score.items[1].label == FIXES_LABEL


def test_one_of_several_regions_is_enough() -> None:
    model = {"tap": _stack({"aws_s3_bucket": {"b": {}}}, "us-east-1", "us-west-2")}
    prompt = "Primary in us-west-2, DR in eu-west-1."
    assert score_training(_inputs(model_stacks=model, prompt=prompt), POLICY).items[1].label == FIXES_LABEL


def test_the_lowest_blocker_wins_and_the_others_are_listed() -> None:
    model = {"tap": _stack({"aws_s3_bucket": {"b": {}}}, "eu-west-1")}
    files = {"lib/tap_stack.py": "from aws_cdk import App\n"}
    score = score_training(_inputs(model_stacks=model, model_files=files), POLICY)
    assert score.value == 3
    assert [(i.label, i.points) for i in score.items[1:]] == [("Wrong platform", -5), ("Wrong region", 0)]


# --- complexity ------------------------------------------------------------------------------


def test_complexity_traits_of_a_rich_reference() -> None:
    traits = read_traits(TerraformModel(RICH), POLICY.graph)
    # The state machine references only its IAM role: linked to no service.
    assert traits.integrated == ["dynamodb", "kms", "lambda", "sqs"]
    assert traits.services == ["dynamodb", "kms", "lambda", "sqs", "stepfunctions"]
    assert "`aws_kms_key`" in traits.security
    assert "`aws_sfn_state_machine`" in traits.advanced_patterns
    assert traits.high_availability == []


def test_each_complexity_trait_alone_is_worth_one() -> None:
    zones = {
        "tap": _stack(
            {
                "aws_vpc": {"main": {}},
                "aws_subnet": {
                    "a": {"vpc_id": "${aws_vpc.main.id}", "availability_zone": "us-east-1a"},
                    "b": {"vpc_id": "${aws_vpc.main.id}", "availability_zone": "us-east-1b"},
                },
            }
        )
    }
    score = score_training(_inputs(ideal_stacks=zones), POLICY)
    assert _item(score, COMPLEXITY_LABEL).points == 1
    assert "subnets in 2 availability zones" in _item(score, COMPLEXITY_LABEL).detail


def test_a_policy_granting_everything_is_not_least_privilege() -> None:
    def with_policy(actions: str) -> dict[str, Any]:
        doc = {"Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
        return {"tap": _stack({"aws_iam_policy": {"p": {"policy": json.dumps(doc)}}})}

    assert read_traits(TerraformModel(with_policy("*")), POLICY.graph).security == []
    scoped = read_traits(TerraformModel(with_policy("s3:GetObject")), POLICY.graph).security
    assert scoped == ["least-privilege IAM policies"]


def test_complexity_falls_back_to_the_model_json() -> None:
    score = score_training(_inputs(ideal_stacks={}, model_stacks=RICH, model_only=True), POLICY)
    detail = _item(score, COMPLEXITY_LABEL).detail
    assert "read from the model" in detail and _item(score, COMPLEXITY_LABEL).points == 2
    assert score.items[1].label == MODEL_ONLY_FIXES_LABEL


# --- the report and the CSV ------------------------------------------------------------------


def _graded(training: Score | None) -> TaskResult:
    return TaskResult(
        task_id="Pr1",
        status=TaskStatus.GRADED,
        metadata={**CDKTF, "training_quality": 9},
        failures=[SIG],
        score=Score(value=8.5, items=[ScoreItem(label="Base", points=10)], rubric="default@1"),
        training=training,
    )


def _section(markdown: str) -> str:
    return markdown[markdown.index("### Impact on Training Quality Score") :]


def test_analysis_shows_both_scores_with_itemised_rationale() -> None:
    training = score_training(_inputs(failures=[SIG, MOD], ideal_stacks=RICH), POLICY)
    section = _section(render_analysis(_graded(training)))
    golden = GOLDEN / "training_section.md"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(section, encoding="utf-8")
    assert golden.is_file(), f"{golden} is missing; run with UPDATE_GOLDEN=1 to create it"
    assert section == golden.read_text(encoding="utf-8")
    assert section.index("**Score: 8.5/10**") < section.index("**Training quality (archive policy): 10/10**")
    assert "- **Starting score** (+8): where the archive's policy starts" in section
    assert (
        "- **Fixes the reference made** (+1): 1 significant (Import of a missing name (PY002)); 1 moderate"
        in section
    )
    assert "the policy gives +1 for one significant fix" in section
    assert "`archive-training@1`" in section


def test_analysis_without_a_training_score_keeps_the_answer_score_alone() -> None:
    section = _section(render_analysis(_graded(None)))
    assert "**Score: 8.5/10**" in section and "archive policy" not in section


def test_csv_has_the_training_score_column(tmp_path: Path) -> None:
    training = score_training(_inputs(), POLICY)
    path = tmp_path / "results.csv"
    write_results_csv([_graded(training), _graded(None)], path)
    frame = pd.read_csv(path)
    assert list(frame.columns).index("training_score") == list(frame.columns).index("score") + 1
    assert frame["training_score"].iloc[0] == training.value
    assert pd.isna(frame["training_score"].iloc[1])


def test_result_json_round_trips_the_training_score() -> None:
    result = _graded(score_training(_inputs(), POLICY))
    again = TaskResult.model_validate_json(result.model_dump_json())
    assert again.training == result.training
    # A result.json written before the training score existed still loads.
    old = json.loads(result.model_dump_json())
    del old["training"]
    assert TaskResult.model_validate(old).training is None


def test_fixes_name_each_failure_once_with_its_count() -> None:
    score = score_training(_inputs(failures=[SIG, SIG, MIN]), POLICY)
    detail = _item(score, FIXES_LABEL).detail
    assert "2 significant (Import of a missing name (PY002) x2)" in detail
    assert "1 minor (Built-in shadowed (PY001))" in detail
