"""Which answer files the app imports: a broken line in a module nothing imports never runs.

A synth imports the entry point, then whatever it imports, and so on. A file outside that graph
(a helper module the answer wrote but never wired in) cannot stop the synth, whatever it holds,
so a blocker found there is dead code, not a deployment blocker. The graph is static: an import
inside a function counts, as it would run when the function is called; `importlib` calls with
computed names are not followed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping


def reachable_files(trees: Mapping[str, ast.Module], roots: Iterable[str]) -> set[str]:
    """The paths of `trees` imported, directly or not, by any of `roots` (the roots included)."""
    modules = _module_names(trees)
    seen: set[str] = set()
    todo = [r for r in roots if r in trees]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in _imported_names(path, trees[path]):
            for candidate in _candidates(name, path):
                target = modules.get(candidate)
                if target is not None and target not in seen:
                    todo.append(target)
    return seen


def _module_names(trees: Mapping[str, ast.Module]) -> dict[str, str]:
    """Dotted module name -> path, for every way the worker's sys.path can reach a file: from the
    workspace root and from each folder a module sits in (answers import `from tap_stack import`
    beside it, or `from lib.x import` from the root)."""
    names: dict[str, str] = {}
    for path in sorted(trees):
        parts = path[: -len(".py")].split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        for start in range(len(parts)):
            dotted = ".".join(parts[start:])
            if dotted:
                names.setdefault(dotted, path)
    return names


def _imported_names(path: str, tree: ast.Module) -> Iterable[tuple[str, int]]:
    """(module, level) for every import; `from pkg import mod` also yields `pkg.mod`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, 0
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            yield base, node.level
            for alias in node.names:
                if alias.name != "*":
                    yield f"{base}.{alias.name}" if base else alias.name, node.level


def _candidates(name: tuple[str, int], path: str) -> list[str]:
    module, level = name
    if level == 0:
        # `import a.b.c` runs a, a.b and a.b.c.
        parts = module.split(".")
        return [".".join(parts[: i + 1]) for i in range(len(parts))]
    package = path.split("/")[:-1]
    if level > 1:
        package = package[: len(package) - (level - 1)]
    full = ".".join([*package, module] if module else package)
    return [full] if full else []


def referenced_names(trees: Mapping[str, ast.Module]) -> set[str]:
    """Every name the answer reads, as a bare name, an attribute or a string (`getattr(self, "x")`):
    a function whose name is none of these is never called."""
    names: set[str] = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                names.add(node.id)
            elif isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
                names.add(node.value)
    return names


def uncalled_function(
    node: ast.AST, up: Mapping[int, ast.AST], referenced: set[str]
) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The function around `node` that nothing can call, so `node` never runs; None when each
    enclosing function may be called. Dunder methods are called by Python itself, and a decorated
    function by whatever its decorator registers it with, so both count as called."""
    current = up.get(id(node))
    while current is not None:
        if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef):
            dunder = current.name.startswith("__") and current.name.endswith("__")
            if not dunder and not current.decorator_list and current.name not in referenced:
                return current
        current = up.get(id(current))
    return None
