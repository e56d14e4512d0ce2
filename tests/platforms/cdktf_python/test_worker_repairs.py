"""Repair rounds: the worker gets an answer past one synth blocker after another, for real.

Each answer here stops at a first blocker; the worker must still produce the Terraform JSON of
the rest, record every blocker it met at the answer's own file and line, and leave placeholders
that no rule reports on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import run_rules
from iacgrade.harness.core.synth import PLACEHOLDER_MARKER, SynthResult
from iacgrade.harness.core.workspace import Workspace
from iacgrade.harness.pipeline.grade import GradeOptions, grade_path
from iacgrade.harness.platforms.cdktf_python.worker.worker import DEFAULT_ENV
from iacgrade.harness.sandbox.base import SynthRequest
from iacgrade.harness.sandbox.local import LocalSandbox
from tests.rule_fixtures import workspace_of

pytestmark = pytest.mark.synth

ENTRY = """\
import os
from cdktf import App
from lib.tap_stack import TapStack

app = App()
TapStack(app, "TapStackdev", environment_suffix=os.getenv("ENVIRONMENT_SUFFIX", "dev"))
app.synth()
"""

HEAD = """\
from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.route53_record import Route53Record
from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup
from cdktf_cdktf_provider_aws.elasticache_subnet_group import ElasticacheSubnetGroup


class TapStack(TerraformStack):
    def __init__(self, scope, stack_id, environment_suffix="dev"):
        super().__init__(scope, stack_id)
        AwsProvider(self, "aws", region="us-east-1")
"""

# One blocker a line, in the order a run meets them; each would stop synthesis on its own.
BLOCKERS = """\
        Route53Record(self, "weighted", zone_id="Z1", name="api.internal", type="A", set_identifier="a",
                      records=["10.0.0.1"], ttl=60, weighted_routing_policy=[{"weight": 50}])
        DynamodbTable(self, "table", name=f"sessions-{environment_suffix}", billing_mode="PAY_PER_REQUEST",
                      hash_key="id", attribute=[{"name": "id", "type": "S"}],
                      global_secondary_index=[{"name": "by-user", "hashKey": "id"}])
        LbTargetGroup(self, "tg", name=f"tg-{environment_suffix}", port=80, protocol="HTTP",
                      deregistration_delay=30)
        ElasticacheSubnetGroup(self, "cache-subnets", subnet_group_name=f"cache-{environment_suffix}",
                               subnet_ids=["subnet-1"])
        zones = DataAwsAvailabilityZones(self, "azs", state="available")
        bucket = S3Bucket(self, "bucket", bucket=f"logs-{environment_suffix}")
        bucket.arn_of_the_bucket
