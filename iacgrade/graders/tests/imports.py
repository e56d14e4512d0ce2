"""Imports of a test module that the project cannot satisfy: a module or name of the answer's own
packages that the answer does not define, and test modules that do not parse at all.

Only imports into the project's own top-level packages (`lib`, `tests`, the stack module's package)
are judged: whether a third-party package is installed is the environment's business. A module
whose names cannot be listed (a star import, a module-level `__getattr__`, writes to `globals()`)
is taken to define anything.
"""

from __future__ import annotations

import ast
import keyword
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from iacgrade.harness.platforms.cdktf_python.pysource import module_name, parse_python

# Python 3.12 reads f-strings that 3.11 rejects (PEP 701); the archive's CI runs 3.12 (its
# Pipfile), so such an error here says nothing about the answer.
_NEWER_SYNTAX = ("f-string",)
_CI_PYTHON = (3, 12)
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")


@dataclass(frozen=True)
class Unresolved:
    """One import the project cannot satisfy."""

    line: int
    end_line: int
    what: str  # "`lib.tap_stack`, which the answer does not have"
    # At module level it stops collection of the whole file; inside a test only that test fails.
    module_level: bool


@dataclass
class Project:
    """The project's Python modules and packages, and the names each module defines."""

    files: Mapping[str, str]
    _names: dict[str, frozenset[str] | None] = field(default_factory=dict)

    @cached_property
    def modules(self) -> dict[str, str]:
        """Dotted module -> file (a package's `__init__.py` is the package's module)."""
        return {module_name(p): p for p in self.files if p.endswith(".py")}

    @cached_property
    def packages(self) -> set[str]:
        """Every folder holding Python files, as a dotted package (namespace packages included)."""
        found: set[str] = set()
        for path in self.files:
            if path.endswith(".py"):
                parts = path.split("/")[:-1]
                found.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        return found

    @cached_property
    def tops(self) -> set[str]:
        """The project's own top-level names (`lib`, `tests`, `tap`)."""
        return {m.split(".")[0] for m in self.modules} | {p.split(".")[0] for p in self.packages}

    def exists(self, module: str) -> bool:
        return module in self.modules or module in self.packages

    def defines(self, module: str, name: str) -> bool:
        """Whether `from module import name` finds something: a name the module binds, or a submodule."""
        if self.exists(f"{module}.{name}"):
            return True
        if module not in self.modules:
            return False  # a folder without __init__.py binds nothing but its submodules
        names = self._bound(module)
        return names is None or name in names

    def _bound(self, module: str) -> frozenset[str] | None:
        if module not in self._names:
            tree = parse_python({"m.py": self.files[self.modules[module]]})["m.py"]
            self._names[module] = module_names(tree) if isinstance(tree, ast.Module) else None
        return self._names[module]


def module_names(tree: ast.Module) -> frozenset[str] | None:
    """The names a module binds at its top level (through `if`/`try`/`with` blocks); None when they
    cannot be listed."""
    names: set[str] = set()
    for node in _top_statements(tree.body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name == "__getattr__":
                return None
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, ast.Import):
            names.update(a.asname or a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if any(a.name == "*" for a in node.names):
                return None
            names.update(a.asname or a.name for a in node.names)
    if any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "globals"
        for n in ast.walk(tree)
    ):
        return None
    return frozenset(names)


def _top_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    for node in body:
        yield node
        for attr in ("body", "orelse", "finalbody"):
            if isinstance(node, ast.If | ast.Try | ast.With | ast.For | ast.While) and hasattr(node, attr):
                yield from _top_statements(getattr(node, attr))
        if isinstance(node, ast.Try):
            for handler in node.handlers:
                yield from _top_statements(handler.body)


def unresolved(path: str, tree: ast.Module, project: Project) -> list[Unresolved]:
    """The imports of one module into the project's own packages that the project cannot satisfy."""
    in_function = _function_lines(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt | ast.expr):
            continue
        for what in _problems(node, path, project):
            found.append(
                Unresolved(node.lineno, node.end_lineno or node.lineno, what, node.lineno not in in_function)
            )
    return sorted(found, key=lambda u: u.line)


def _problems(node: ast.AST, path: str, project: Project) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.split(".")[0] in project.tops and not project.exists(alias.name):
                yield f"`{alias.name}`, which the answer does not have"
    elif isinstance(node, ast.ImportFrom):
        module = _absolute(path, node.module or "", node.level)
        if module is None or module.split(".")[0] not in project.tops:
            return
        if not project.exists(module):
            yield f"`{module}`, which the answer does not have"
            return
        for alias in node.names:
            if alias.name != "*" and not project.defines(module, alias.name):
                yield f"`{alias.name}` from `{module}`, which does not define it"
    elif isinstance(node, ast.Call) and _is_import_module(node):
        arg = node.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            name = arg.value
            if name.split(".")[0] in project.tops and not project.exists(name):
                yield f"`{name}` (`importlib.import_module`), which the answer does not have"


def _is_import_module(call: ast.Call) -> bool:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name == "import_module" and bool(call.args)


def _absolute(path: str, module: str, level: int) -> str | None:
    """The dotted module a (possibly relative) import names, from the importing file's package."""
    if not level:
        return module
    package = path.split("/")[:-1]
    if level - 1 > len(package):
        return None
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, *([module] if module else [])]) or None


def _function_lines(tree: ast.Module) -> set[int]:
    """Lines inside a function body: an import there runs only when that function does."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines.update(range(node.body[0].lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def judged_syntax_error(error: SyntaxError) -> bool:
    """Whether a SyntaxError stops the CI's Python too (not an f-string that 3.12 reads)."""
    return sys.version_info >= _CI_PYTHON or not (error.msg or "").startswith(_NEWER_SYNTAX)


def keyword_in_path(line: str) -> str:
    """A Python keyword used as a part of a dotted path on the line (`lib.lambda.handler` -> "lambda")."""
    for dotted in _DOTTED.findall(line):
        for part in dotted.split("."):
            if keyword.iskeyword(part):
                return part
    return ""
