"""PY: the answer's Python source, read without running it."""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator
from dataclasses import dataclass

from graders.context import GradeContext
from graders.locate import Span, quote
from graders.model import Category, Location, Severity
from graders.registry import Hit, rule
from graders.wording import counted

# Taken from the running interpreter rather than typed out, so the list is exactly Python's own.
SHADOWABLE = frozenset(
    name
    for name in dir(builtins)
    if not name.startswith("_") and name.islower() and callable(getattr(builtins, name))
) - {"copyright", "credits", "license", "exit", "quit", "help"}


@dataclass(frozen=True)
class _Shadow:
    name: str
    path: str
    line: int
    scope: str  # the qualified function name, or "<module>"


@rule(
    id="PY001",
    name="builtin-shadowed-by-name",
    title="Parameter Naming Shadowing Python Built-in",
    severity=Severity.MEDIUM,
    category=Category.PYTHON_PRACTICE,
    rationale=(
        "The model followed a common pattern from CDK/CDKTF examples without considering "
        "Python-specific best practices regarding built-in shadowing."
    ),
    docs=("https://pylint.readthedocs.io/en/stable/user_guide/messages/warning/redefined-builtin.html",),
    impact=(
        "Code Quality: Reduces maintainability and can cause confusion",
        "Potential Bugs: Code that calls the built-in in that scope gets the variable instead",
        "Linting Warnings: pylint flags it (W0622: Redefining built-in)",
    ),
    fix_minutes=2,
)
def builtin_shadowed_by_name(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a parameter or variable named like a Python built-in function (`id`,
    `type`, `input`, `list`, `hash`, ...). One finding per name, listing every place.

    Why it matters: inside that scope the built-in is gone; a later `id(x)` or `type(x)` calls the
    string instead and fails far from the cause. Linters (pylint W0622, ruff A002) reject it.

    Bad: `def __init__(self, scope: Construct, id: str):`

    Good: `def __init__(self, scope: Construct, stack_id: str):`

    References: pylint `redefined-builtin`; ruff `flake8-builtins`.
    """
    by_name: dict[str, list[_Shadow]] = {}
    for path, tree in sorted(ctx.trees.items()):
        for shadow in _shadows(tree, path):
            by_name.setdefault(shadow.name, []).append(shadow)
    for name, places in sorted(by_name.items()):
        first = places[0]
        where = ", ".join(f"{p.path}:{p.line}" for p in places[:8])
        more = f" and {len(places) - 8} more" if len(places) > 8 else ""
        span = Span(first.path, first.line, first.line)
        yield Hit(
            message=(
                f"The name `{name}` shadows Python's built-in `{name}()` in {counted(len(places), 'place')}: "
                f"{where}{more}."
            ),
            location=Location(path=first.path, line=first.line),
            anchor=f"name:{name}",
            fix_anchor=f"def:{first.scope}" if first.scope != "<module>" else "",
            evidence=quote(ctx.workspace.files, span),
        )


def _shadows(tree: ast.Module, path: str) -> Iterator[_Shadow]:
    yield from _ShadowVisitor(path).collect(tree)


class _ShadowVisitor(ast.NodeVisitor):
    def __init__(self, path: str) -> None:
        self.path = path
        self.scope: list[str] = []
        self.found: list[_Shadow] = []

    def collect(self, tree: ast.Module) -> list[_Shadow]:
        self.visit(tree)
        return self.found

    def _add(self, name: str, line: int) -> None:
        if name in SHADOWABLE:
            self.found.append(_Shadow(name, self.path, line, ".".join(self.scope) or "<module>"))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.scope.append(node.name)
        args = node.args
        for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if a is not None:
                self._add(a.arg, a.lineno)
        self.generic_visit(node)
        self.scope.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store):
            self._add(node.id, node.lineno)
