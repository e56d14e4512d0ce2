"""How compare() pairs the model's findings with the reference's.

A model finding is a failure only where the reference got it right; one the reference shares is
set apart, and what only the reference has is kept to show a suspect reference. Everything goes
through `compare(...)` and `Side(...)` as the pipeline calls them (iacgrade/harness/pipeline/grade.py);
`side()` below is the one place a test builds a Side.
"""

from __future__ import annotations

from collections.abc import Iterable

from iacgrade.harness.core.findings import Category, Finding, Location, Severity
from iacgrade.harness.core.results import Failure
from iacgrade.harness.pipeline.compare import UNCHECKED_DIFFERENT, UNCHECKED_SAME, Comparison, Side, compare
from iacgrade.harness.platforms.registry import platform_named
from tests.rule_fixtures import workspace_of

HEAD = "from cdktf import TerraformStack\nfrom cdktf_cdktf_provider_aws.s3_bucket import S3Bucket\n\n\n"


def stack(body: str) -> dict[str, str]:
    """A one-file answer: `body` is the inside of TapStack.__init__ after super().__init__."""
    indented = "".join(f"        {line}\n" for line in body.strip("\n").splitlines())
    return {
        "lib/tap_stack.py": HEAD + "class TapStack(TerraformStack):\n"
        "    def __init__(self, scope, stack_id):\n"
        "        super().__init__(scope, stack_id)\n" + indented
    }


def side(
    *findings: Finding,
    files: dict[str, str] | None = None,
    usable: bool = True,
    unchecked: Iterable[str] = (),
) -> Side:
    """One answer's findings, with its code when `files` are given (located by its platform)."""
    workspace = workspace_of(files) if files else None
    return Side(
        workspace,
        list(findings),
        usable=usable,
        unchecked=frozenset(unchecked),
        locate=platform_named(workspace.platform).locator(workspace) if workspace else None,
    )


def finding(
    rule: str,
    anchor: str,
    message: str,
    *,
    error: str = "",
    title: str = "",
    severity: Severity = Severity.HIGH,
    fix_anchor: str = "",
    evidence: str = "",
    location: Location | None = None,
) -> Finding:
    return Finding(
        rule_id=rule,
        title=title or f"{rule} title",
        severity=severity,
        category=Category.PRODUCTION_READINESS,
        message=message,
        anchor=anchor,
        fix_anchor=fix_anchor,
        error=error,
        evidence=evidence,
        location=location or Location(),
    )


def secret(construct: str, address: str, attribute: str = "master_password") -> Finding:
    """AWS016 as it reports a literal secret on one resource."""
    return finding(
        "AWS016",
        f"construct:{construct}",
        f"`{address}.{attribute}` is a literal secret.",
    )


def checkov(check: str, construct: str, address: str, name: str) -> Finding:
    """A checkov finding as iacgrade/graders/security/scan.py reports it."""
    return finding(
        f"SEC:{check}",
        f"checkov:{check}:{construct}",
        f"checkov {check} fails on `{address}`: {name}.",
        fix_anchor=f"construct:{construct}",
    )


def synth_failure(error: str, message: str = "Synthesis failed.") -> Finding:
    return finding("SYN001", "synth", message, error=error, severity=Severity.CRITICAL)


def rules(items: Iterable[Finding | Failure]) -> list[tuple[str, str]]:
    return [(f.rule_id, f.anchor) for f in items]


def split(result: Comparison) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]]]:
    return rules(result.failures), rules(result.shared), rules(result.ideal_only)


# -- the same finding on both sides


def test_the_same_rule_at_the_same_anchor_is_shared_whatever_the_wording() -> None:
    model = finding("TF001", "backend", "No remote backend: state stays on the machine that ran deploy.")
    ideal = finding("TF001", "backend", "Stack `tap` keeps its state locally.")
    assert split(compare(side(model), side(ideal))) == ([], [("TF001", "backend")], [])


