"""iacgrade/graders/sites.py: findings on a stack point at the class that built it, in a multi-stack
answer."""

from __future__ import annotations

from iacgrade.graders.aws.general import invalid_region_or_zone
from iacgrade.graders.context import GradeContext
from iacgrade.graders.sites import stack_class_site, stack_class_span
from iacgrade.harness.core.synth import SynthResult, SynthStatus
from iacgrade.harness.core.workspace import Workspace

MAIN = """from cdktf import TerraformStack


class TapStack(TerraformStack):
    def __init__(self, scope, id):
        super().__init__(scope, id)
"""

SECONDARY = """from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider


class DrStack(TerraformStack):
    def __init__(self, scope, id):
        super().__init__(scope, id)
        AwsProvider(self, "aws", region="us-east-3")
"""


def workspace(files: dict[str, str]) -> Workspace:
    return Workspace(
        task_id="t",
        side="model",
        files=files,
        origins={p: "answer:heading" for p in files},
        entry="tap.py",
        entry_source="scaffold",
        stack_module="lib.tap_stack",
        stack_class="TapStack",
        has_code=True,
    )


def context(stacks: dict[str, dict] | None = None) -> GradeContext:
    answer = workspace({"lib/tap_stack.py": MAIN, "lib/dr_stack.py": SECONDARY})
    synth = SynthResult(
        status=SynthStatus.OK,
        stacks=stacks or {},
        stack_classes={"dr": {"file": "lib/dr_stack.py", "class": "lib.dr_stack.DrStack"}},
    )
    return GradeContext(answer, synth)


def test_a_stack_points_at_the_class_that_built_it_else_at_the_main_stack_class() -> None:
    ctx = context()
    dr = stack_class_span(ctx, "dr")
    assert dr is not None and (dr.path, dr.start, dr.end) == ("lib/dr_stack.py", 5, 5)
    other = stack_class_span(ctx, "unknown")
    assert other is not None and (other.path, other.start) == ("lib/tap_stack.py", 4)
    assert stack_class_span(ctx) == other


def test_a_signature_span_runs_to_the_first_statement_of_init() -> None:
    span = stack_class_span(context(), "dr", signature=True)
    assert span is not None and (span.start, span.end) == (5, 7)
    location, evidence = stack_class_site(context(), "dr")
    assert (location.path, location.line, location.stack) == ("lib/dr_stack.py", 5, "dr")
    assert evidence.strip().startswith("class DrStack")


def test_aws011_points_at_the_class_of_the_stack_whose_provider_is_wrong() -> None:
    stacks = {"dr": {"provider": {"aws": [{"region": "us-east-3"}]}, "resource": {}}}
    hits = list(invalid_region_or_zone(context(stacks)))
    assert [h.anchor for h in hits] == ["region:us-east-3"]
    assert (hits[0].location.path, hits[0].location.line) == ("lib/dr_stack.py", 5)


ROUTES = """from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation


class TapStack(TerraformStack):
    def __init__(self, scope, id):
        super().__init__(scope, id)
        RouteTableAssociation(
            self, "rta", subnet_id=subnet.id, route_table_id=table.id
        )
"""


def test_a_resource_whose_call_a_repair_changed_is_told_apart() -> None:
    from iacgrade.graders.sites import built_by_repaired_call, repaired_among
    from iacgrade.harness.core.synth import Blocker

    answer = workspace({"lib/tap_stack.py": ROUTES})
    stacks = {"s": {"resource": {"aws_route_table_association": {"rta": {"route_table_id": "x"}}}}}

    def ctx(kind: str) -> GradeContext:
        blocker = Blocker(kind=kind, message="", action="dropped", file="lib/tap_stack.py", line=9)
        synth = SynthResult(
            status=SynthStatus.ERROR, stacks=stacks, stacks_strategy="repaired:entry", blockers=[blocker]
        )
        return GradeContext(answer, synth)

    repaired = ctx("unknown-keyword")
    res = repaired.tf.stacks["s"].resource("aws_route_table_association.rta")
    assert res is not None and built_by_repaired_call(repaired, res)
    assert repaired_among(repaired, repaired.tf.stacks["s"], "aws_route_table_association")
    # A repair that changed no call's arguments (a name imported under another spelling) does not count.
    renamed = ctx("missing-name")
    res = renamed.tf.stacks["s"].resource("aws_route_table_association.rta")
    assert res is not None and not built_by_repaired_call(renamed, res)
