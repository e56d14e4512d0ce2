"""On the real corpus: repair rounds give the rules Terraform JSON for nearly every model answer."""

from __future__ import annotations

import pytest

from iacgrade.harness.pipeline.grade import GradeOptions, synth_plan
from iacgrade.harness.sandbox.local import LocalSandbox
from tests.corpus import synthesizable

pytestmark = [pytest.mark.synth, pytest.mark.corpus]


def test_nine_in_ten_model_answers_with_code_give_terraform_json(local_sandbox: LocalSandbox) -> None:
    with_code: list[str] = []
    with_json: list[str] = []
    for task, ws in synthesizable("model"):
        request = synth_plan(ws, GradeOptions(timeout=120)).request
        result = local_sandbox.synth(request)
        with_code.append(task.id)
        if result.stacks:
            with_json.append(task.id)
            # A repaired answer keeps its own status, and every blocker points into its files.
            assert result.ok or result.stacks_strategy.startswith("repaired:"), task.id
            assert all(not b.file or b.file in ws.files for b in result.blockers), task.id
    assert len(with_code) >= 30
    assert len(with_json) >= 0.9 * len(with_code), sorted(set(with_code) - set(with_json))
