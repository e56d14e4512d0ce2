"""The Markdown analysis against golden files, plus the result writers and the CSV.

Regenerate the golden files after an intended change with
`UPDATE_GOLDEN=1 pytest tests/reports/test_reports.py` and read the diff: the golden files are
what a reader of the analysis sees.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

from iacgrade.harness.core.atomic import write_text_atomic
from iacgrade.harness.core.findings import (
    Category,
    ErrorKind,
    Finding,
    Location,
    Outcome,
    RuleOutcome,
    Severity,
)
from iacgrade.harness.core.results import (
    CodeQuote,
    Failure,
    Score,
    ScoreItem,
    SideResult,
    TaskResult,
    TaskStatus,
)
from iacgrade.harness.core.synth import SynthResult, SynthStatus
from iacgrade.reports import render_analysis, results_row, write_results_csv, write_task_outputs
from iacgrade.reports.markdown import ERROR_LABELS, fenced, impact_item, place_count, signed, tidy_markdown
from iacgrade.reports.nouns import resource_noun
from iacgrade.reports.positives import model_positives
from iacgrade.reports.writers import BASE_COLUMNS, METADATA_COLUMNS
from tests.paths import GOLDEN

UPDATE_GOLDEN = os.environ.get("UPDATE_GOLDEN") == "1"

METADATA = {
    "platform": "cdktf",
    "language": "py",
    "complexity": "expert",
    "author": "example-author",
    "training_quality": 8,
    "aws_services": ["RDS", "VPC"],
}

# --- fixtures: results built by hand ----------------------------------------------------------


def _constructor_failure() -> Failure:
    return Failure(
        rule_id="SYN001",
        title="Constructor called with arguments it does not accept",
        severity=Severity.CRITICAL,
        category=Category.API_CONSISTENCY,
        message=(
            "`tap.py` passes `environment_suffix`, `state_bucket` and four more keyword arguments to "
            "`TapStack`, but its constructor only accepts `scope` and `id`, so synthesis stops with a "
            "`TypeError` before any resource is built."
        ),
        location=Location(path="lib/tap_stack.py", line=12),
        anchor="TapStack.__init__",
        model_code=CodeQuote(
            path="lib/tap_stack.py",
            line=12,
            code="class TapStack(TerraformStack):\n    def __init__(self, scope: Construct, id: str):\n"
            "        super().__init__(scope, id)\n",
        ),
        ideal_code=CodeQuote(
            path="lib/tap_stack.py",
            line=20,
            code=(
                "class TapStack(TerraformStack):\n"
                "    def __init__(\n"
                "        self,\n"
                "        scope: Construct,\n"
                "        stack_id: str,\n"
                "        environment_suffix: str = None,\n"
                "        state_bucket: str = None,\n"
                "    ):\n"
                "        super().__init__(scope, stack_id)\n"
            ),
        ),
        error="TypeError: TapStack.__init__() got an unexpected keyword argument 'environment_suffix'",
        root_cause=(
            "The entry point and the stack class were written as if by different authors: the caller "
            "passes configuration the class never declared."
        ),
        impact=[
            "Deployment Blocker: prevents synthesis entirely (exit code 1)",
            "CI/CD Failure: blocks all automated deployments",
        ],
        fix_minutes=5,
        merged=["PY004"],
    )


def _backtrack_failure() -> Failure:
    return Failure(
        rule_id="AWS003",
        title="Aurora backtrack enabled on a global database cluster",
        severity=Severity.CRITICAL,
        category=Category.AWS_SERVICE_LIMITS,
        message="The primary cluster joins a global database and sets `backtrack_window`, which AWS rejects.",
        location=Location(
            path="lib/tap_stack.py", line=88, address="aws_rds_cluster.primary_cluster", stack="tap"
        ),
        anchor="aws_rds_cluster.primary_cluster",
        model_code=CodeQuote(
            path="lib/tap_stack.py", line=88, code="backtrack_window=259200,  # 72 hours in seconds"
        ),
        ideal_code=CodeQuote(
            path="lib/tap_stack.py",
            line=97,
            code="# backtrack is not supported for global databases; rely on PITR\n"
            "backup_retention_period=7,",
        ),
        error="InvalidParameterCombination: Backtrack is not supported for global databases.",
        root_cause="Backtrack is only available for regional Aurora MySQL clusters.",
        impact=["Deployment Blocker: prevents cluster creation", "Feature Limitation: use PITR instead"],
        docs=[
            "Aurora Backtrack: https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/"
            "AuroraMySQL.Managing.Backtrack.html"
        ],
        fix_minutes=2,
        note=FALLBACK_NOTE,
    )


FALLBACK_NOTE = "based on Terraform JSON from the fallback strategy 'bare'"


def _route_failure() -> Failure:
    # One problem at three route tables, as merge_places leaves it: one failure, every place.
    places = [
        Location(path="lib/tap_stack.py", line=line, address=f"aws_route_table.{name}", stack="tap")
        for line, name in ((90, "public_a"), (145, "public_b"), (1020, "public_c"))
    ]
    return Failure(
        rule_id="PY005",
        title="RouteTable route given as a dict instead of RouteTableRoute",
        severity=Severity.CRITICAL,
        category=Category.CDKTF_SYNTAX,
        message="`route` of `RouteTable` expects `RouteTableRoute`; the dict's keys are dropped.",
        location=places[0],
        anchor="construct:public_a",
        model_code=CodeQuote(
            path="lib/tap_stack.py",
            line=90,
            code='route=[{"cidr_block": "0.0.0.0/0", "gateway_id": igw.id}],',
        ),
        error=(
            "Error: creating route: one of `cidr_block, ipv6_cidr_block, destination_prefix_list_id` "
            "must be specified"
        ),
        error_kind=ErrorKind.EXPECTED_DEPLOY,
        root_cause="Dictionary syntax where the CDKTF struct class is required.",
        fix_minutes=10,
        note=FALLBACK_NOTE,
        occurrences=3,
        places=places,
    )


def _backend_failure() -> Failure:
    return Failure(
        rule_id="TF010",
        title="No remote state backend",
        severity=Severity.HIGH,
        category=Category.PRODUCTION_READINESS,
        message=(
            "The MODEL_RESPONSE lacks any Terraform backend configuration, so state stays on the machine "
            "that ran the deployment."
        ),
        location=Location(stack="tap"),
        ideal_code=CodeQuote(
            path="lib/tap_stack.py",
            line=40,
            code=(
                "S3Backend(\n"
                "    self,\n"
                "    bucket=state_bucket,\n"
                '    key=f"tap/{environment_suffix}/terraform.tfstate",\n'
                "    encrypt=True,\n"
                ")"
            ),
        ),
        root_cause="State management for shared environments was not considered.",
        impact=[
            "Security Risk: state files hold secrets and stay unencrypted on local disk",
            "Without locking, two pipelines can corrupt each other's state",
        ],
        docs=["Terraform S3 Backend: https://developer.hashicorp.com/terraform/language/backend/s3"],
        fix_minutes=10,
    )


def _shadowing_failure() -> Failure:
    return Failure(
        rule_id="PY020",
        title="Parameter shadows a Python built-in",
        severity=Severity.MEDIUM,
        category=Category.PYTHON_PRACTICE,
        message="The parameter `id` shadows Python's built-in `id()`.",
        location=Location(path="lib/tap_stack.py", line=13),
        model_code=CodeQuote(
            path="lib/tap_stack.py", line=13, code="def __init__(self, scope: Construct, id: str):"
        ),
        ideal_code=CodeQuote(code="def __init__(self, scope: Construct, stack_id: str, ...):"),
        root_cause="A pattern copied from CDK examples without Python naming conventions in mind.",
        impact=["Linting Warnings: pylint W0622 (redefined-builtin)"],
        fix_minutes=2,
    )


def _fence_failure() -> Failure:
    # The quoted code holds a Markdown fence of its own: the analysis must still parse.
    return Failure(
        rule_id="PY031",
        title="Runbook text embedded in resource descriptions",
        severity=Severity.LOW,
        category=Category.RESOURCE_CONFIGURATION,
        message="A multi-line Markdown runbook is stored in a parameter description.",
        location=Location(path="lib/tap_stack.py", line=140, address="aws_ssm_parameter.runbook"),
        model_code=CodeQuote(
            path="lib/tap_stack.py",
            line=140,
            code=(
                "SsmParameter(\n"
                "    self,\n"
                '    "runbook",\n'
                '    description="""Run:\n'
                "```bash\n"
                "make failover\n"
                "```\n"
                '""",\n'
                ")"
            ),
        ),
        ideal_note=(
            "The IDEAL_RESPONSE has no `SsmParameter` for a runbook; it documents failover in the README."
        ),
        fix_minutes=3,
    )


