"""Which tests check nothing, and why."""

from __future__ import annotations

import ast

import pytest

from iacgrade.graders.tests.hollow import NO_ASSERT, ONLY_TRUE, hollow_tests
from iacgrade.graders.tests.suite import SuiteModule, collected


def _hollow(source: str) -> dict[str, str]:
    tree = ast.parse(source)
    module = SuiteModule("tests/unit/test_x.py", "unit", tree, None, tuple(collected(tree)))
    return {h.test.name: h.why for h in hollow_tests(module)}


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("stack = make()", NO_ASSERT),
        ("assert True", ONLY_TRUE),
        ("assert stack is not None", "only `is not None` checks"),
        ("assert hasattr(stack, 'bucket') and stack is not None", "only `hasattr` and `is not None` checks"),
        ("assert isinstance(stack, TapStack)", "only `isinstance` checks"),
        ("Testing.to_be_valid_terraform(synth)", "a dropped `Testing.to_be_valid_terraform(...)` result"),
        (
            "alb = Testing.to_have_resource(synth, 'aws_lb')\n    assert alb is not None",
            "`Testing.to_have_resource(...)` returns a bool, and `is not None` holds for False too",
        ),
    ],
)
def test_hollow_bodies(body: str, why: str) -> None:
    assert _hollow(f"def test_x():\n    {body}\n") == {"test_x": why}


@pytest.mark.parametrize(
    "body",
    [
        "assert stack.name == 'x'",
        "assert 'aws_s3_bucket' in synth['resource']",
        "assert Testing.to_be_valid_terraform(synth)",
        # A missing key raises KeyError: the assertion can fail on a wrong deployment.
        "resp = waf.get_web_acl_for_resource(ResourceArn=arn)\n    assert resp['WebACL'] is not None",
        "assert False, 'write this test'",
        "self.assertEqual(a, b)",
        "publish.assert_called_once_with('x')",
        "with pytest.raises(TypeError):\n        make()",
        "if not ok:\n        pytest.fail('no')",
        "if not ok:\n        raise AssertionError('no')",
    ],
)
def test_bodies_that_check_something(body: str) -> None:
    assert _hollow(f"def test_x(self=None):\n    {body}\n") == {}


def test_helpers_that_assert_count_for_the_test_that_calls_them() -> None:
    source = (
        "def check(x):\n    assert x == 1\n"
        "def test_module_helper():\n    check(1)\n"
        "class TestA:\n"
        "    def _check(self, x):\n        assert x == 1\n"
        "    def test_method_helper(self):\n        self._check(1)\n"
        "    def _loop(self):\n        self._loop()\n"
        "    def test_recursive_helper_checks_nothing(self):\n        self._loop()\n"
    )
    assert _hollow(source) == {"TestA.test_recursive_helper_checks_nothing": NO_ASSERT}


def test_skipped_tests_are_not_judged() -> None:
    assert _hollow("@pytest.mark.skip(reason='x')\ndef test_x():\n    assert True\n") == {}
    assert _hollow("@pytest.mark.skipif(True, reason='x')\ndef test_x():\n    assert True\n") == {
        "test_x": ONLY_TRUE
    }