"""


def synth(box: LocalSandbox, files: dict[str, str], rounds: bool = True) -> tuple[SynthResult, Workspace]:
    ws = workspace_of(files)
    request = SynthRequest(
        id="repairs",
        files=ws.files,
        entry=ws.entry,
        env=dict(DEFAULT_ENV),
        timeout=120,
        options={"stack": {"module": ws.stack_module, "class": ws.stack_class}, "repair_rounds": rounds},
    )
    return box.synth(request), ws


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


@pytest.fixture(scope="module")
def repaired(local_sandbox: LocalSandbox) -> tuple[SynthResult, Workspace]:
    return synth(local_sandbox, {"tap.py": ENTRY, "lib/tap_stack.py": HEAD + BLOCKERS})


def test_without_rounds_the_answer_stops_at_its_first_blocker(local_sandbox: LocalSandbox) -> None:
    result, _ = synth(local_sandbox, {"tap.py": ENTRY, "lib/tap_stack.py": HEAD + BLOCKERS}, rounds=False)
    assert result.error_type == "TypeError" and not result.stacks and not result.blockers


def test_every_blocker_is_met_and_passed_in_order(repaired: tuple[SynthResult, Workspace]) -> None:
    result, ws = repaired
    source = ws.files["lib/tap_stack.py"]
    # The answer's own status stays its own: the first TypeError.
    assert result.status.value == "error" and result.error_type == "TypeError"
    assert result.stacks_strategy.startswith("repaired:") and "TapStackdev" in result.stacks
    met = [(b.kind, b.line) for b in result.blockers]
    expected = [
        ("value-shape", line_of(source, 'Route53Record(self, "weighted"')),
        ("value-shape", line_of(source, 'DynamodbTable(self, "table"')),
        ("value-shape", line_of(source, 'LbTargetGroup(self, "tg"')),
        ("unknown-keyword", line_of(source, 'ElasticacheSubnetGroup(self, "cache-subnets"')),
        ("missing-argument", line_of(source, 'ElasticacheSubnetGroup(self, "cache-subnets"')),
        ("undefined-name", line_of(source, "DataAwsAvailabilityZones(")),
        ("missing-attribute", line_of(source, "bucket.arn_of_the_bucket")),
    ]
    assert met == expected, met
    assert all(b.file == "lib/tap_stack.py" for b in result.blockers)
    shapes = {b.line: b.action for b in result.blockers if b.kind == "value-shape"}
    assert "one-element list" in shapes[expected[0][1]]
    assert "hashKey" in shapes[expected[1][1]] and "projection_type" in shapes[expected[1][1]]
    assert "given as a string" in shapes[expected[2][1]]
    assert "the provider's" in next(b.action for b in result.blockers if b.kind == "undefined-name")


def test_the_repaired_json_keeps_what_the_answer_wrote(repaired: tuple[SynthResult, Workspace]) -> None:
    result, _ = repaired
    resources = result.stacks["TapStackdev"]["resource"]
    record = next(iter(resources["aws_route53_record"].values()))
    assert record["weighted_routing_policy"] == {"weight": 50}
    table = next(iter(resources["aws_dynamodb_table"].values()))
    assert table["global_secondary_index"][0]["hash_key"] == "id"
    group = next(iter(resources["aws_lb_target_group"].values()))
    assert group["deregistration_delay"] == "30"
    assert "aws_availability_zones" in result.stacks["TapStackdev"]["data"]


def test_placeholders_reach_the_json_but_no_finding(repaired: tuple[SynthResult, Workspace]) -> None:
    result, ws = repaired
    resources = result.stacks["TapStackdev"]["resource"]
    subnets = next(iter(resources["aws_elasticache_subnet_group"].values()))
    assert PLACEHOLDER_MARKER in subnets["name"]  # `name` was required and never given
    table = next(iter(resources["aws_dynamodb_table"].values()))
    assert PLACEHOLDER_MARKER in table["global_secondary_index"][0]["projection_type"]
    findings = run_rules(GradeContext(ws, result)).findings
    for f in findings:
        text = f"{f.message} {f.evidence} {f.error} {f.location.address or ''}"
        assert PLACEHOLDER_MARKER not in text, f
    # A placeholder name is neither too long, nor badly formed, nor missing the suffix.
    flagged = {f.location.address for f in findings if f.rule_id in ("AWS009", "AWS020", "AWS021")}
    assert not any(a and "cache-subnets" in a for a in flagged)


def test_a_plain_value_read_like_an_object_is_passed_at_compile_time(local_sandbox: LocalSandbox) -> None:
    body = HEAD + (
        "        secret = Fn.jsondecode('{}')\n        S3Bucket(self, 'bucket', bucket=secret.bucket_name)\n"
    )
    body = "from cdktf import Fn\n" + body
    result, ws = synth(local_sandbox, {"tap.py": ENTRY, "lib/tap_stack.py": body})
    assert result.error_type == "AttributeError" and result.stacks
    [blocker] = result.blockers
    assert (blocker.kind, blocker.line) == ("missing-attribute", line_of(body, "secret.bucket_name"))
    # The file on disk and its line numbers are the answer's own: only the compiled code changed.
    assert ws.files["lib/tap_stack.py"] == body


def test_missing_modules_and_names_are_stood_in_for(local_sandbox: LocalSandbox) -> None:
    body = (
        "from cdktf_cdktf_provider_kubernetes.provider import KubernetesProvider\n"
        "from cdktf_cdktf_provider_aws.ecs_task_definition import EcsTaskDefinitionContainerDefinitions\n"
        + HEAD
        + "        KubernetesProvider(self, 'k8s')\n"
        "        definitions = EcsTaskDefinitionContainerDefinitions()\n"
        "        S3Bucket(self, 'bucket', bucket='b', tags={'c': str(definitions)})\n"
    )
    result, _ = synth(local_sandbox, {"tap.py": ENTRY, "lib/tap_stack.py": body})
    assert result.stacks
    assert [b.kind for b in result.blockers] == ["missing-module", "missing-name"]


def test_a_missing_build_output_and_a_stack_without_provider(local_sandbox: LocalSandbox) -> None:
    body = """\
