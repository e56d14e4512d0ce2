"""PY: the answer's Python source, read without running it."""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator
from dataclasses import dataclass

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import Hit, rule
from iacgrade.harness.core.findings import Category, Location, Severity
from iacgrade.harness.platforms.cdktf_python.locate import Span, quote

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
    # Whether the code that sees this binding calls `name(...)`: only then does the shadow break.
    called: bool = False


@rule(
    id="PY001",
    name="builtin-shadowed-by-name",
    title="Parameter Naming Shadowing Python Built-in",
    severity=Severity.LOW,
    category=Category.PYTHON_PRACTICE,
    rationale=(
        "The model followed a common pattern from CDK/CDKTF examples without considering "
        "Python-specific best practices regarding built-in shadowing. Low while nothing in the "
        "shadowing scope calls the built-in (a lint warning); Medium when something does, as that "
        "call gets the variable instead."
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
    `type`, `input`, `list`, `hash`, ...). One finding per name, listing every place. Low when no
    code that sees the variable calls the built-in (`id` as a construct id, never `id(x)`);
    Medium when some does: the function's body for a parameter or local, the module for a global,
    the class body for a class attribute.

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
        called = [p for p in places if p.called]
        if called:
            scopes = ", ".join(dict.fromkeys(f"`{p.scope}` ({p.path})" for p in called))
            effect = (
                f" {scopes} also call{'s' if len(called) == 1 else ''} `{name}(...)`, which there "
                "calls the variable instead of the built-in."
            )
        else:
            effect = f" Nothing that sees the variable calls `{name}(...)`: a lint warning, no bug yet."
        count = "1 place" if len(places) == 1 else f"{len(places)} places"
        yield Hit(
            message=(
                f"The name `{name}` shadows Python's built-in `{name}()` in {count}: {where}{more}.{effect}"
            ),
            severity=Severity.MEDIUM if called else None,
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
        self.nodes: list[ast.AST] = []
        self.found: list[_Shadow] = []

    def collect(self, tree: ast.Module) -> list[_Shadow]:
        self.nodes = [tree]
        self.visit(tree)
        return self.found

    def _add(self, name: str, line: int) -> None:
        if name in SHADOWABLE:
            called = _calls_in_scope(self.nodes[-1], name)
            self.found.append(_Shadow(name, self.path, line, ".".join(self.scope) or "<module>", called))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.nodes.append(node)
        self.generic_visit(node)
        self.nodes.pop()
        self.scope.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.scope.append(node.name)
        self.nodes.append(node)
        args = node.args
        for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if a is not None:
                self._add(a.arg, a.lineno)
        self.generic_visit(node)
        self.nodes.pop()
        self.scope.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store):
            self._add(node.id, node.lineno)


def _calls_in_scope(scope: ast.AST, name: str) -> bool:
    """Whether code that sees `scope`'s binding of `name` calls `name(...)`.

    A function's binding is seen by its body and by nested functions that do not bind the name
    again; a module's by every function that does not; a class body's by that body only (methods
    do not see class attributes as bare names).
    """
    todo: list[ast.AST] = list(ast.iter_child_nodes(scope))
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) and (
            isinstance(scope, ast.ClassDef) or _binds(node, name)
        ):
            continue
        if isinstance(node, ast.ClassDef) and isinstance(scope, ast.ClassDef):
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name:
            return True
        todo.extend(ast.iter_child_nodes(node))
    return False


def _binds(fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, name: str) -> bool:
    args = fn.args
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    if any(a is not None and a.arg == name for a in params):
        return True
    body = fn.body if isinstance(fn.body, list) else [fn.body]
    return any(
        isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id == name
        for stmt in body
        for n in ast.walk(stmt)
    )
