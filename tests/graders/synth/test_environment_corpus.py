"""On the real corpus: the references that stop on what the sandbox lacks get ENV001, the rest SYN001."""

from __future__ import annotations

import pytest

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import run_rules
from iacgrade.graders.synth.environment_causes import environment_cause
from iacgrade.harness.pipeline.grade import GradeOptions, synth_plan
from iacgrade.harness.sandbox.local import LocalSandbox
from tests.corpus import synthesizable

pytestmark = [pytest.mark.synth, pytest.mark.corpus]

# Deployed references that need their environment at synth time (measured 2026-12-05):
# Pr5770 reads `lambda_function.zip`, which its IDEAL_RESPONSE.md lists as the packaged Lambda;
# Pr6616 runs `pip install -r requirements.txt -t ...` to bundle its Lambdas.
ENVIRONMENT_STOPS = {"Pr5770": "build-output", "Pr6616": "pip"}


def test_references_that_need_their_environment_get_env001_and_no_syn001(local_sandbox: LocalSandbox) -> None:
    env_stops: dict[str, str] = {}
    own_errors: list[str] = []
    for task, ws in synthesizable("ideal"):
        request = synth_plan(ws, GradeOptions(timeout=120)).request
        result = local_sandbox.synth(request)
        if result.ok:
            continue
        run = run_rules(GradeContext(ws, result, task.metadata), only=["SYN001", "ENV001"])
        rules = [f.rule_id for f in run.findings]
        cause = environment_cause(result, ws.files, ws.docs)
        if cause is not None:
            assert rules == ["ENV001"], task.id
            env_stops[task.id] = cause.kind
        else:
            assert rules == ["SYN001"], task.id
            own_errors.append(task.id)
    assert env_stops == ENVIRONMENT_STOPS
    assert own_errors == ["Pr6430"]  # a TapStack signature its tap.py does not match: the answer's