from cdktf import TerraformStack, TerraformAsset, AssetType
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket


class TapStack(TerraformStack):
    def __init__(self, scope, stack_id, environment_suffix="dev"):
        super().__init__(scope, stack_id)
        TerraformAsset(self, "code", path="lib/lambda/build", type=AssetType.ARCHIVE)
        S3Bucket(self, "bucket", bucket="b")
"""
    result, _ = synth(local_sandbox, {"tap.py": ENTRY, "lib/tap_stack.py": body})
    assert result.stacks
    kinds = [b.kind for b in result.blockers]
    assert kinds[0] == "missing-file" and "no-provider" in kinds


def test_rounds_cost_nothing_on_an_answer_that_synthesizes(local_sandbox: LocalSandbox) -> None:
    body = HEAD + "        S3Bucket(self, 'bucket', bucket='b')\n"
    result, _ = synth(local_sandbox, {"tap.py": ENTRY, "lib/tap_stack.py": body})
    assert result.ok and result.stacks_strategy == "entry"
    assert not result.blockers and [a.strategy for a in result.attempts] == ["entry"]


def test_the_standard_entry_is_run_beside_the_answers_own(
    local_sandbox: LocalSandbox, tmp_path: Path
) -> None:
    """The seed's first failure: the answer's own tap.py works, the project's cannot build its stack."""
    task = tmp_path / "contract"
    (task / "lib").mkdir(parents=True)
    model = (
        "## tap.py\n```python\nfrom cdktf import App\nfrom lib.tap_stack import TapStack\n\n"
        'app = App()\nTapStack(app, "tap")\napp.synth()\n```\n\n'
        "## lib/tap_stack.py\n```python\nfrom cdktf import TerraformStack\n"
        "from cdktf_cdktf_provider_aws.provider import AwsProvider\n\n\n"
        "class TapStack(TerraformStack):\n    def __init__(self, scope, id):\n"
        '        super().__init__(scope, id)\n        AwsProvider(self, "aws", region="us-east-1")\n```\n'
    )
    (task / "MODEL_RESPONSE.md").write_text(model, encoding="utf-8")
    (task / "PROMPT.md").write_text("Build a stack.", encoding="utf-8")
    (task / "metadata.json").write_text('{"platform": "cdktf", "language": "py"}', encoding="utf-8")
    result = grade_path(task, local_sandbox, GradeOptions())
    assert result.model is not None and result.model.synth.ok
    contract = result.model.synth.contract
    assert contract is not None and contract.error_type == "TypeError"
    rules = {f.rule_id: f for f in result.failures}
    assert (
        rules["SYN005"].location.path == "lib/tap_stack.py" and rules["SYN005"].severity.value == "Critical"
    )
    assert rules["SYN006"].location.path == "tap.py" and rules["SYN006"].severity.value == "High"


def test_no_json_finding_rests_on_what_a_repair_dropped(local_sandbox: LocalSandbox) -> None:
    """`instance_id` is gone from provider v6: the worker drops it, so the repaired route has no
    target. That is the worker's doing, not the answer's: PY003 reports it, AWS006 must not."""
    body = (
        "from cdktf_cdktf_provider_aws.route import Route\n"
        + HEAD
        + '        Route(self, "nat", route_table_id="rtb-1", destination_cidr_block="0.0.0.0/0",\n'
        + '              instance_id="i-123")\n'
    )
    result, ws = synth(local_sandbox, {"tap.py": ENTRY, "lib/tap_stack.py": body})
    assert result.error_type == "TypeError" and [b.kind for b in result.blockers] == ["unknown-keyword"]
    assert result.stacks
    rules = {f.rule_id for f in run_rules(GradeContext(ws, result)).findings}
    assert "PY003" in rules and "AWS006" not in rules