def _side(
    side: str, synth: SynthResult | None, has_code: bool = True, outcomes: list[RuleOutcome] | None = None
) -> SideResult:
    return SideResult(
        side=side,
        has_code=has_code,
        entry="tap.py",
        entry_source="answer",
        synth=synth,
        outcomes=outcomes or [],
    )


def seed_like_result() -> TaskResult:
    """A task like the seed: several severities, a merged failure, a fallback note, a shared one."""
    shared = Failure(
        rule_id="SEC002",
        title="S3 bucket without access logging",
        severity=Severity.LOW,
        category=Category.PRODUCTION_READINESS,
        message="Neither answer enables access logging on the backup bucket.",
        location=Location(path="lib/tap_stack.py", line=200, address="aws_s3_bucket.backup"),
    )
    ideal_only = Finding(
        rule_id="TF021",
        title="Security group allows all egress",
        severity=Severity.MEDIUM,
        category=Category.RESOURCE_CONFIGURATION,
        message="The reference opens egress to 0.0.0.0/0 on every port.",
        location=Location(address="aws_security_group.lambda_sg"),
    )
    return TaskResult(
        task_id="Pr4664",
        status=TaskStatus.GRADED,
        metadata=METADATA,
        # Given out of severity order on purpose: the analysis groups them.
        failures=[
            _constructor_failure(),
            _shadowing_failure(),
            _backend_failure(),
            _fence_failure(),
            _backtrack_failure(),
            _route_failure(),
        ],
        shared=[shared],
        ideal_only=[ideal_only],
        model=_side(
            "model",
            SynthResult(
                status=SynthStatus.ERROR,
                error_type="TypeError",
                message="TapStack.__init__() got an unexpected keyword argument 'environment_suffix'",
                stacks={
                    "tap": {
                        "resource": {
                            "aws_route53_zone": {"zone": {"name": "db.internal"}},
                            "aws_rds_cluster": {"primary_cluster": {}, "secondary_cluster": {}},
                            "aws_lambda_function": {"handler": {"runtime": "python3.12"}},
                        }
                    }
                },
                stacks_strategy="bare",
            ),
            outcomes=[
                RuleOutcome(rule_id="AWS001", outcome=Outcome.FAIL),
                RuleOutcome(rule_id="AWS003", outcome=Outcome.PASS),  # no DB instance: nothing to claim
                RuleOutcome(rule_id="AWS004", outcome=Outcome.PASS),
                RuleOutcome(rule_id="AWS019", outcome=Outcome.SKIP),
                RuleOutcome(rule_id="PY008", outcome=Outcome.PASS),
                RuleOutcome(rule_id="PY007", outcome=Outcome.FAIL),
            ],
        ),
        ideal=_side("ideal", SynthResult(status=SynthStatus.OK, stacks={"tap": {}}, stacks_strategy="entry")),
        score=Score(
            value=6.5,
            items=[
                ScoreItem(label="Strong Foundation", points=4, detail="multi-region architecture is sound"),
                ScoreItem(label="Synthesis Blocked", points=-1, detail="the constructor mismatch blocks"),
                ScoreItem(label="AWS Service Limitations", points=-0.5, detail="Aurora backtrack"),
                ScoreItem(label="High Training Value", points=0),
            ],
            summary="The infrastructure knowledge is solid, but two deployment blockers prevent any use.",
            rubric="default-v1",
        ),
        timings={"total": 3.25, "synth": 2.5},
    )


