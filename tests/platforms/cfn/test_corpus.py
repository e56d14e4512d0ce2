"""The CloudFormation platform on the dev-cfn-yaml corpus: every deployed reference is a template
that parses and that no CFN rule calls Critical; every answer gets a workspace."""

from __future__ import annotations

import pytest

from iacgrade.graders.cfn.naming import fixed_names
from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import load_rules, run_rules
from iacgrade.harness.core.findings import Outcome, Severity
from iacgrade.harness.core.synth import SynthStatus
from iacgrade.harness.core.tasks import discover, load_task
from iacgrade.harness.pipeline.materialise import build_workspace
from iacgrade.harness.platforms.base import SynthSettings
from iacgrade.harness.platforms.registry import platform_for
from tests.paths import CFN_CORPUS

pytestmark = pytest.mark.corpus

CFN_RULES = sorted(r.meta.id for r in load_rules().values() if "cfn" in r.meta.platforms)
SETTINGS = SynthSettings(env={"AWS_REGION": "us-east-1"}, timeout=60)


def test_references_parse_and_carry_no_critical_finding() -> None:
    tasks = [load_task(p) for p in discover([CFN_CORPUS])]
    assert len(tasks) == 40
    for task in tasks:
        platform = platform_for(task.metadata)
        assert platform is not None and platform.name == "cfn", task.id
        ws = build_workspace(task, "ideal", platform)
        assert ws.has_code and ws.entry.endswith((".yml", ".yaml")), (task.id, ws.entry)
        synth = platform.plan_synth(ws, SETTINGS, None).in_process()
        assert synth is not None and synth.status is SynthStatus.OK, (task.id, synth and synth.message)
        run = run_rules(GradeContext(ws, synth, task.metadata, prompt=task.prompt), only=CFN_RULES)
        assert not [o for o in run.outcomes if o.outcome is Outcome.ERROR], task.id
        critical = [f.rule_id for f in run.findings if f.severity is Severity.CRITICAL]
        assert critical == [], (task.id, critical)


def test_no_reference_names_a_resource_without_the_suffix_it_takes() -> None:
    """CFN005 and CFN006 read nothing but the template and the prompt: four deployed references
    name resources by literals beside an `Environment` parameter or none, which must not count
    as taking the suffix."""
    for path in discover([CFN_CORPUS]):
        task = load_task(path)
        platform = platform_for(task.metadata)
        assert platform is not None
        ws = build_workspace(task, "ideal", platform)
        ctx = GradeContext(ws, None, task.metadata, prompt=task.prompt)
        assert list(fixed_names(ctx)) == [], task.id
