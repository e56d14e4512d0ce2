"""TST002 on the dev corpus: which answers have unit tests, and Pr7948's, run for real."""

from __future__ import annotations

import pytest

from iacgrade.harness.core.errors import TaskLoadError
from iacgrade.harness.core.findings import ErrorKind
from iacgrade.harness.core.profile import load_profile
from iacgrade.harness.core.tasks import discover, load_task
from iacgrade.harness.pipeline.grade import GradeOptions, grade_path
from iacgrade.harness.pipeline.materialise import build_workspace
from iacgrade.harness.platforms.cdktf_python.unit_tests import unit_test_files
from iacgrade.harness.platforms.registry import platform_for
from iacgrade.harness.sandbox.local import LocalSandbox
from tests.corpus import CORPUS

pytestmark = pytest.mark.corpus

# Measured 2026-12-05: one model answer of the 35 ships test code (its integration tests are
# not run); every reference keeps a `tests/unit/` suite, run only when the model's tests fail.
MODEL_UNIT_TESTS = {"Pr7948": ["test/test_main.py"]}


def test_only_pr7948s_model_answer_has_unit_tests_to_run() -> None:
    found = {}
    for path in discover([CORPUS]):
        try:
            task = load_task(path)
        except TaskLoadError:
            continue
        ws = build_workspace(task, "model", platform_for(task.metadata))
        if ws.has_code and (tests := unit_test_files(ws)):
            found[task.id] = tests
    assert found == MODEL_UNIT_TESTS


@pytest.mark.synth
def test_pr7948s_test_file_does_not_import_and_the_references_suite_passes(
    local_sandbox: LocalSandbox,
) -> None:
    result = grade_path(CORPUS / "Pr7948", local_sandbox, GradeOptions(profile=load_profile("archive")))
    assert result.model and result.model.synth and result.model.synth.tests
    model_run = result.model.synth.tests
    assert model_run.ran and model_run.paths == ["test/test_main.py"]
    failure = next(f for f in result.failures if f.rule_id == "TST002")
    assert str(failure.location) == "test/test_main.py:211" and failure.severity.value == "High"
    assert (
        failure.error.startswith("SyntaxError: invalid syntax") and failure.error_kind is ErrorKind.OBSERVED
    )
    assert "`from lib.lambda.payment_processor.index import handler`" in failure.message
    # The model's tests failed, so the reference's own suite ran too: it passes.
    assert result.ideal and result.ideal.synth and result.ideal.synth.tests
    ideal_run = result.ideal.synth.tests
    assert ideal_run.paths == ["tests/unit/test_stacks.py"] and ideal_run.counts["passed"] == 31
    assert not ideal_run.failures
    assert not [f for f in (*result.shared, *result.ideal_only) if f.rule_id == "TST002"]