def model_only_result() -> TaskResult:
    """The reference gives no code: only the model answer is graded."""
    missing = Failure(
        rule_id="SYN004",
        title="Entry point imports a module the answer does not define",
        severity=Severity.CRITICAL,
        category=Category.API_CONSISTENCY,
        message="`tap.py` imports `lib.network_stack`, which no file of the answer provides.",
        location=Location(path="tap.py", line=3),
        model_code=CodeQuote(path="tap.py", line=3, code="from lib.network_stack import NetworkStack"),
        error="ModuleNotFoundError: No module named 'lib.network_stack'",
        ideal_note="The reference has no code for this construct.",
        impact=["Deployment Blocker: prevents synthesis"],
        fix_minutes=15,
    )
    tags = Failure(
        rule_id="TF030",
        title="Resources without the required tags",
        severity=Severity.LOW,
        category=Category.PRODUCTION_READINESS,
        message="Three resources carry no `Environment` tag.",
        location=Location(address="aws_vpc.main", stack="network"),
    )
    return TaskResult(
        task_id="Pr5770",
        status=TaskStatus.GRADED,
        metadata={"platform": "cdktf", "language": "py"},
        model_only=True,
        failures=[missing, tags],
        model=_side(
            "model",
            SynthResult(
                status=SynthStatus.ERROR,
                error_type="ModuleNotFoundError",
                message="No module named 'lib.network_stack'",
            ),
        ),
        ideal=_side("ideal", None, has_code=False),
        score=Score(
            value=3, items=[ScoreItem(label="Synthesis Blocked", points=-4, detail="nothing deploys")]
        ),
    )


