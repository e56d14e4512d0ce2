"""Which files are an answer's tests, of which kind, and which tests pytest collects from them."""

from __future__ import annotations

import ast

from iacgrade.graders.tests.suite import (
    INTEGRATION,
    UNIT,
    collected,
    kind_of,
    shipped_kinds,
    suite_modules,
    suite_paths,
)


def test_pytest_file_names_only() -> None:
    files = {
        p: ""
        for p in (
            "tests/unit/test_a.py",
            "tests/unit/b_test.py",
            "tests/unit/helpers.py",
            "tests/conftest.py",
        )
    }
    assert suite_paths(files) == ["tests/unit/b_test.py", "tests/unit/test_a.py"]
    assert "tests/conftest.py" in suite_paths(files, with_conftest=True)


def test_a_test_folder_beside_tests_is_not_collected() -> None:
    # The archive's CI runs tests/unit and tests/integration: a leftover test/ folder never runs.
    files = {"test/test_old.py": "def test_x(): pass", "tests/unit/test_new.py": "def test_y(): pass"}
    assert suite_paths(files) == ["tests/unit/test_new.py"]
    # Without tests/, the answer's own test folder is its suite.
    assert suite_paths({"test/test_old.py": ""}) == ["test/test_old.py"]


def test_kind_comes_from_the_folder_or_the_name() -> None:
    assert kind_of("tests/integration/test_tap_stack.py") == INTEGRATION
    assert kind_of("test/test_integration.py") == INTEGRATION
    assert kind_of("tests/test_e2e_orders.py") == INTEGRATION
    assert kind_of("tests/unit/test_tap_stack.py") == UNIT


def test_collects_functions_and_methods_of_test_classes_nested_or_unittest() -> None:
    tree = ast.parse(
        "def test_a(): pass\n"
        "def helper(): pass\n"
        "class TestOuter:\n"
        "    def test_b(self): pass\n"
        "    class TestInner:\n"
        "        def test_c(self): pass\n"
        "class Checks(unittest.TestCase):\n"
        "    def test_d(self): pass\n"
        "class Helpers:\n"
        "    def test_not_collected(self): pass\n"
    )
    assert [t.name for t in collected(tree)] == [
        "test_a",
        "TestOuter.test_b",
        "TestOuter.TestInner.test_c",
        "Checks.test_d",
    ]


def test_a_module_that_does_not_parse_is_still_shipped() -> None:
    files = {"tests/unit/test_a.py": "from lib.lambda.x import y\n", "tests/integration/test_b.py": "x = 1\n"}
    modules = {m.path: m for m in suite_modules(files)}
    assert modules["tests/unit/test_a.py"].error is not None
    # A module with no test in it ships nothing of its kind.
    assert shipped_kinds(files) == {UNIT}
