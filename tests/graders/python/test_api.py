"""The PY provider-API rules on small answers: resolution through imports, no guessing, all at once."""

from __future__ import annotations

import json
import re

import pytest

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import run_rules
from iacgrade.harness.core.findings import Finding, Outcome, Severity
from iacgrade.harness.core.tasks import discover, load_task
from iacgrade.harness.pipeline.materialise import build_workspace
from iacgrade.harness.platforms.registry import platform_for
from iacgrade.harness.sandbox.local import LocalSandbox
from tests.paths import DEV_CORPUS, TASKS
from tests.rule_fixtures import workspace_of

PY_RULES = [f"PY00{i}" for i in range(2, 10)]
HEAD = "from cdktf import TerraformStack\nfrom constructs import Construct\n"
CORPUS = DEV_CORPUS
SEED = TASKS / "seed-multi-region-dr"


def context(files: dict[str, str]) -> GradeContext:
    return GradeContext(workspace_of(files), None)


def findings(body: str, extra: dict[str, str] | None = None) -> list[Finding]:
    files = {"lib/tap_stack.py": HEAD + body, **(extra or {})}
    run = run_rules(context(files), only=PY_RULES)
    assert not [o for o in run.outcomes if o.outcome is Outcome.ERROR], run.outcomes
    return run.findings


def ids(found: list[Finding]) -> list[str]:
    return sorted(f.rule_id for f in found)


STACK = """
class TapStack(TerraformStack):
    def __init__(self, scope: Construct, stack_id: str, **kwargs) -> None:
        super().__init__(scope, stack_id)
"""


def test_module_import_and_alias_are_resolved() -> None:
    body = (
        "from cdktf_cdktf_provider_aws import route_table as rt\n"
        "import cdktf_cdktf_provider_aws.vpc\n"
        + STACK
        + "        rt.RouteTable(self, 'rt', vpc_id='v', vpcid='v')\n"
        "        cdktf_cdktf_provider_aws.vpc.Vpc(self, 'vpc', cidr='10.0.0.0/16')\n"
    )
    found = findings(body)
    assert ids(found) == ["PY003", "PY003"]
    assert {f.anchor for f in found} == {"construct:rt", "construct:vpc"}


def test_names_the_answer_rebinds_are_not_judged() -> None:
    body = (
        "from cdktf_cdktf_provider_aws.route_table import RouteTable\n"
        + STACK
        + "        RouteTable = dict\n"
        "        RouteTable(self, 'rt', anything=1)\n"
    )
    assert ids(findings(body)) == []


def test_variables_are_not_judged_but_literals_are() -> None:
    body = (
        "from cdktf_cdktf_provider_aws.security_group import SecurityGroup\n"
        + STACK
        + "        rules = kwargs['rules']\n"
        "        SecurityGroup(self, 'sg', ingress=rules, egress=kwargs.get('egress'), name=kwargs['n'])\n"
        "        SecurityGroup(self, 'sg2', ingress='all')\n"
    )
    found = findings(body)
    assert [(f.rule_id, f.anchor) for f in found] == [("PY004", "construct:sg2")]


def test_dicts_that_keep_their_keys_are_not_flagged() -> None:
    body = (
        "from cdktf_cdktf_provider_aws.security_group import SecurityGroup\n"
        + STACK
        + "        SecurityGroup(self, 'sg', ingress=[{'protocol': '-1', 'description': 'all'}],\n"
        "                      egress=[{'fromPort': 0, 'toPort': 0, 'protocol': '-1'}])\n"
    )
    assert findings(body) == []


def test_dict_dropping_keys_is_one_critical_finding_per_keyword() -> None:
    body = (
        "from cdktf_cdktf_provider_aws.security_group import SecurityGroup\n"
        + STACK
        + "        SecurityGroup(self, 'sg', ingress=[\n"
        "            {'from_port': 443, 'to_port': 443, 'protocol': 'tcp'},\n"
        "            {'from_port': 80, 'to_port': 80, 'protocol': 'tcp', 'cidr': '0.0.0.0/0'},\n"
        "        ])\n"
    )
    found = findings(body)
    assert ids(found) == ["PY005"]
    assert found[0].severity is Severity.CRITICAL
    assert "`from_port`, `to_port` are dropped" in found[0].message
    assert "`cidr` is no field" in found[0].message