def invalid_result() -> TaskResult:
    return TaskResult(
        task_id="Pr9999",
        status=TaskStatus.INVALID,
        reason="MODEL_RESPONSE.md is missing (looked in the task and its lib/)",
        metadata={"platform": "cdktf"},
    )


CASES = {
    "seed_like": seed_like_result,
    "model_only": model_only_result,
    "invalid": invalid_result,
}

# --- helpers ----------------------------------------------------------------------------------


def _prose(markdown: str) -> str:
    """The document without its fenced code blocks (code may say `None`; prose must not)."""
    return re.sub(r"^(`{3,})[^\n]*\n.*?^\1\s*$", "", markdown, flags=re.MULTILINE | re.DOTALL)


def _headings(markdown: str, level: int) -> list[str]:
    marker = "#" * level + " "
    return [line[len(marker) :] for line in _prose(markdown).splitlines() if line.startswith(marker)]


# --- golden files -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_render_matches_golden(name: str) -> None:
    rendered = render_analysis(CASES[name]())
    golden = GOLDEN / f"{name}.md"
    if UPDATE_GOLDEN:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(rendered, encoding="utf-8")
    assert golden.is_file(), f"{golden} is missing; run with UPDATE_GOLDEN=1 to create it"
    assert rendered == golden.read_text(encoding="utf-8")


# --- structure --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_render_is_clean(name: str) -> None:
    rendered = render_analysis(CASES[name]())
    assert rendered.startswith("# Model Response Failures Analysis\n\n")
    assert rendered.endswith("\n") and not rendered.endswith("\n\n")
    assert "\n\n\n" not in rendered
    assert "None" not in _prose(rendered)
    assert rendered.count("```") % 2 == 0


def test_seed_like_section_order() -> None:
    rendered = render_analysis(seed_like_result())
    assert _headings(rendered, 2) == [
        "Critical Failures",
        "High Failures",
        "Medium Failures",
        "Low Failures",
        "Summary",
    ]
    assert _headings(rendered, 3)[-6:] == [
        "Issues both answers share",
        "Findings only the reference has (check the reference)",
        "What the model got right",
        "Severity Distribution",
        "Estimated Time to Fix",
        "Impact on Training Quality Score",
    ]