def test_without_an_anchor_the_title_pairs_findings() -> None:
    model = finding("TST001", "", "No unit test reaches the stack.", title="No unit tests")
    same = finding("TST001", "", "The tests folder is empty.", title="No unit tests")
    other = finding("TST001", "", "Tests never synthesize.", title="Tests do not synthesize the app")
    assert split(compare(side(model), side(same))) == ([], [("TST001", "")], [])
    assert split(compare(side(model), side(other))) == ([("TST001", "")], [], [("TST001", "")])


def test_the_same_problem_on_a_differently_named_construct_is_shared() -> None:
    model = secret("primary_cluster", "aws_rds_cluster.database_primary_cluster_78065EAD")
    ideal = secret("cluster", "aws_rds_cluster.database_cluster_FAF2FB92")
    result = compare(side(model), side(ideal))
    assert split(result) == ([], [("AWS016", "construct:primary_cluster")], [])
    # What is shared is still the model's finding, with the model's own anchor and message.
    assert result.shared[0].message == model.message


def test_a_checkov_check_on_differently_named_buckets_is_shared() -> None:
    name = "Ensure the S3 bucket has access logging enabled"
    model = checkov("CKV_AWS_18", "logs", "aws_s3_bucket.logs_6A1B2C3D", name)
    ideal = checkov("CKV_AWS_18", "log_bucket", "aws_s3_bucket.log_bucket_0F9E8D7C", name)
    assert split(compare(side(model), side(ideal))) == (
        [],
        [("SEC:CKV_AWS_18", "checkov:CKV_AWS_18:logs")],
        [],
    )


def test_the_same_rule_on_another_kind_of_resource_or_attribute_is_not_shared() -> None:
    model = secret("primary_cluster", "aws_rds_cluster.primary_1")
    for ideal in (
        secret("db", "aws_db_instance.db_2"),  # another resource type
        secret("cluster", "aws_rds_cluster.cluster_2", attribute="master_username"),  # another attribute
    ):
        assert split(compare(side(model), side(ideal))) == (
            [("AWS016", "construct:primary_cluster")],
            [],
            [("AWS016", ideal.anchor)],
        )


def test_another_rule_with_the_same_message_is_not_shared() -> None:
    model = finding("AWS010", "construct:logs", "`aws_s3_bucket.logs_1` has no encryption.")
    ideal = finding("AWS011", "construct:logs", "`aws_s3_bucket.logs_1` has no encryption.")
    assert split(compare(side(model), side(ideal))) == (
        [("AWS010", "construct:logs")],
        [],
        [("AWS011", "construct:logs")],
    )


# -- SYN001: every synth failure has the anchor "synth"; the error tells them apart


def test_synth_failures_pair_by_the_first_line_of_their_error() -> None:
    model = synth_failure(
        "ImportError: cannot import name 'S3BucketVersioning' from "
        "'cdktf_cdktf_provider_aws.s3_bucket_versioning'\n  File \"lib/tap_stack.py\", line 4"
    )
    same = synth_failure(
        "\n  ImportError: cannot import name 'S3BucketVersioning' from "
        "'cdktf_cdktf_provider_aws.s3_bucket_versioning'  \n  File \"lib/storage.py\", line 9"
    )
    result = compare(side(model), side(same))
    assert split(result) == ([], [("SYN001", "synth")], [])


def test_synth_failures_with_different_errors_stay_apart_even_with_one_message() -> None:
    model = synth_failure(
        "TypeError: TapStack.__init__() got an unexpected keyword argument 'environment_suffix'"
    )
    ideal = synth_failure("ImportError: cannot import name 'EcsTaskDefinitionContainerDefinitions'")
    assert model.message == ideal.message  # the message alone would pair them
    assert split(compare(side(model), side(ideal))) == ([("SYN001", "synth")], [], [("SYN001", "synth")])


def test_a_synth_failure_without_an_error_pairs_by_its_message() -> None:
    model = synth_failure("", "Synthesis timed out after 120 s.")
    assert split(compare(side(model), side(synth_failure("", "Synthesis timed out after 120 s.")))) == (
        [],
        [("SYN001", "synth")],
        [],
    )
    assert split(compare(side(model), side(synth_failure("", "The worker crashed.")))) == (
        [("SYN001", "synth")],
        [],
        [("SYN001", "synth")],
    )


# -- what only the reference has


