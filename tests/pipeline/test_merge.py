"""merge_failures: a synth error and the source finding about the same culprit become one failure."""

from __future__ import annotations

from iacgrade.harness.core.findings import Category, ErrorKind, Location, Severity
from iacgrade.harness.core.results import Failure
from iacgrade.harness.pipeline.merge import merge_failures, order_failures


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


# --- one problem at several places, and the reading order -------------------------------------

ROUTE_ERROR = (
    "Error: creating route: one of `cidr_block, ipv6_cidr_block, destination_prefix_list_id` "
    "must be specified"
)


def _route(line: int, name: str) -> Failure:
    f = failure(
        "PY005", "lib/tap_stack.py", line, message="`route` of `RouteTable` expects `RouteTableRoute`."
    )
    return _in_stack(f, "tap", f"aws_route_table.{name}", f"construct:{name}").model_copy(
        update={"title": "RouteTable route given as a dict instead of RouteTableRoute", "error": ROUTE_ERROR}
    )


def test_one_problem_at_several_places_is_one_failure_with_every_place() -> None:
    routes = [_route(1020, "c"), _route(90, "a"), _route(145, "b")]
    other = failure("AWS005", "lib/tap_stack.py", 300, error="InvalidPermission.Duplicate")
    merged = merge_failures([routes[0], other, routes[1], routes[2]])
    assert [f.rule_id for f in merged] == ["PY005", "AWS005"]
    route = merged[0]
    assert route.occurrences == 3
    # The first place in reading order (numeric line) speaks for the group and lists them all.
    assert route.location.line == 90
    assert [(p.line, p.address) for p in route.places] == [
        (90, "aws_route_table.a"),
        (145, "aws_route_table.b"),
        (1020, "aws_route_table.c"),
    ]
    assert merged[1].places == [] and merged[1].occurrences == 1


def test_same_rule_with_a_different_problem_stays_apart() -> None:
    # The messages decide, once each one's own place is left out: they name the values at fault.
    a = failure("AWS002", "lib/a.py", 10, message="DMS replication engine `3.5.2` is not offered.")
    b = failure("AWS002", "lib/a.py", 20, message="DMS replication engine `3.4.7` is not offered.")
    c = _in_stack(
        failure("AWS016", "lib/a.py", 30, message="`aws_db_instance.x` has a literal password."),
        "s",
        "aws_db_instance.x",
        "x",
    )
    d = _in_stack(
        failure("AWS016", "lib/a.py", 40, message="`aws_rds_cluster.y` has a literal password."),
        "s",
        "aws_rds_cluster.y",
        "y",
    )
    e = _in_stack(
        failure("AWS016", "lib/a.py", 50, message="`aws_rds_cluster.z` reads a password from SSM."),
        "s",
        "aws_rds_cluster.z",
        "z",
    )
    merged = merge_failures([a, b, c, d, e])
    assert [(f.rule_id, f.location.line, len(f.places)) for f in merged] == [
        ("AWS002", 10, 0),
        ("AWS002", 20, 0),
        ("AWS016", 30, 2),
        ("AWS016", 50, 0),
    ]


def test_the_place_whose_error_was_observed_speaks_for_the_group() -> None:
    predicted = _route(90, "a").model_copy(update={"error_kind": ErrorKind.EXPECTED_SYNTH})
    seen = _route(145, "b").model_copy(update={"error": "TypeError: seen", "error_kind": ErrorKind.OBSERVED})
    [merged] = merge_failures([predicted, seen])
    assert (merged.error, merged.error_kind, merged.location.line) == (
        "TypeError: seen",
        ErrorKind.OBSERVED,
        145,
    )
    assert [p.line for p in merged.places] == [90, 145]  # still listed in reading order


