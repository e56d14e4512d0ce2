"""Which files of an answer are unit tests, and what the synth request then asks of the worker."""

from __future__ import annotations

import pytest

from iacgrade.harness.platforms.base import SynthSettings
from iacgrade.harness.platforms.cdktf_python.synth_plan import plan_synth
from iacgrade.harness.platforms.cdktf_python.unit_tests import TEST_SECONDS_CAP, is_unit_test
from tests.rule_fixtures import workspace_of

STACK = "from cdktf import TerraformStack\n\n\nclass TapStack(TerraformStack):\n    pass\n"


@pytest.mark.parametrize(
    ("path", "unit"),
    [
        ("tests/unit/test_tap_stack.py", True),
        ("test/test_main.py", True),
        ("lib/test_helpers.py", True),
        ("tests/unit/helpers_test.py", True),
        # A `unit` folder says what its files are, whatever their names.
        ("tests/unit/test_integration_helpers.py", True),
        ("tests/integration/test_tap_stack.py", False),
        ("test/test_integration.py", False),
        ("tests/e2e/test_site.py", False),
        ("tests/test_live_endpoints.py", False),
        ("tests/conftest.py", False),
        ("tests/unit/helpers.py", False),
        ("node_modules/pkg/test_a.py", False),
        ("cdktf.out/stacks/test_a.py", False),
    ],
)
def test_unit_tests_are_the_test_files_that_need_no_deployment(path: str, unit: bool) -> None:
    assert is_unit_test(path) is unit


def settings(run_tests: bool, timeout: float = 120.0) -> SynthSettings:
    return SynthSettings(env={}, timeout=timeout, repair=False, run_tests=run_tests)


def answer(**tests: str) -> dict[str, str]:
    return {"lib/__init__.py": "", "lib/tap_stack.py": STACK, **tests}


def test_the_request_names_the_unit_tests_and_adds_their_time() -> None:
    ws = workspace_of(
        answer(
            **{
                "tests/unit/test_a.py": "def test_a(): pass\n",
                "tests/integration/test_b.py": "def test_b(): pass\n",
            }
        )
    )
    planned = plan_synth(ws, settings(run_tests=True), None)
    assert planned.runs_tests
    assert planned.request.options["tests"] == {
        "paths": ["tests/unit/test_a.py"],
        "seconds": TEST_SECONDS_CAP,
    }
    assert planned.request.timeout == 120.0 + TEST_SECONDS_CAP
    # A short synth limit is matched, not exceeded, by the tests' share.
    assert plan_synth(ws, settings(run_tests=True, timeout=30.0), None).request.timeout == 60.0


def test_no_test_files_or_no_tests_asked_leave_the_request_as_it_was() -> None:
    bare = plan_synth(workspace_of(answer()), settings(run_tests=True), None)
    assert not bare.runs_tests and "tests" not in bare.request.options and bare.request.timeout == 120.0
    ws = workspace_of(answer(**{"tests/unit/test_a.py": "def test_a(): pass\n"}))
    unasked = plan_synth(ws, settings(run_tests=False), None)
    assert not unasked.runs_tests and unasked.request.timeout == 120.0


def test_only_integration_tests_run_nothing() -> None:
    ws = workspace_of(answer(**{"tests/integration/test_b.py": "def test_b(): pass\n"}))
    assert not plan_synth(ws, settings(run_tests=True), None).runs_tests


def test_a_tests_unit_folder_is_the_suite_and_other_test_files_stay_out() -> None:
    ws = workspace_of(
        answer(
            **{"tests/unit/test_a.py": "def test_a(): pass\n", "test/test_main.py": "def test_m(): pass\n"}
        )
    )
    assert plan_synth(ws, settings(run_tests=True), None).request.options["tests"]["paths"] == [
        "tests/unit/test_a.py"
    ]
    elsewhere = workspace_of(answer(**{"test/test_main.py": "def test_m(): pass\n"}))
    assert plan_synth(elsewhere, settings(run_tests=True), None).request.options["tests"]["paths"] == [
        "test/test_main.py"
    ]