@pytest.mark.parametrize(
    ("value", "argument"),
    [
        ("tags={self.key: 1}", "tags"),
        ("tags={'team.name': 1}", "tags"),
        ("propagating_vgws=[1]", "propagating_vgws"),
        ("route=[{'cidrBlock': 1}]", "cidrBlock"),
    ],
)
def test_the_predicted_type_error_names_the_argument(value: str, argument: str) -> None:
    body = (
        "from cdktf_cdktf_provider_aws.route_table import RouteTable\n"
        + STACK
        + f"        RouteTable(self, 'rt', vpc_id='v', {value})\n"
    )
    [found] = findings(body)
    assert found.rule_id == "PY004"
    assert found.error == f"TypeError: type of argument {argument} does not match"


def test_several_blockers_are_reported_together() -> None:
    body = (
        "from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioning\n"
        "from cdktf_cdktf_provider_aws.route53_record import Route53Record\n"
        "from cdktf_cdktf_provider_aws.route_table import RouteTable\n"
        + STACK
        + "        RouteTable(self, 'rt', vpc_id='v', route=[{'cidr_block': '0.0.0.0/0'}])\n"
        "        Route53Record(self, 'r', zone_id='z', name='n', type='A', weighted_routing_policy=[{}])\n"
        "        zones = DataAwsAvailabilityZones(self, 'azs')\n"
    )
    assert ids(findings(body)) == ["PY002", "PY004", "PY005", "PY008"]


def test_signature_mismatch_across_files_with_relative_import() -> None:
    helper = "class Network:\n    def __init__(self, scope, name):\n        self.name = name\n"
    body = "from .network import Network\n" + STACK + "        Network(self, 'net', cidr='10.0.0.0/16')\n"
    found = findings(body, {"lib/network.py": helper})
    assert [(f.rule_id, f.anchor, f.fix_anchor) for f in found] == [
        ("PY007", "def:Network.__init__", "def:Network.__init__")
    ]
    assert "# lib/network.py:2" in found[0].evidence


def test_forwarded_kwargs_are_checked_against_the_base() -> None:
    body = STACK.replace("super().__init__(scope, stack_id)", "super().__init__(scope, stack_id, **kwargs)")
    entry = (
        "from cdktf import App\nfrom lib.tap_stack import TapStack\n"
        "app = App()\nTapStack(app, 'x', region='r')\n"
    )
    found = findings(body, {"tap.py": entry})
    assert [(f.rule_id, str(f.location)) for f in found] == [("PY007", "lib/tap_stack.py:6")]


def test_undefined_names_skip_builtins_comprehensions_and_class_scope() -> None:
    body = (
        "import os\n" + STACK + "        names = [n.upper() for n in ('a', 'b')]\n"
        "        total = sum(len(n) for n in names) + len(os.sep)\n"
        "        self.value = (lambda x: x)(total)\n"
        "        print(__file__, __name__, missing_name)\n"
    )
    found = findings(body)
    assert [(f.rule_id, f.anchor) for f in found] == [("PY008", "name:missing_name")]


def test_attribute_of_a_variable_bound_twice_is_not_judged() -> None:
    body = (
        "from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket\n"
        + STACK
        + "        bucket = S3Bucket(self, 'b')\n"
        "        bucket = kwargs['bucket']\n"
        "        print(bucket.anything)\n"
        "        other = S3Bucket(self, 'c')\n"
        "        print(other.bucket_arn, other.arn)\n"
    )
    found = findings(body)
    assert [(f.rule_id, f.message.split(":")[0]) for f in found] == [
        ("PY009", "`other` (an object of `S3Bucket`) has no attribute `bucket_arn`")
    ]


def test_the_seed_answer() -> None:
    task = load_task(SEED)
    ws = build_workspace(task, "model", platform_for(task.metadata))
    run = run_rules(GradeContext(ws, None, task.metadata), only=PY_RULES)
    got = sorted((f.rule_id, f.anchor) for f in run.findings)
    assert ("PY005", "construct:primary_public_rt") in got
    assert ("PY007", "def:TapStack.__init__") in got
    ideal = build_workspace(task, "ideal", platform_for(task.metadata))
    assert run_rules(GradeContext(ideal, None, task.metadata), only=PY_RULES).findings == []


