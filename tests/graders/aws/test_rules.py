"""The AWS and TF rules on real synthesized JSON: the seed scenario end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from iacgrade.graders.constraints import load, version_offered
from iacgrade.harness.sandbox.local import LocalSandbox
from tests.paths import TASKS

SEED = TASKS / "seed-multi-region-dr"


def test_version_prefixes_pass_and_newer_versions_are_not_judged() -> None:
    offered = ["8.0.32", "8.0.35", "8.4.3"]
    assert version_offered("8.0", offered) is True
    assert version_offered("8.0.35", offered) is True
    assert version_offered("8.0.99", offered) is False
    assert version_offered("9.1", offered) is None


def test_data_files_name_their_source() -> None:
    for name in (
        "engine_versions.json",
        "engine_versions_curated.json",
        "rds_instance_classes.json",
        "lambda.json",
        "aws_regions.json",
        "iam_actions.json",
        "reserved_names.json",
        "service_resources.json",
        "terraform_backends.json",
        "checkov_severity.json",
        "service_access.json",
        "metric_dimensions.json",
    ):
        data = load(name)
        assert "source" in data or "note" in data or "curated" in data, name


@pytest.mark.synth
def test_seed_reports_every_deploy_time_failure_with_the_ideal_fix(local_sandbox: LocalSandbox) -> None:
    from iacgrade.harness.pipeline.grade import GradeOptions, grade_path

    result = grade_path(SEED, local_sandbox, GradeOptions())
    # A route finding may be folded into the PY005 finding about the dict that caused it.
    found = {(rid, f.anchor): f for f in result.failures for rid in (f.rule_id, *f.merged)}
    for key in (
        ("AWS001", "construct:primary_cluster"),
        ("AWS002", "construct:dms_instance"),
        ("AWS004", "construct:migration_hosted_zone"),
        ("AWS005", "construct:db_sg"),
        ("AWS006", "construct:primary_public_rt"),
        ("TF001", "backend:missing"),
    ):
        assert key in found, key
        assert found[key].ideal_code is not None, key
    # Both route tables get the same dict: one failure, both places, as the seed reports it.
    routes = found[("AWS006", "construct:primary_public_rt")]
    assert [p.address for p in routes.places] == [
        "aws_route_table.primary_public_rt",
        "aws_route_table.secondary_public_rt",
    ]
    assert not [f for f in result.ideal_only if f.rule_id.startswith("AWS")]


def test_lambda_package_severity_tells_a_wrong_path_from_an_absent_package(tmp_path: Path) -> None:
    import json
    import shutil

    from iacgrade.graders.registry import run_rules
    from tests.rule_fixtures import Case, rule_case

    case = tmp_path / "AWS007-abs"
    shutil.copytree(rule_case("AWS007", "fails").path, case)
    synth = json.loads((case / "synth.json").read_text())
    fn = synth["stacks"]["TapStackdev"]["resource"]["aws_lambda_function"]["processor"]
    fn["filename"] = "/tmp/iacgrade-x/workspace/lambda.zip"  # what os.path.abspath() gives at synth
    (case / "synth.json").write_text(json.dumps(synth))
    run = run_rules(Case("AWS007", "fails", case).context(), only=["AWS007"])
    found = {f.anchor: f for f in run.findings}
    absent = found["construct:processor"]
    assert absent.severity.value == "High"
    # The synthesizing machine's folders never reach the finding.
    assert "`lambda.zip`" in absent.message and "/tmp/iacgrade-x" not in absent.message + absent.error
    assert found["construct:raw"].severity.value == "Critical"  # a .py where a zip is needed


@pytest.mark.parametrize(
    ("filename", "severity"),
    [
        ("/tmp/iacgrade-x/workspace/dist/lambda.zip", "High"),  # a build step may put it there
        ("/tmp/iacgrade-x/workspace/lambda_placeholder.zip", "Critical"),  # the answer says it is none
        ("lambda.zip", "Critical"),  # inside cdktf.out/stacks/<stack>/, which synth recreates
    ],
)
def test_an_absent_package_is_critical_where_no_build_step_can_supply_it(
    tmp_path: Path, filename: str, severity: str
) -> None:
    import json
    import shutil

    from iacgrade.graders.registry import run_rules
    from tests.rule_fixtures import Case, rule_case

    case = tmp_path / "AWS007-case"
    shutil.copytree(rule_case("AWS007", "fails").path, case)
    synth = json.loads((case / "synth.json").read_text())
    fn = synth["stacks"]["TapStackdev"]["resource"]["aws_lambda_function"]["processor"]
    fn["filename"] = filename
    fn["source_code_hash"] = f'${{filebase64sha256("{filename}")}}'
    (case / "synth.json").write_text(json.dumps(synth))
    run = run_rules(Case("AWS007", "fails", case).context(), only=["AWS007"])
    absent = next(f for f in run.findings if f.anchor == "construct:processor")
    assert absent.severity.value == severity
    # The hash function reads the file first, so its error is what Terraform prints.
    assert absent.error.startswith(
        'Error: Error in function call\n  Call to function "filebase64sha256" failed'
    )


def test_engine_version_finding_cites_only_its_service_document() -> None:
    from iacgrade.graders.registry import run_rules
    from tests.rule_fixtures import rule_case

    findings = run_rules(rule_case("AWS002", "fails").context(), only=["AWS002"]).findings
    assert findings
    for f in findings:
        assert len(f.docs) == 1, f.docs
        service = "dms" if "dms" in f.location.address else ""
        assert service in f.docs[0]


def test_a_name_built_from_a_suffix_variable_is_the_entry_points_defect() -> None:
    from dataclasses import replace

    from iacgrade.graders.registry import run_rules
    from tests.rule_fixtures import rule_case

    ctx = rule_case("AWS009", "fails").context()
    assert len(run_rules(ctx, only=["AWS009"]).findings) == 2
    # The same JSON from code that derives both names from the suffix: the entry point passed
    # another value, which the entry-contract rules report once.
    stack = ctx.workspace.files["lib/tap_stack.py"]
    derived = stack.replace('"company-data-lake"', 'f"company-data-{self.environment_suffix}"').replace(
        '"fn-role"', 'f"fn-role-{suffix}"'
    )
    files = {**ctx.workspace.files, "lib/tap_stack.py": derived}
    ctx = replace(ctx, workspace=replace(ctx.workspace, files=files))
    assert run_rules(ctx, only=["AWS009"]).findings == []


def test_a_role_name_aws_requires_exactly_needs_no_suffix() -> None:
    import copy
    from dataclasses import replace

    from iacgrade.graders.registry import run_rules
    from tests.rule_fixtures import rule_case

    ctx = rule_case("AWS009", "fails").context()
    assert ctx.synth is not None
    stacks = copy.deepcopy(ctx.synth.stacks)
    for doc in stacks.values():
        for role in doc["resource"].get("aws_iam_role", {}).values():
            role["name"] = "dms-vpc-role"  # DMS looks the role up by this exact name
    synth = ctx.synth.model_copy(update={"stacks": stacks})
    flagged = run_rules(replace(ctx, synth=synth), only=["AWS009"]).findings
    assert [f.anchor for f in flagged if "aws_iam_role" in f.anchor] == []
    assert len(flagged) == 1


def test_a_package_the_answers_own_steps_build_is_not_missing(tmp_path: Path) -> None:
    import json
    import shutil
    from dataclasses import replace

    from iacgrade.graders.registry import run_rules
    from tests.rule_fixtures import Case, rule_case

    case = tmp_path / "AWS007-built"
    shutil.copytree(rule_case("AWS007", "fails").path, case)
    synth = json.loads((case / "synth.json").read_text())
    fn = synth["stacks"]["TapStackdev"]["resource"]["aws_lambda_function"]["processor"]
    fn["filename"] = "/tmp/iacgrade-x/workspace/dist/processor.zip"
    (case / "synth.json").write_text(json.dumps(synth))
    ctx = Case("AWS007", "fails", case).context()
    assert "construct:processor" in {f.anchor for f in run_rules(ctx, only=["AWS007"]).findings}
    steps = "## Deploy\n\n```bash\ncd lib/lambda && zip -r ../../dist/processor.zip .\ncdktf deploy\n```\n"
    built = replace(ctx, workspace=replace(ctx.workspace, docs={"MODEL_RESPONSE.md": steps}))
    assert "construct:processor" not in {f.anchor for f in run_rules(built, only=["AWS007"]).findings}
