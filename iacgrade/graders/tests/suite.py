"""An answer's tests as pytest would collect them: the test modules, their kind, their test functions.

Which files are tests follows pytest's default discovery (`test_*.py`, `*_test.py`; `test*` functions
and methods of `Test*` classes or `unittest.TestCase` subclasses). A project that keeps its tests
under the template's `tests/` folder is tested there only: the archive's CI runs `pytest tests/unit/`
and `pytest tests/integration/`, so a test module left in another folder is never collected.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from iacgrade.harness.platforms.cdktf_python.pysource import parse_python

UNIT = "unit"
INTEGRATION = "integration"
KINDS = (UNIT, INTEGRATION)
CONFTEST = "conftest.py"
# Path words that make a test module an integration test (tests/integration/, test_e2e_flow.py).
_INTEGRATION_WORDS = ("integration", "e2e", "end_to_end")


@cache
def facts() -> dict[str, Any]:
    """iacgrade/graders/tests/data/tests.toml: template paths, prompt phrases, fakes (with their sources)."""
    text = (
        resources.files("iacgrade.graders.tests").joinpath("data", "tests.toml").read_text(encoding="utf-8")
    )
    return tomllib.loads(text)


@dataclass(frozen=True)
class SuiteTest:
    """One test pytest would run: its qualified name (`TestStack.test_bucket`) and its definition."""

    name: str
    node: ast.FunctionDef | ast.AsyncFunctionDef

    @property
    def line(self) -> int:
        return self.node.lineno

    @property
    def end_line(self) -> int:
        return self.node.end_lineno or self.node.lineno


@dataclass(frozen=True)
class SuiteModule:
    """One test file: its kind, its parsed tree (None with the SyntaxError when it does not parse)."""

    path: str
    kind: str
    tree: ast.Module | None
    error: SyntaxError | None
    tests: tuple[SuiteTest, ...]


def is_test_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def kind_of(path: str) -> str:
    """ "integration" when a folder or the file name says so, else "unit"."""
    lowered = path.lower()
    return INTEGRATION if any(word in lowered for word in _INTEGRATION_WORDS) else UNIT


def suite_paths(files: Mapping[str, str], with_conftest: bool = False) -> list[str]:
    """The answer's test modules that its test run collects (all of them unless it has `tests/`),
    and with `with_conftest` the `conftest.py` files pytest loads beside them."""
    found = sorted(
        p for p in files if is_test_file(p) or (with_conftest and p.rsplit("/", 1)[-1] == CONFTEST)
    )
    root = facts()["template"]["root"] + "/"
    under_root = [p for p in found if p.startswith(root)]
    return under_root if any(is_test_file(p) for p in under_root) else found


def suite_modules(files: Mapping[str, str], with_conftest: bool = False) -> list[SuiteModule]:
    """The answer's test modules, parsed, each with its tests."""
    paths = suite_paths(files, with_conftest)
    parsed = parse_python({p: files[p] for p in paths})
    modules = []
    for path in paths:
        tree = parsed[path]
        if isinstance(tree, SyntaxError):
            modules.append(SuiteModule(path, kind_of(path), None, tree, ()))
        else:
            modules.append(SuiteModule(path, kind_of(path), tree, None, tuple(collected(tree))))
    return modules


def collected(tree: ast.Module) -> Iterator[SuiteTest]:
    """The tests pytest collects from a module: `test*` functions, and `test*` methods of test classes
    (nested ones too)."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
            yield SuiteTest(node.name, node)
        elif isinstance(node, ast.ClassDef):
            yield from _class_tests(node, node.name)


def _class_tests(cls: ast.ClassDef, prefix: str) -> Iterator[SuiteTest]:
    if not (cls.name.startswith("Test") or _is_test_case(cls)):
        return
    for node in cls.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
            yield SuiteTest(f"{prefix}.{node.name}", node)
        elif isinstance(node, ast.ClassDef):
            yield from _class_tests(node, f"{prefix}.{node.name}")


def _is_test_case(cls: ast.ClassDef) -> bool:
    # unittest.TestCase, IsolatedAsyncioTestCase, a project's own BaseTestCase...
    for base in cls.bases:
        name = base.attr if isinstance(base, ast.Attribute) else base.id if isinstance(base, ast.Name) else ""
        if name.endswith("TestCase"):
            return True
    return False


def shipped_kinds(files: Mapping[str, str]) -> set[str]:
    """The kinds of tests the answer ships: a module with at least one test (or one that does not
    parse: it is there, TST005 says it cannot run)."""
    return {m.kind for m in suite_modules(files) if m.tests or m.error}