def test_failures_are_numbered_across_sections_worst_first() -> None:
    rendered = render_analysis(seed_like_result())
    failures = [h for h in _headings(rendered, 3) if re.match(r"\d+\. ", h)]
    assert [int(h.split(".")[0]) for h in failures] == [1, 2, 3, 4, 5, 6]
    # The Critical failures keep the order they come in (iacgrade.harness.pipeline.merge.order_failures
    # decides
    # it); then High, Medium, Low.
    rule_ids = [re.search(r"(\w+)\)$", h).group(1) for h in failures]
    assert rule_ids == ["SYN001", "AWS003", "PY005", "TF010", "PY020", "PY031"]
    levels = re.findall(r"^\*\*Impact Level\*\*: (\w+)$", rendered, flags=re.MULTILINE)
    assert levels == ["Critical", "Critical", "Critical", "High", "Medium", "Low"]
    # Every failure ends with a rule, like the seed's.
    assert rendered.split("## Summary")[0].count("\n---\n") == 6


def test_failure_block_pieces() -> None:
    rendered = render_analysis(seed_like_result())
    assert "**MODEL_RESPONSE Issue** (`lib/tap_stack.py:12`):\n```python\nclass TapStack" in rendered
    assert "**Error (observed at synth)**:\n```\nTypeError: TapStack.__init__()" in rendered
    assert "**Expected error at deploy (not run)**:\n```\nInvalidParameterCombination" in rendered
    assert "**IDEAL_RESPONSE Fix** (`lib/tap_stack.py:20`):\n```python\n" in rendered
    assert "- **Deployment Blocker**: prevents synthesis entirely (exit code 1)" in rendered
    # A bullet without a short label stays as written.
    assert "- Without locking, two pipelines can corrupt each other's state" in rendered
    assert "*Also reported by: `PY004`.*" in rendered
    assert "resource `aws_rds_cluster.primary_cluster` in stack `tap`" in rendered
    assert "**AWS Documentation Reference**: N/A" in rendered
    assert "**AWS Documentation Reference**:\n- Aurora Backtrack: https://" in rendered
    # No model code: the message follows the heading directly, as in the seed.
    assert "**MODEL_RESPONSE Issue**:\nThe MODEL_RESPONSE lacks any Terraform backend" in rendered
    assert "**IDEAL_RESPONSE Fix**:\nThe IDEAL_RESPONSE has no `SsmParameter`" in rendered


def test_code_with_fences_gets_a_longer_fence() -> None:
    rendered = render_analysis(seed_like_result())
    assert "````python\nSsmParameter(" in rendered
    assert "\n```bash\nmake failover\n```\n" in rendered
    assert '""",\n)\n````\n' in rendered


def test_summary_and_score() -> None:
    rendered = render_analysis(seed_like_result())
    assert "- Total failures: **3 Critical**, **1 High**, **1 Medium**, **1 Low**" in rendered
    assert "  1. **API Consistency** (1): Constructor called with arguments it does not accept" in rendered
    assert "  - MODEL_RESPONSE: **error**, `TypeError: TapStack.__init__()" in rendered
    assert "Terraform JSON for 1 stack from the fallback strategy `bare`" in rendered
    assert "  - IDEAL_RESPONSE: **ok**; Terraform JSON for 1 stack from strategy `entry`" in rendered
    assert "- **Critical (Deployment Blockers)**: 3 failures\n" in rendered
    assert "- **High (Production Readiness)**: 1 failure\n" in rendered
    assert "- No remote state backend: 10 minutes" in rendered
    assert "**Total**: ~32 minutes of manual fixes required" in rendered
    assert "**Score: 6.5/10**" in rendered
    assert "- **Strong Foundation** (+4): multi-region architecture is sound" in rendered
    assert "- **AWS Service Limitations** (-0.5): Aurora backtrack" in rendered
    assert "- **High Training Value** (+0)\n" in rendered


