"""What the names of an answer's file stand for: imports resolved against the provider API index.

Resolution is deliberately conservative: a name the file binds in more than one way (an import
and an assignment, two different imports) resolves to nothing, so the rules built on it stay
silent rather than guess.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator
from dataclasses import dataclass, field

from iacgrade.harness.platforms.cdktf_python.locate import construct_id
from iacgrade.harness.platforms.cdktf_python.provider_api import ApiIndex

BUILTIN_NAMES = frozenset(dir(builtins)) | {
    "__file__",
    "__name__",
    "__doc__",
    "__spec__",
    "__loader__",
    "__package__",
    "__path__",
    "__builtins__",
    "__annotations__",
    "__dict__",
    "__module__",
    "__qualname__",
    "__class__",
}


@dataclass(frozen=True)
class Binding:
    """What an imported name refers to."""

    kind: str  # "type" (an indexed class/struct/enum), "module" (an indexed module), "other"
    module: str
    name: str = ""
    type_id: int = -1
    line: int = 0


@dataclass
class FileSymbols:
    """The imports of one file and the names it binds otherwise."""

    path: str
    imports: dict[str, Binding] = field(default_factory=dict)
    # Names bound by anything but an import (assignments, defs, parameters, loop targets...).
    assigned: set[str] = field(default_factory=set)
    star_import: bool = False

    def binding(self, name: str) -> Binding | None:
        if name in self.assigned:
            return None
        return self.imports.get(name)


def bound_names(tree: ast.AST) -> set[str]:
    """Every name a file binds other than by import, in any scope."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            names.update(node.names)
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
    return names


def file_symbols(path: str, tree: ast.Module, index: ApiIndex | None) -> FileSymbols:
    """Resolve a file's imports; an imported name bound twice differently resolves to nothing."""
    symbols = FileSymbols(path=path, assigned=bound_names(tree))
    conflicting: set[str] = set()
    for node in ast.walk(tree):
        for local, binding in _import_bindings(node, index):
            if local == "*":
                symbols.star_import = True
                continue
            previous = symbols.imports.get(local)
            if previous is not None and (previous.kind, previous.module, previous.name) != (
                binding.kind,
                binding.module,
                binding.name,
            ):
                conflicting.add(local)
            symbols.imports[local] = binding
    for name in conflicting:
        symbols.imports.pop(name, None)
    return symbols


def _import_bindings(node: ast.AST, index: ApiIndex | None) -> Iterator[tuple[str, Binding]]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                yield alias.asname, _module_binding(alias.name, index, node.lineno)
            else:
                top = alias.name.split(".")[0]
                yield top, _module_binding(top, index, node.lineno)
    elif isinstance(node, ast.ImportFrom):
        module = node.module or ""
        if node.level:
            module = "." * node.level + module  # relative: the answer's own modules
        for alias in node.names:
            if alias.name == "*":
                yield "*", Binding("other", module)
                continue
            local = alias.asname or alias.name
            found = index.lookup(module, alias.name) if index and not node.level else None
            if isinstance(found, int):
                yield local, Binding("type", module, alias.name, found, node.lineno)
            elif found == "module":
                yield local, Binding("module", f"{module}.{alias.name}", line=node.lineno)
            else:
                yield local, Binding("other", module, alias.name, line=node.lineno)


def _module_binding(module: str, index: ApiIndex | None, line: int) -> Binding:
    if index is not None and index.is_indexed_module(module):
        return Binding("module", module, line=line)
    return Binding("other", module, line=line)


def dotted(node: ast.expr) -> list[str] | None:
    """`a.b.C` as ["a", "b", "C"]; None for anything that is not a plain attribute chain."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def resolve_type(expr: ast.expr, symbols: FileSymbols, index: ApiIndex) -> int | None:
    """The indexed type an expression names (`RouteTable`, `route_table.RouteTable`), if certain."""
    parts = dotted(expr)
    if not parts:
        return None
    binding = symbols.binding(parts[0])
    if binding is None:
        return None
    if binding.kind == "type":
        return binding.type_id if len(parts) == 1 else None
    if binding.kind != "module":
        return None
    module = binding.module
    for i, part in enumerate(parts[1:], start=1):
        found = index.lookup(module, part)
        if found == "module":
            module = f"{module}.{part}"
            continue
        if isinstance(found, int) and i == len(parts) - 1:
            return found
        return None
    return None


def parents(tree: ast.AST) -> dict[int, ast.AST]:
    """Each node's parent, by node id, to look outwards from a node."""
    found: dict[int, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            found[id(child)] = node
    return found


def construct_anchor(node: ast.AST, up: dict[int, ast.AST], symbols: FileSymbols, index: ApiIndex) -> str:
    """`construct:<id>` of the construct call that holds `node`, else `call:<Class>`."""
    current: ast.AST | None = node
    first = ""
    while current is not None:
        if isinstance(current, ast.Call):
            cid = construct_id(current)
            if cid is not None and len(current.args) >= 2:
                return f"construct:{cid}"
            if not first:
                found = resolve_type(current.func, symbols, index)
                if found is not None:
                    first = f"call:{index.info(found).name}"
        if isinstance(current, ast.stmt):
            break
        current = up.get(id(current))
    return first
