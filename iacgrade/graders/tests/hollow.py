"""Tests that check nothing: no assertion, or only assertions that cannot fail on a wrong stack.

A test checks something when it asserts a property of what it built or read (an `assert` that
compares, counts, looks up), calls an assertion helper (`self.assertEqual`, `mock.assert_called_once`,
a helper of its own module that asserts), expects an exception (`pytest.raises`) or fails on purpose
(`pytest.fail`, `raise`). It checks nothing when its only assertions are `assert True`, `x is not
None`, `hasattr(...)` or `isinstance(...)`: a stack object exists once its constructor returned, so
these pass whatever the stack builds. A CDKTF matcher (`Testing.to_be_valid_terraform(...)`) returns
a bool; called as a statement, its answer is dropped.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from iacgrade.graders.tests.suite import SuiteModule, SuiteTest, facts

# Calls that make a test fail when something is wrong, besides `assert*` helpers.
_FAILING_CALLS = frozenset({"raises", "warns", "fail", "deprecated_call"})
# Builtins whose truth says only that an object exists or has a type.
_WEAK_CALLS = frozenset({"hasattr", "isinstance"})

NO_ASSERT = "no assertion"
ONLY_TRUE = "only `assert True`"
DROPPED = "a dropped `Testing.{matcher}(...)` result"
# `x = Testing.to_have_resource(...)` then `assert x is not None`: the bool is never None.
NEVER_NONE = "`Testing.{matcher}(...)` returns a bool, and `is not None` holds for False too"


@dataclass(frozen=True)
class Hollow:
    """A test that checks nothing, and why."""

    test: SuiteTest
    why: str


@cache
def _matchers() -> frozenset[str]:
    return frozenset(facts()["cdktf_matchers"])


def hollow_tests(module: SuiteModule) -> list[Hollow]:
    """The module's tests that check nothing (skipped tests are not judged: they never run)."""
    if module.tree is None:
        return []
    helpers = _module_functions(module.tree)
    found = []
    for test in module.tests:
        if _skipped(test.node):
            continue
        if _checks(test.node, helpers, _class_methods(module.tree, test.name), set()):
            continue
        found.append(Hollow(test, _why(test.node)))
    return found


def _checks(
    fn: ast.FunctionDef | ast.AsyncFunctionDef,
    helpers: dict[str, ast.FunctionDef | ast.AsyncFunctionDef],
    methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef],
    seen: set[int],
) -> bool:
    """Whether `fn` (or a helper of its module it calls) can fail on a wrong result."""
    if id(fn) in seen:
        return False
    seen.add(id(fn))
    for node in ast.walk(fn):
        if isinstance(node, ast.Assert) and not _weak(node.test):
            return True
        if isinstance(node, ast.Raise):
            return True
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if name.lower().startswith("assert") or name in _FAILING_CALLS:
                return True
            helper = _helper(node, helpers, methods)
            if helper is not None and _checks(helper, helpers, methods, seen):
                return True
    return False


def _weak(test: ast.expr) -> bool:
    """An assertion that holds for any object the test built: a truthy constant, `x is not None`,
    `hasattr(...)`, `isinstance(...)`, or several of these joined by `and`."""
    if isinstance(test, ast.Constant):
        return bool(test.value)  # `assert False` is a deliberate failure, not an empty check
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return all(_weak(v) for v in test.values)
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.IsNot):
        right = test.comparators[0]
        # `resp["WebACL"] is not None` fails with a KeyError when the key is absent: a real check.
        subscript = isinstance(test.left, ast.Subscript)
        return isinstance(right, ast.Constant) and right.value is None and not subscript
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Name):
        return test.func.id in _WEAK_CALLS
    return False


def _why(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    dropped = list(_dropped_matchers(fn))
    if dropped:
        return DROPPED.format(matcher=dropped[0])
    asserts = [n for n in ast.walk(fn) if isinstance(n, ast.Assert)]
    if not asserts:
        return NO_ASSERT
    matched = _matcher_results(fn)
    for a in asserts:
        for node in ast.walk(a.test):
            if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and node.left.id in matched:
                return NEVER_NONE.format(matcher=matched[node.left.id])
    forms = sorted({form for a in asserts for form in _forms(a.test)})
    if forms == ["`assert True`"]:
        return ONLY_TRUE
    return "only " + " and ".join(f for f in forms) + " checks"


def _forms(test: ast.expr) -> Iterator[str]:
    """How a weak assertion is written: `assert True`, `is not None`, `hasattr`, `isinstance`."""
    if isinstance(test, ast.Constant):
        yield "`assert True`"
    elif isinstance(test, ast.BoolOp):
        for value in test.values:
            yield from _forms(value)
    elif isinstance(test, ast.Compare):
        yield "`is not None`"
    elif isinstance(test, ast.Call) and isinstance(test.func, ast.Name):
        yield f"`{test.func.id}`"


def _matcher_results(fn: ast.AST) -> dict[str, str]:
    """Names a test binds to a CDKTF matcher's bool (`alb = Testing.to_have_resource(...)`)."""
    found = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            name = _call_name(node.value)
            if name in _matchers():
                found.update({t.id: name for t in node.targets if isinstance(t, ast.Name)})
    return found


def _dropped_matchers(fn: ast.AST) -> Iterator[str]:
    """CDKTF matchers called as a statement: their bool goes nowhere."""
    for node in ast.walk(fn):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            name = _call_name(node.value)
            if name in _matchers():
                yield name


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _helper(
    call: ast.Call,
    helpers: dict[str, ast.FunctionDef | ast.AsyncFunctionDef],
    methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef],
) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The module's own function (`check_bucket(...)`) or the test class's method
    (`self._check_bucket(...)`) a call runs."""
    func = call.func
    if isinstance(func, ast.Name):
        return helpers.get(func.id)
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id in ("self", "cls")
    ):
        return methods.get(func.attr)
    return None


def _module_functions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def _class_methods(tree: ast.Module, qualname: str) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """The methods of the classes a test is nested in (outermost first, inner ones win)."""
    methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    body: list[ast.stmt] = tree.body
    for part in qualname.split(".")[:-1]:
        cls = next((n for n in body if isinstance(n, ast.ClassDef) and n.name == part), None)
        if cls is None:
            break
        methods.update({n.name: n for n in cls.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)})
        body = cls.body
    return methods


def _skipped(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """`@pytest.mark.skip(...)` (not `skipif`: that one may run)."""
    for dec in fn.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        if isinstance(target, ast.Attribute) and target.attr == "skip":
            return True
    return False