def test_model_only_says_so() -> None:
    rendered = render_analysis(model_only_result())
    intro = rendered.split("\n\n")[1]
    assert "The IDEAL_RESPONSE gives no code, so only the MODEL_RESPONSE was graded" in intro
    assert "compares them to the IDEAL_RESPONSE" not in intro
    assert "IDEAL_RESPONSE: no code in the answer" in rendered
    assert "### Issues both answers share" not in rendered
    assert "**Score: 3/10**" in rendered


@pytest.mark.parametrize("status", [TaskStatus.INVALID, TaskStatus.INFRA_ERROR, TaskStatus.ERROR])
def test_not_graded_is_short_and_has_no_score(status: TaskStatus) -> None:
    result = invalid_result().model_copy(update={"status": status, "reason": "worker exited with 137"})
    rendered = render_analysis(result)
    assert f"- **Status**: {status.value}" in rendered
    assert "- **Reason**: worker exited with 137" in rendered
    assert "Score" not in rendered
    assert _headings(rendered, 2) == []


def test_graded_without_failures() -> None:
    result = seed_like_result().model_copy(update={"failures": [], "shared": [], "ideal_only": []})
    rendered = render_analysis(result)
    assert "## Failures\n\nNo failures:" in rendered
    assert "- Total failures: **0 Critical**, **0 High**, **0 Medium**, **0 Low**" in rendered
    assert "Nothing to fix." in rendered
    assert "Primary knowledge gaps" not in rendered


# --- formatting helpers -----------------------------------------------------------------------


def test_fenced_picks_a_fence_longer_than_any_inside() -> None:
    assert fenced("a = 1\n", "python") == "```python\na = 1\n```"
    assert fenced("x = '````'").startswith("`````\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Deployment Blocker: stops synth", "**Deployment Blocker**: stops synth"),
        ("See https://example.com for more", "See https://example.com for more"),
        ("plain text", "plain text"),
    ],
)
def test_impact_item(text: str, expected: str) -> None:
    assert impact_item(text) == expected


def test_signed() -> None:
    assert [signed(p) for p in (4, -0.5, 0, 1.25)] == ["+4", "-0.5", "+0", "+1.25"]


def test_tidy_keeps_code_blocks_intact() -> None:
    text = "a\n\n\n\nb\n```\nx\n\n\n\ny\n```\n\n\n"
    assert tidy_markdown(text) == "a\n\nb\n```\nx\n\n\n\ny\n```\n"


# --- writers ----------------------------------------------------------------------------------


def test_write_task_outputs(tmp_path: Path) -> None:
    result = seed_like_result()
    out = tmp_path / "runs" / result.task_id
    write_task_outputs(result, out)
    write_task_outputs(result, out)  # rewriting replaces, never appends
    assert sorted(p.name for p in out.iterdir()) == ["analysis.md", "result.json"]  # no temp files left
    assert (out / "analysis.md").read_text(encoding="utf-8") == render_analysis(result)
    assert TaskResult.model_validate_json((out / "result.json").read_text(encoding="utf-8")) == result


def test_results_row() -> None:
    row = results_row(seed_like_result())
    assert row["score"] == 6.5
    assert (row["critical"], row["high"], row["medium"], row["low"], row["failures"]) == (3, 1, 1, 1, 6)
    assert (row["model_synth"], row["model_error_type"]) == ("error", "TypeError")
    assert (row["ideal_synth"], row["ideal_error_type"]) == ("ok", "")
    assert (row["model_json"], row["ideal_json"]) == ("bare", "entry")
    none = results_row(model_only_result())
    assert none["ideal_json"] == ""
    assert row["seconds"] == 3.25
    assert row["platform"] == "cdktf" and row["training_quality"] == 8
    assert "aws_services" not in row