def test_what_only_the_reference_has_is_ideal_only_but_not_its_environment_gaps() -> None:
    ideal = [
        finding("TF001", "backend", "Stack `tap` keeps its state locally."),
        finding("ENV001", "synth", "The app calls AWS while synthesizing: credentials needed."),
        secret("cluster", "aws_rds_cluster.cluster_2"),
    ]
    model = secret("primary", "aws_rds_cluster.primary_1")
    result = compare(side(model), side(*ideal))
    assert split(result) == ([], [("AWS016", "construct:primary")], [("TF001", "backend")])
    assert result.ideal_only[0] is ideal[0]  # the reference's own finding, as it was


def test_a_model_without_findings_leaves_everything_of_the_reference_ideal_only() -> None:
    ideal = finding("TF001", "backend", "Stack `tap` keeps its state locally.")
    assert split(compare(side(), side(ideal))) == ([], [], [("TF001", "backend")])


# -- a reference that gives nothing to compare with


def test_an_unusable_reference_shares_nothing_and_suspects_nothing() -> None:
    model = [finding("TF001", "backend", "No remote backend."), synth_failure("ImportError: x")]
    ideal = [finding("TF001", "backend", "No remote backend."), synth_failure("ImportError: x")]
    result = compare(side(*model), side(*ideal, usable=False))
    assert split(result) == ([("SYN001", "synth"), ("TF001", "backend")], [], [])
    assert {f.ideal_note for f in result.failures} == {"The reference answer gives no code to compare with."}
    assert all(f.ideal_code is None for f in result.failures)


def test_failures_come_worst_first_then_by_rule() -> None:
    model = [
        finding("TF003", "a", "m", severity=Severity.LOW),
        finding("AWS016", "b", "m", severity=Severity.HIGH),
        synth_failure("ImportError: x"),
        finding("AWS002", "c", "m", severity=Severity.HIGH),
    ]
    result = compare(side(*model), side())
    assert [f.rule_id for f in result.failures] == ["SYN001", "AWS002", "AWS016", "TF003"]


# -- the code each side wrote

MODEL_FILES = stack('S3Bucket(self, "logs", bucket="app-logs")\nS3Bucket(self, "data", bucket="app-data")')


def test_a_failure_quotes_the_references_code_for_the_same_construct() -> None:
    model = finding(
        "AWS010",
        "construct:data",
        "`aws_s3_bucket.data_1` has no encryption.",
        evidence='S3Bucket(self, "data", bucket="app-data")',
        location=Location(path="lib/tap_stack.py", line=9),
    )
    ideal_files = stack('S3Bucket(self, "data",\n         bucket="app-data",\n         force_destroy=True)')
    [failure] = compare(side(model, files=MODEL_FILES), side(files=ideal_files)).failures
    assert failure.model_code is not None and failure.model_code.code == model.evidence
    assert failure.ideal_code is not None
    assert (failure.ideal_code.path, failure.ideal_code.line) == ("lib/tap_stack.py", 8)
    assert failure.ideal_code.code.splitlines()[0] == 'S3Bucket(self, "data",'
    assert "force_destroy=True)" in failure.ideal_code.code
    assert failure.ideal_note == ""


def test_without_evidence_the_model_code_is_quoted_from_its_location() -> None:
    model = finding(
        "AWS010", "construct:logs", "no encryption", location=Location(path="lib/tap_stack.py", line=8)
    )
    [failure] = compare(side(model, files=MODEL_FILES), side(files=MODEL_FILES)).failures
    assert failure.model_code is not None
    assert (failure.model_code.line, failure.model_code.code) == (
        8,
        'S3Bucket(self, "logs", bucket="app-logs")',
    )


def test_the_fix_anchor_is_looked_up_before_the_anchor() -> None:
    name = "Ensure the S3 bucket has access logging enabled"
    model = checkov("CKV_AWS_18", "data", "aws_s3_bucket.data_1", name)
    [failure] = compare(side(model, files=MODEL_FILES), side(files=MODEL_FILES)).failures
    assert (
        failure.ideal_code is not None
        and failure.ideal_code.code == 'S3Bucket(self, "data", bucket="app-data")'
    )