def test_reading_order_puts_the_synth_blocker_first_then_severity_then_numeric_line() -> None:
    def at(
        rule_id: str, line: int, severity: Severity = Severity.CRITICAL, merged: tuple[str, ...] = ()
    ) -> Failure:
        f = failure(rule_id, "lib/tap_stack.py", line).model_copy(
            update={"severity": severity, "merged": list(merged)}
        )
        return f

    failures = [
        at("AWS001", 145),
        at("PY001", 12, Severity.MEDIUM),
        at("AWS004", 90),
        at("TF001", 5, Severity.HIGH),
        at("PY004", 900),  # a predicted synth blocker: before the deploy-time Critical ones
        at("PY007", 700, merged=("SYN001",)),  # the synth error itself: first of all
    ]
    ordered = order_failures(failures)
    assert [(f.rule_id, f.location.line) for f in ordered] == [
        ("PY007", 700),
        ("PY004", 900),
        ("AWS004", 90),
        ("AWS001", 145),
        ("TF001", 5),
        ("PY001", 12),
    ]


def test_a_synth_error_folded_into_a_finding_makes_its_error_observed() -> None:
    syn = failure("SYN001", "lib/a.py", 4, error=IMPORT_ERROR)
    py = failure(
        "PY002", "lib/a.py", 4, message="`S3BucketVersioning` is not in the provider", error="ImportError: x"
    )
    assert syn.error_kind is ErrorKind.OBSERVED  # filled in from the rule, as for stored results
    assert py.error_kind is ErrorKind.EXPECTED_SYNTH
    merged = merge_failures([syn, py])
    assert [(f.rule_id, f.error, f.error_kind) for f in merged] == [
        ("PY002", IMPORT_ERROR, ErrorKind.OBSERVED)
    ]


def test_a_finding_on_each_stack_is_one_failure_naming_the_stacks() -> None:
    def backend(stack: str, line: int) -> Failure:
        f = failure(
            "TF001",
            f"lib/stacks/{stack}.py",
            line,
            message=f"Stack `{stack}` configures no backend (`terraform.{stack}.tfstate` stays local).",
        )
        return f.model_copy(update={"location": f.location.model_copy(update={"stack": stack})})

    merged = merge_failures([backend("network", 12), backend("data", 30), backend("compute", 8)])
    assert len(merged) == 1 and merged[0].occurrences == 3
    assert [p.stack for p in merged[0].places] == ["compute", "data", "network"]


def test_a_synth_stop_at_a_silent_finding_brings_the_blockers_impact() -> None:
    silent = failure(
        "PY005", "lib/a.py", 30, message="the dict's keys are dropped without any error"
    ).model_copy(update={"impact": ["Silent Misconfiguration: No error at synth; the keys simply vanish"]})
    blocker = failure("SYN004", "lib/a.py", 30, error="the jsii kernel refuses `x`").model_copy(
        update={"impact": ["Deployment Blocker: synthesis stops here once the earlier blockers are fixed"]}
    )
    [merged] = merge_failures([silent, blocker])
    assert merged.impact == ["Deployment Blocker: synthesis stops here once the earlier blockers are fixed"]
    assert merged.error_kind is ErrorKind.OBSERVED
    # A finding that predicted the synth error itself keeps its own impact.
    loud = silent.model_copy(
        update={"error": "TypeError: x", "impact": ["Deployment Blocker: Prevents synthesis"]}
    )
    assert merge_failures([loud, blocker])[0].impact == ["Deployment Blocker: Prevents synthesis"]


def test_one_mistake_on_several_classes_is_one_failure() -> None:
    said = "`provider` is a string, but takes TerraformProvider. Synth stops with a type error."
    kms = failure("PY004", "lib/tap_stack.py", 215, message=f"In `KmsKey`, {said}")
    sfn = failure("PY004", "lib/tap_stack.py", 537, message=f"In `SfnStateMachine`, {said}")
    merged = merge_failures(
        [
            kms.model_copy(update={"title": "Wrong value shape for KmsKey `provider`"}),
            sfn.model_copy(update={"title": "Wrong value shape for SfnStateMachine `provider`"}),
            failure(
                "PY004", "lib/tap_stack.py", 90, message="In `SnsTopic`, `tags` is a list, but takes a dict."
            ),
        ]
    )
    assert [(f.location.line, len(f.places)) for f in merged] == [(215, 2), (90, 0)]
    assert merged[0].message == f"In `KmsKey` and `SfnStateMachine`, {said}"
    assert merged[0].title == "Wrong value shape for `provider`"
