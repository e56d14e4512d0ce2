"""merge_failures: a synth error and the source finding about the same culprit become one failure."""

from __future__ import annotations

from graders.model import Category, Location, Severity
from harness.merge import merge_failures
from harness.results import Failure


def failure(
    rule_id: str, path: str, line: int, end: int | None = None, message: str = "", error: str = ""
) -> Failure:
    return Failure(
        rule_id=rule_id,
        title=rule_id,
        severity=Severity.CRITICAL,
        category=Category.CDKTF_SYNTAX,
        message=message,
        location=Location(path=path, line=line, end_line=end),
        error=error,
    )


IMPORT_ERROR = (
    "ImportError: cannot import name 'S3BucketVersioning' from "
    "'cdktf_cdktf_provider_aws.s3_bucket_versioning' (/work/.../__init__.py)"
)


def test_synth_error_folds_into_the_finding_on_its_line() -> None:
    syn = failure("SYN001", "lib/tap_stack.py", 5, 5, error=IMPORT_ERROR)
    py = failure(
        "PY002", "lib/tap_stack.py", 5, message="has no `S3BucketVersioning`", error="ImportError: short"
    )
    other = failure("PY005", "lib/tap_stack.py", 40)
    merged = merge_failures([syn, py, other])
    assert [f.rule_id for f in merged] == ["PY002", "PY005"]
    assert merged[0].merged == ["SYN001"]
    assert merged[0].error == IMPORT_ERROR  # the real synth error, not the static approximation


def test_the_finding_naming_the_keyword_wins_within_a_statement() -> None:
    error = "TypeError: SecretsmanagerSecret.__init__() got an unexpected keyword argument 'replica_region'"
    syn = failure("SYN001", "lib/tap_stack.py", 10, 16, error=error)
    shape = failure("PY004", "lib/tap_stack.py", 12, message="`tags` is a list")
    keyword = failure("PY003", "lib/tap_stack.py", 14, message="takes no keyword `replica_region`")
    merged = merge_failures([syn, shape, keyword])
    assert [(f.rule_id, f.merged) for f in merged] == [("PY004", []), ("PY003", ["SYN001"])]


def test_a_named_culprit_is_found_in_another_file() -> None:
    # The synth error is raised in the stack's `super().__init__`; the finding points at the caller.
    error = "TypeError: TapStack.__init__() got an unexpected keyword argument 'state_bucket'"
    syn = failure("SYN001", "lib/tap_stack.py", 19, 19, error=error)
    py = failure(
        "PY007", "tap.py", 29, message="got unexpected keyword arguments `state_bucket`, `aws_region`"
    )
    merged = merge_failures([syn, py])
    assert [(f.rule_id, f.merged) for f in merged] == [("PY007", ["SYN001"])]


def test_jsii_struct_key_names_the_python_keyword() -> None:
    error = (
        "RuntimeError: Passed to parameter config of new DynamodbTable: Unable to deserialize value\n"
        "    ╰─ Key 'globalSecondaryIndex': Unable to deserialize value"
    )
    syn = failure("SYN001", "lib/other.py", 3, 3, error=error)
    py = failure(
        "PY005", "lib/table.py", 22, message="`global_secondary_index` of `DynamodbTable` expects ..."
    )
    assert merge_failures([syn, py])[0].merged == ["SYN001"]


def test_unrelated_synth_error_stays() -> None:
    syn = failure("SYN001", "lib/tap_stack.py", 7, 7, error="ModuleNotFoundError: No module named 'stacks'")
    py = failure("PY005", "lib/tap_stack.py", 40, message="`route` of `RouteTable`")
    assert [f.rule_id for f in merge_failures([syn, py])] == ["SYN001", "PY005"]


def test_nothing_to_merge_returns_a_copy() -> None:
    failures = [failure("PY005", "a.py", 1)]
    out = merge_failures(failures)
    assert out == failures and out is not failures


def test_a_declared_consequence_folds_into_its_cause_at_the_same_statement() -> None:
    route_error = "Error: creating route: one of `cidr_block, ...` must be specified"
    effect = failure("AWS006", "lib/tap_stack.py", 90, error=route_error)
    effect = effect.model_copy(update={"location": effect.location.model_copy(update={"address": "aws_x.y"})})
    cause = failure("PY005", "lib/tap_stack.py", 90)
    elsewhere = failure("AWS006", "lib/tap_stack.py", 145, error=route_error)
    merged = merge_failures([effect, cause, elsewhere])
    assert [f.rule_id for f in merged] == ["PY005", "AWS006"]
    assert merged[0].merged == ["AWS006"]
    assert merged[0].error == route_error
    assert merged[0].location.address == "aws_x.y"
    assert merged[1].location.line == 145  # no PY005 there: the route finding stands on its own


def test_an_undeclared_pair_at_one_statement_stays_apart() -> None:
    merged = merge_failures([failure("AWS005", "a.py", 3), failure("PY005", "a.py", 3)])
    assert [f.rule_id for f in merged] == ["AWS005", "PY005"]


def _in_stack(f: Failure, stack: str, address: str, anchor: str) -> Failure:
    where = f.location.model_copy(update={"stack": stack, "address": address})
    return f.model_copy(update={"anchor": anchor, "location": where})


def test_one_line_built_into_several_stacks_is_one_failure() -> None:
    path = "stacks/regional.py"
    bucket = "aws_s3_bucket.docs"
    primary = _in_stack(
        failure("AWS009", path, 211, message=f"`{bucket}` is named `docs-primary`."),
        "primary",
        bucket,
        "construct:docs",
    )
    secondary = _in_stack(
        failure("AWS009", path, 211, message=f"`{bucket}` is named `docs-secondary`."),
        "secondary",
        bucket,
        "construct:docs",
    )
    other_line = _in_stack(failure("AWS009", path, 250), "primary", "aws_iam_role.r", "construct:r")
    # Source findings on one line (two wrong names in one import) are two mistakes: never folded.
    imports = [failure("PY002", "lib/a.py", 4, message="A"), failure("PY002", "lib/a.py", 4, message="B")]
    merged = merge_failures([primary, other_line, secondary, *imports])
    assert [(f.rule_id, f.location.line) for f in merged] == [
        ("AWS009", 211),
        ("AWS009", 250),
        ("PY002", 4),
        ("PY002", 4),
    ]
    assert merged[0].occurrences == 2 and merged[1].occurrences == 1
    assert merged[0].message == (
        "`aws_s3_bucket.docs` is named `docs-primary`. The same code is built again: "
        "`aws_s3_bucket.docs` is named `docs-secondary`."
    )