@pytest.mark.corpus
def test_rules_never_crash_on_the_corpus() -> None:
    for path in discover([CORPUS]):
        try:
            task = load_task(path)
        except Exception:  # noqa: BLE001 - tasks that cannot be loaded are the loader's tests
            continue
        for side in ("model", "ideal"):
            if side == "ideal" and not task.has_reference:
                continue
            ws = build_workspace(task, side, platform_for(task.metadata))
            if not ws.has_code:
                continue
            run = run_rules(GradeContext(ws, None, task.metadata), only=PY_RULES)
            errors = [o for o in run.outcomes if o.outcome is Outcome.ERROR]
            assert not errors, (task.id, side, errors)


PROVIDER_API_ERRORS = ("ImportError", "TypeError", "AttributeError")


@pytest.mark.corpus
@pytest.mark.synth
def test_every_provider_api_synth_error_is_flagged_statically(local_sandbox: LocalSandbox) -> None:
    """Synthesize the corpus: each provider-API error is found at its statement; references stay clean."""
    from iacgrade.harness.pipeline.grade import GradeOptions, synth_plan

    missed: list[str] = []
    total = 0
    critical_on_clean_references: set[tuple[str, str]] = set()
    for path in discover([CORPUS]):
        try:
            task = load_task(path)
        except Exception:  # noqa: BLE001 - unreadable tasks are the loader's tests
            continue
        for side in ("model", "ideal"):
            if side == "ideal" and not task.has_reference:
                continue
            ws = build_workspace(task, side, platform_for(task.metadata))
            if not ws.has_code or not ws.entry:
                continue
            # As a plain synth does: no repair rounds, so the first error is the one to flag.
            request = synth_plan(ws, GradeOptions(timeout=120, repair=False)).request
            synth = local_sandbox.synth(request)
            ctx = GradeContext(ws, synth, task.metadata)
            found = [f for f in run_rules(ctx, only=PY_RULES).findings if f.severity is Severity.CRITICAL]
            if side == "ideal" and synth.ok:
                critical_on_clean_references |= {(task.id, f.rule_id) for f in found}
            if side == "model" and _provider_api_error(synth.error_type, synth.message) and synth.frame:
                total += 1
                if not _flagged_at(ctx, synth.frame.file, synth.frame.line, found):
                    missed.append(f"{task.id}: {synth.error_type}: {synth.message[:200]}")
    assert total and not missed, json.dumps(missed, indent=1)
    # A reference that synthesizes can still lose a block's keys silently (PY005): nothing else.
    assert {rule for _, rule in critical_on_clean_references} <= {"PY005"}


def _provider_api_error(error_type: str, message: str) -> bool:
    short = error_type.rsplit(".", 1)[-1]
    if short not in PROVIDER_API_ERRORS:
        return False
    if short == "ImportError":
        return "cdktf" in message  # not an import of the answer's own modules
    # `'str' object has no attribute 'password'`: a plain Python value, not a provider object.
    plain = re.match(r"'(str|int|float|dict|list|NoneType)' object", message)
    return not (short == "AttributeError" and plain)


def _flagged_at(ctx: GradeContext, path: str, line: int, found: list[Finding]) -> bool:
    import ast

    from iacgrade.harness.platforms.cdktf_python.locate import statement_span

    text = ctx.workspace.files.get(path, "")
    span = statement_span(ast.parse(text), path, line)
    return any(f.location.path == path and span.start <= (f.location.line or 0) <= span.end for f in found)


MISSING = "S3BucketReplicationConfiguration"  # provider v21 names it with an `A` suffix


def test_a_blocker_in_a_module_the_app_never_imports_is_dead_code_not_critical() -> None:
    wired = "from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioning\n"
    dead = f"from cdktf_cdktf_provider_aws.s3_bucket_replication_configuration import {MISSING}\n"
    found = findings(wired + STACK, extra={"lib/unused_helper.py": dead})
    by_path = {f.location.path: f for f in found if f.rule_id == "PY002"}
    assert by_path["lib/tap_stack.py"].severity is Severity.CRITICAL
    assert by_path["lib/unused_helper.py"].severity is Severity.LOW
    assert "never runs at synth" in by_path["lib/unused_helper.py"].note


def test_a_module_imported_relatively_or_through_a_package_is_live() -> None:
    helper = f"from cdktf_cdktf_provider_aws.s3_bucket_replication_configuration import {MISSING}\n"
    body = "from .helpers import util\n" + STACK
    found = findings(body, extra={"lib/helpers/__init__.py": "", "lib/helpers/util.py": helper})
    assert [f.severity for f in found if f.rule_id == "PY002"] == [Severity.CRITICAL]