def test_a_reference_without_the_construct_does_not_have_the_failure() -> None:
    model = finding("AWS010", "construct:archive", "`aws_s3_bucket.archive_1` has no encryption.")
    [failure] = compare(side(model, files=MODEL_FILES), side(files=MODEL_FILES)).failures
    assert failure.ideal_code is None
    assert (
        failure.ideal_note
        == "The IDEAL_RESPONSE has no counterpart of `archive`: it does not have this failure."
    )


# -- a rule that could not look at the reference: the code decides


def unchecked_case(
    ideal_body: str, evidence: str, rule: str = "AWS010", runner: str = "AWS010"
) -> Comparison:
    model = finding(
        rule,
        "construct:logs",
        "`aws_s3_bucket.logs_1` has no encryption.",
        evidence=evidence,
        location=Location(path="lib/tap_stack.py", line=8),
    )
    return compare(side(model, files=MODEL_FILES), side(files=stack(ideal_body), unchecked={runner}))


def test_an_unchecked_rule_shares_the_failure_when_the_reference_repeats_the_code() -> None:
    # Layout differs (line breaks, a trailing comma); every meaningful line is there.
    result = unchecked_case(
        'S3Bucket(\n    self,\n    "logs",\n    bucket="app-logs",\n)',
        'S3Bucket(\n    self,\n    "logs",\n    bucket="app-logs"\n)',
    )
    assert split(result) == ([], [("AWS010", "construct:logs")], [])
    assert result.shared[0].ideal_note == UNCHECKED_SAME.format(rule="AWS010")


def test_an_unchecked_rule_keeps_the_failure_when_the_reference_wrote_otherwise() -> None:
    result = unchecked_case(
        'S3Bucket(\n    self,\n    "logs",\n    bucket="app-logs-encrypted",\n)',
        'S3Bucket(\n    self,\n    "logs",\n    bucket="app-logs"\n)',
    )
    assert split(result) == ([("AWS010", "construct:logs")], [], [])
    assert result.failures[0].ideal_note == UNCHECKED_DIFFERENT.format(rule="AWS010")


def test_a_check_id_is_unchecked_when_the_rule_that_runs_its_tool_is() -> None:
    # SEC:CKV_AWS_18 comes from SEC001, which runs checkov: SEC001 unchecked covers it.
    body = 'S3Bucket(self, "logs", bucket="app-logs")'
    result = unchecked_case(body, body, rule="SEC:CKV_AWS_18", runner="SEC001")
    assert split(result) == ([], [("SEC:CKV_AWS_18", "construct:logs")], [])
    assert result.shared[0].ideal_note == UNCHECKED_SAME.format(rule="SEC:CKV_AWS_18")


def test_quote_markers_in_the_evidence_are_layout() -> None:
    evidence = '# lib/tap_stack.py:8\nS3Bucket(self, "logs", bucket="app-logs")\n...'
    result = unchecked_case('S3Bucket(self, "logs", bucket="app-logs")', evidence)
    assert split(result) == ([], [("AWS010", "construct:logs")], [])


def test_brackets_alone_prove_nothing() -> None:
    result = unchecked_case('S3Bucket(\n    self, "logs",\n)', "(\n),\n]")
    assert split(result) == ([("AWS010", "construct:logs")], [], [])
    assert result.failures[0].ideal_note == UNCHECKED_DIFFERENT.format(rule="AWS010")


def test_an_unchecked_rule_without_the_construct_in_the_reference_stays_a_failure() -> None:
    result = unchecked_case(
        'S3Bucket(self, "other", bucket="app-logs")', 'S3Bucket(self, "logs", bucket="app-logs")'
    )
    assert split(result) == ([("AWS010", "construct:logs")], [], [])
    assert result.failures[0].ideal_note.startswith("The IDEAL_RESPONSE has no counterpart of `logs`")


def test_a_rule_that_did_run_on_the_reference_is_not_judged_by_code() -> None:
    body = 'S3Bucket(self, "logs", bucket="app-logs")'
    result = unchecked_case(body, body, runner="AWS011")
    assert split(result) == ([("AWS010", "construct:logs")], [], [])
    assert result.failures[0].ideal_note == ""