def test_write_results_csv(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    write_results_csv([seed_like_result(), model_only_result(), invalid_result()], path)
    assert [p.name for p in tmp_path.iterdir()] == ["results.csv"]
    frame = pd.read_csv(path)
    assert list(frame.columns) == [*BASE_COLUMNS, *METADATA_COLUMNS]
    assert list(frame["task_id"]) == ["Pr4664", "Pr5770", "Pr9999"]
    assert list(frame["status"]) == ["graded", "graded", "invalid"]
    assert list(frame["critical"]) == [3, 1, 0]
    assert list(frame["low"]) == [1, 1, 0]
    assert list(frame["failures"]) == [6, 2, 0]
    assert frame["score"].tolist()[:2] == [6.5, 3.0] and pd.isna(frame["score"][2])
    assert frame["ideal_synth"].fillna("").tolist() == ["ok", "skipped", ""]
    assert frame["model_only"].tolist() == [False, True, False]
    assert frame["complexity"].fillna("").tolist() == ["expert", "", ""]
    assert frame["training_quality"].tolist()[0] == 8


def test_write_results_csv_without_results(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    write_results_csv([], path)
    assert list(pd.read_csv(path).columns) == list(BASE_COLUMNS)


def test_failed_write_keeps_the_old_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "analysis.md"
    write_text_atomic(path, "old\n")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_text_atomic(path, "new\n")
    assert [p.name for p in tmp_path.iterdir()] == ["analysis.md"]
    assert path.read_text(encoding="utf-8") == "old\n"


# --- what a reviewer catches at once ----------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        (ErrorKind.OBSERVED, "**Error (observed at synth)**:"),
        (ErrorKind.EXPECTED_SYNTH, "**Expected error at synth (not observed)**:"),
        (ErrorKind.EXPECTED_DEPLOY, "**Expected error at deploy (not run)**:"),
    ],
)
def test_the_error_label_follows_where_the_error_comes_from(kind: ErrorKind, label: str) -> None:
    result = seed_like_result()
    result.failures = [_backtrack_failure().model_copy(update={"error_kind": kind})]
    rendered = render_analysis(result)
    assert f"{label}\n```\nInvalidParameterCombination" in rendered
    others = [v for k, v in ERROR_LABELS.items() if k is not kind]
    assert not any(f"**{other}**" in rendered for other in others)


def test_a_note_several_failures_share_is_stated_once() -> None:
    rendered = render_analysis(seed_like_result())
    assert rendered.count("Terraform JSON from the fallback strategy 'bare'") == 1
    assert "**Note A** (failures 2 and 3): Based on Terraform JSON" in rendered
    assert rendered.count("*Note A above applies.*") == 2
    # A note only one failure carries stays with that failure.
    result = seed_like_result()
    result.failures = [_backtrack_failure(), _constructor_failure()]
    single = render_analysis(result)
    assert "**Note A**" not in single
    assert "*Note: Based on Terraform JSON from the fallback strategy 'bare'.*" in single


def test_a_merged_failure_shows_its_count_and_every_place() -> None:
    rendered = render_analysis(seed_like_result())
    assert (
        "### 3. RouteTable route given as a dict instead of RouteTableRoute (3 route tables, PY005)"
        in rendered
    )
    assert (
        "**MODEL_RESPONSE Issue** (3 route tables; the code quoted is the first):\n"
        "- `lib/tap_stack.py:90`, resource `aws_route_table.public_a` in stack `tap`\n"
        "- `lib/tap_stack.py:145`, resource `aws_route_table.public_b` in stack `tap`\n"
        "- `lib/tap_stack.py:1020`, resource `aws_route_table.public_c` in stack `tap`\n"
    ) in rendered
    assert (
        "- RouteTable route given as a dict instead of RouteTableRoute: 10 minutes (3 route tables)"
        in rendered
    )
    assert "  - RouteTable route given as a dict instead of RouteTableRoute (3 route tables)\n" in rendered


