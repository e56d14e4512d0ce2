"""Severity of PY001, PY005 and PY008 from what the code does, and one failure per provider call."""

from __future__ import annotations

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import run_rules
from iacgrade.harness.core.findings import Finding, Severity
from iacgrade.harness.core.synth import SynthResult, SynthStatus
from iacgrade.harness.pipeline.compare import Side, compare
from iacgrade.harness.pipeline.merge import merge_failures
from tests.rule_fixtures import workspace_of

HEAD = "from cdktf import TerraformStack\nfrom constructs import Construct\n"


def run(rule_id: str, body: str, synth: SynthResult | None = None) -> list[Finding]:
    ws = workspace_of({"lib/tap_stack.py": HEAD + body})
    return run_rules(GradeContext(ws, synth), only=[rule_id]).findings


def test_module_global_shadow_is_medium_when_a_function_calls_the_builtin() -> None:
    body = "type = 'x'\n\ndef kind(v):\n    return type(v)\n"
    (found,) = run("PY001", body)
    assert found.severity is Severity.MEDIUM
    assert "`<module>`" in found.message


def test_class_attribute_does_not_shadow_inside_methods() -> None:
    body = "class Tags:\n    id = 'tags'\n\n    def key(self, v):\n        return id(v)\n"
    (found,) = run("PY001", body)
    assert found.severity is Severity.LOW


def test_function_that_rebinds_the_name_does_not_see_the_shadow() -> None:
    body = "def a(id):\n    return id\n\ndef b(x):\n    def inner(id):\n        return id\n    return id(x)\n"
    (found,) = run("PY001", body)
    assert found.severity is Severity.LOW  # b calls the built-in, but b binds no `id`


NAME_IN_BRANCH = (
    "class TapStack(TerraformStack):\n"
    "    def __init__(self, scope: Construct, stack_id: str) -> None:\n"
    "        super().__init__(scope, stack_id)\n"
    "        if stack_id == 'prod':\n"
    "            self.doc = json.dumps({})\n"
)


def test_undefined_name_in_a_branch_not_taken_is_medium_when_the_answer_synthesized() -> None:
    (found,) = run("PY008", NAME_IN_BRANCH, SynthResult(status=SynthStatus.OK, stacks_strategy="entry"))
    assert found.severity is Severity.MEDIUM
    assert "synthesized as written" in found.message


def test_undefined_name_stays_critical_when_the_synth_failed_or_was_repaired() -> None:
    failed = SynthResult(status=SynthStatus.ERROR, error_type="NameError")
    assert [f.severity for f in run("PY008", NAME_IN_BRANCH, failed)] == [Severity.CRITICAL]
    repaired = SynthResult(status=SynthStatus.OK, stacks={"s": {}}, stacks_strategy="repaired:entry")
    assert [f.severity for f in run("PY008", NAME_IN_BRANCH, repaired)] == [Severity.CRITICAL]


def test_undefined_name_in_a_method_called_somewhere_is_not_dead_code() -> None:
    body = NAME_IN_BRANCH.replace(
        "        if stack_id == 'prod':\n",
        "        self.doc = self.render()\n\n    def render(self):\n        if True:\n",
    )
    failed = SynthResult(status=SynthStatus.ERROR, error_type="NameError")
    assert [f.severity for f in run("PY008", body, failed)] == [Severity.CRITICAL]


ONE_CALL = (
    "from cdktf_cdktf_provider_aws.elasticache_replication_group import ElasticacheReplicationGroup\n"
    "from cdktf_cdktf_provider_aws.elasticache_subnet_group import ElasticacheSubnetGroup\n"
    "class TapStack(TerraformStack):\n"
    "    def __init__(self, scope: Construct, stack_id: str) -> None:\n"
    "        super().__init__(scope, stack_id)\n"
    "        ElasticacheReplicationGroup(\n"
    "            self,\n"
    "            'redis',\n"
    "            replication_group_description='cache',\n"
    "            at_rest_encryption_enabled=True,\n"
    "        )\n"
    "        ElasticacheSubnetGroup(self, 'sg', subnet_group_name='x', subnet_ids=['s'])\n"
)


def test_problems_of_one_call_make_one_failure_naming_each() -> None:
    ws = workspace_of({"lib/tap_stack.py": HEAD + ONE_CALL})
    ctx = GradeContext(ws, None)
    found = run_rules(ctx, only=["PY003", "PY004", "PY006"]).findings
    redis = [f for f in found if f.anchor == "construct:redis"]
    assert sorted(f.rule_id for f in redis) == ["PY003", "PY004", "PY006"]
    comparison = compare(Side(ws, found, usable=True), Side(None, [], usable=False))
    failures = merge_failures(comparison.failures)
    (one,) = [f for f in failures if f.anchor == "construct:redis"]
    assert one.rule_id == "PY003" and one.severity is Severity.CRITICAL
    assert sorted(one.merged) == ["PY004", "PY006"]
    assert one.message.startswith("This statement has 3 problems. (1, line 11) ")
    for word in ("replication_group_description", "at_rest_encryption_enabled", "description"):
        assert f"`{word}`" in one.message
    # The next statement is another call: it stays a failure of its own.
    assert [f.rule_id for f in failures if f.anchor == "construct:sg"] == ["PY003"]
