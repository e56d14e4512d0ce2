"""On the real corpus: repair rounds give the rules Terraform JSON for nearly every model answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import TaskLoadError
from harness.pipeline import GradeOptions, synth_request
from harness.platforms import platform_for
from harness.sandbox.local import LocalSandbox
from harness.tasks import discover, load_task
from harness.workspace import build_workspace

pytestmark = [pytest.mark.synth, pytest.mark.corpus]

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "dev"


def test_nine_in_ten_model_answers_with_code_give_terraform_json(local_sandbox: LocalSandbox) -> None:
    with_code: list[str] = []
    with_json: list[str] = []
    for path in discover([CORPUS]):
        try:
            task = load_task(path)
        except TaskLoadError:
            continue
        ws = build_workspace(task, "model", platform_for(task.metadata))
        if not ws.has_code or not ws.entry:
            continue
        request, _ = synth_request(ws, GradeOptions(timeout=120))
        result = local_sandbox.synth(request)
        with_code.append(task.id)
        if result.stacks:
            with_json.append(task.id)
            # A repaired answer keeps its own status, and every blocker points into its files.
            assert result.ok or result.stacks_strategy.startswith("repaired:"), task.id
            assert all(not b.file or b.file in ws.files for b in result.blockers), task.id
    assert len(with_code) >= 30
    assert len(with_json) >= 0.9 * len(with_code), sorted(set(with_code) - set(with_json))
