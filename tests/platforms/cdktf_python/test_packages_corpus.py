"""On the real corpus: references that rename or assign their handler inside the package they
build, and models whose package is simply absent, as AWS007 and AWS008 see them after synth."""

from __future__ import annotations

import pytest

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import run_rules
from iacgrade.harness.core.tasks import load_task
from iacgrade.harness.pipeline.grade import GradeOptions, synth_plan
from iacgrade.harness.pipeline.materialise import build_workspace
from iacgrade.harness.platforms.registry import platform_for
from iacgrade.harness.sandbox.local import LocalSandbox
from tests.paths import DEV_CORPUS

pytestmark = [pytest.mark.synth, pytest.mark.corpus]

CORPUS = DEV_CORPUS


def _findings(task_id: str, side: str, sandbox: LocalSandbox) -> dict[str, list[str]]:
    task = load_task(CORPUS / task_id)
    ws = build_workspace(task, side, platform_for(task.metadata))
    request = synth_plan(ws, GradeOptions(timeout=120)).request
    ctx = GradeContext(ws, sandbox.synth(request), task.metadata)
    found = run_rules(ctx, only=["AWS007", "AWS008"]).findings
    return {rule: [f.message for f in found if f.rule_id == rule] for rule in ("AWS007", "AWS008")}


@pytest.mark.parametrize("task_id", ["Pr6739", "Pr7169", "Pr7292", "Pr7824"])
def test_deployed_references_get_no_handler_finding(task_id: str, local_sandbox: LocalSandbox) -> None:
    assert _findings(task_id, "ideal", local_sandbox)["AWS008"] == []


def test_a_model_pointing_two_functions_at_one_absent_zip_gets_one_package_finding(
    local_sandbox: LocalSandbox,
) -> None:
    found = _findings("Pr6739", "model", local_sandbox)
    assert found["AWS008"] == []
    (only,) = found["AWS007"]
    assert "lambda_primary" in only and "lambda_secondary" in only and "lambda_placeholder.zip" in only