def test_places_without_one_resource_type_are_counted_as_places() -> None:
    f = _route_failure()
    mixed = [*f.places[:1], Location(path="lib/other.py", line=7)]
    assert place_count(f.model_copy(update={"places": mixed})) == "2 places"
    assert place_count(f.model_copy(update={"places": []})) == ""
    stacks = [Location(path="lib/a.py", line=3, stack=s) for s in ("network", "data")]
    assert place_count(f.model_copy(update={"places": stacks})) == "2 stacks"


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_count_is_written_with_a_plural_in_brackets(name: str) -> None:
    assert "(s)" not in _prose(render_analysis(CASES[name]()))


def test_what_the_model_got_right_comes_from_the_rules_that_passed() -> None:
    rendered = render_analysis(seed_like_result())
    section = rendered.split("### What the model got right\n")[1].split("\n### ")[0]
    assert "1. Every name the code uses is defined or imported (PY008 passed)" in section
    assert "2. Hosted zone names avoid domains AWS reserves (AWS004 passed on 1 Route 53 zone)" in section
    # A rule that failed (AWS001), was skipped (AWS019) or passed with nothing of its kind to
    # look at (AWS003: no DB instance in the JSON) supports no statement.
    for rule_id in ("AWS001", "AWS019", "AWS003", "PY007"):
        assert rule_id not in section
    assert "fallback strategy `bare`" in section


def test_what_the_model_got_right_with_no_terraform_json() -> None:
    result = model_only_result()
    rendered = render_analysis(result)
    assert (
        "The MODEL_RESPONSE produced no Terraform JSON, so no check on its resources could pass" in rendered
    )
    assert result.model is not None
    result.model.outcomes = [RuleOutcome(rule_id="PY008", outcome=Outcome.PASS)]
    rendered = render_analysis(result)
    assert "(it produced no Terraform JSON, so no check on its resources ran)" in rendered
    assert "1. Every name the code uses is defined or imported (PY008 passed)" in rendered


def test_positives_count_only_resources_that_set_the_judged_attribute() -> None:
    side = SideResult(
        side="model",
        synth=SynthResult(
            status=SynthStatus.OK,
            stacks={
                "a": {"resource": {"aws_rds_cluster": {"x": {"engine_version": "8.0"}, "y": {}}}},
                "b": {"resource": {"aws_db_instance": {"z": {"engine_version": "16.4"}}}},
            },
        ),
        outcomes=[RuleOutcome(rule_id="AWS002", outcome=Outcome.PASS)],
    )
    [fact] = model_positives(side)
    assert (fact.count, fact.evidence) == (2, "AWS002 passed on 1 RDS cluster and 1 DB instance")


def test_a_statement_resting_on_several_rules_needs_all_of_them() -> None:
    rules = ("PY002", "PY003", "PY004", "PY005", "PY006", "PY009")
    side = SideResult(side="model", outcomes=[RuleOutcome(rule_id=r, outcome=Outcome.PASS) for r in rules])
    assert [p.rules for p in model_positives(side)] == [rules]
    side.outcomes[2] = RuleOutcome(rule_id="PY004", outcome=Outcome.FAIL)
    assert model_positives(side) == []


@pytest.mark.parametrize(
    ("types", "noun"),
    [
        (["aws_route_table"], "route table"),
        (["aws_route_table"] * 4, "route tables"),
        (["aws_rds_cluster"] * 2, "RDS clusters"),
        (["aws_iam_policy"] * 3, "IAM policies"),
        (["aws_dms_replication_instance"] * 2, "DMS replication instances"),
        (["aws_rds_cluster", "aws_db_instance"], "resources"),
    ],
)
def test_resource_nouns(types: list[str], noun: str) -> None:
    assert resource_noun(types) == noun


def test_synthesizing_through_its_own_entry_is_claimed_only_for_an_entry_of_its_own() -> None:
    def side(entry_source: str) -> SideResult:
        return SideResult(
            side="model",
            entry_source=entry_source,
            outcomes=[RuleOutcome(rule_id="SYN001", outcome=Outcome.PASS)],
        )

    assert [p.rules for p in model_positives(side("answer"))] == [("SYN001",)]
    assert model_positives(side("scaffold")) == []
