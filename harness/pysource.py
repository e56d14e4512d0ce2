"""Facts about an answer's Python files read from their syntax trees: stack classes, entry points.

Nothing here imports or runs the answer. A file that does not parse is reported by
`parse_python` and is otherwise ignored: it is neither a stack nor an entry point.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

STACK_BASE = "TerraformStack"
_PREFERRED_ENTRIES = ("tap.py", "main.py", "bin/tap.py", "lib/main.py")
_PREFERRED_STACK_PATH = "lib/tap_stack.py"
_PREFERRED_STACK_NAME = "TapStack"


@dataclass(frozen=True)
class StackClass:
    """A class that is, directly or through other classes of the answer, a `TerraformStack`."""

    module: str
    name: str
    path: str
    line: int
    params: tuple[str, ...]  # __init__ parameters after self; empty when the class has no __init__
    accepts_kwargs: bool


def module_name(path: str) -> str:
    """The dotted module a file defines: "lib/tap_stack.py" -> "lib.tap_stack", "lib/__init__.py" -> "lib"."""
    stem = path.removesuffix(".pyi").removesuffix(".py")
    parts = [p for p in stem.split("/") if p]
    if len(parts) > 1 and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def parse_source(text: str, path: str = "<answer>") -> ast.Module | SyntaxError:
    """The syntax tree of one Python text, or the SyntaxError that stopped it (never raises)."""
    try:
        return ast.parse(text, filename=path)
    except SyntaxError as exc:
        return exc
    except (ValueError, RecursionError, MemoryError) as exc:
        # NUL bytes (ValueError on 3.11) and absurd nesting are syntax problems of the answer too.
        return SyntaxError(f"{type(exc).__name__}: {exc}", (path, 1, 1, ""))


def parse_python(files: Mapping[str, str]) -> dict[str, ast.Module | SyntaxError]:
    """Every `.py` file of `files` as a tree, or the SyntaxError that stopped it."""
    return {path: parse_source(text, path) for path, text in files.items() if path.endswith(".py")}


def _top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run at import time, looking inside if/try/with/for but not defs."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for field in ("body", "orelse", "finalbody"):
            yield from _top_level(getattr(stmt, field, []))
        for handler in getattr(stmt, "handlers", []):
            yield from _top_level(handler.body)


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Local names bound by `from x import Name as Alias`, mapped to the imported name."""
    return {
        alias.asname: alias.name
        for node in _top_level(tree.body)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.asname
    }


def _simple_name(node: ast.expr, aliases: Mapping[str, str]) -> str | None:
    """`TerraformStack`, `cdktf.TerraformStack`, `TS` (imported as) -> "TerraformStack"."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _init_signature(cls: ast.ClassDef) -> tuple[tuple[str, ...], bool]:
    for stmt in cls.body:
        if isinstance(stmt, ast.FunctionDef) and stmt.name == "__init__":
            args = stmt.args
            names = [a.arg for a in (*args.posonlyargs, *args.args)][1:]
            names += [a.arg for a in args.kwonlyargs]
            return tuple(names), args.kwarg is not None
    return (), False


@dataclass(frozen=True)
class _ClassInfo:
    path: str
    node: ast.ClassDef
    bases: frozenset[str]


def _classes(trees: Mapping[str, ast.Module]) -> list[_ClassInfo]:
    found = []
    for path, tree in trees.items():
        aliases = _aliases(tree)
        for node in _top_level(tree.body):
            if isinstance(node, ast.ClassDef):
                bases = {_simple_name(b, aliases) for b in node.bases}
                found.append(_ClassInfo(path, node, frozenset(b for b in bases if b)))
    return found


def _stack_names(classes: list[_ClassInfo]) -> set[str]:
    # Names, not import paths: an answer rarely defines two classes of one name, and resolving
    # imports would need the package layout the answer itself may have wrong.
    stacks = {STACK_BASE}
    changed = True
    while changed:
        changed = False
        for info in classes:
            if info.node.name not in stacks and info.bases & stacks:
                stacks.add(info.node.name)
                changed = True
    return stacks


def find_stack_classes(files: Mapping[str, str]) -> list[StackClass]:
    """Stack classes of the answer, the most likely app stack first.

    Order: classes named `TapStack`, then classes in `lib/tap_stack.py`, then by path and line.
    """
    trees = {p: t for p, t in parse_python(files).items() if isinstance(t, ast.Module)}
    classes = _classes(trees)
    stacks = _stack_names(classes)
    found = []
    for info in classes:
        if info.bases & stacks:
            params, kwargs = _init_signature(info.node)
            found.append(
                StackClass(
                    module=module_name(info.path),
                    name=info.node.name,
                    path=info.path,
                    line=info.node.lineno,
                    params=params,
                    accepts_kwargs=kwargs,
                )
            )
    return sorted(
        found,
        key=lambda s: (s.name != _PREFERRED_STACK_NAME, s.path != _PREFERRED_STACK_PATH, s.path, s.line),
    )


def stack_class_names(tree: ast.Module) -> list[str]:
    """Names of one module's classes that are stacks through bases visible in that module alone."""
    classes = _classes({"": tree})
    stacks = _stack_names(classes)
    return [info.node.name for info in classes if info.bases & stacks]


def _calls(statements: list[ast.stmt]) -> Iterator[ast.Call]:
    """Calls in the statements' own expressions; nested statements are listed on their own."""
    for stmt in statements:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        stack = [c for c in ast.iter_child_nodes(stmt) if not isinstance(c, ast.stmt)]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Call):
                yield node
            stack.extend(c for c in ast.iter_child_nodes(node) if not isinstance(c, ast.stmt))


def _run_at_import(tree: ast.Module) -> list[ast.stmt]:
    """Statements run when the module runs as a script: the top level, plus the bodies of
    module-level functions it calls (`def main(): app = App() ...` then `main()`)."""
    statements = list(_top_level(tree.body))
    functions = {s.name: s for s in tree.body if isinstance(s, ast.FunctionDef)}
    reached: set[str] = set()
    frontier = statements
    while frontier:
        called = {c.func.id for c in _calls(frontier) if isinstance(c.func, ast.Name)}
        new = [functions[n] for n in called if n in functions and n not in reached]
        reached.update(f.name for f in new)
        frontier = [stmt for f in new for stmt in _top_level(f.body)]
        statements += frontier
    return statements


def _imported_names(tree: ast.Module) -> set[str]:
    return {
        alias.asname or alias.name
        for node in _top_level(tree.body)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def is_entry_module(tree: ast.Module) -> bool:
    """Whether running the module synthesizes an app: it builds an `App` and calls `.synth()`, or
    calls `.synth()` on an app it imports (`from lib.tap_stack import app`)."""
    aliases, imported = _aliases(tree), _imported_names(tree)
    builds_app = synths = synths_imported = False
    for call in _calls(_run_at_import(tree)):
        builds_app = builds_app or _simple_name(call.func, aliases) == "App"
        if isinstance(call.func, ast.Attribute) and call.func.attr == "synth":
            synths = True
            receiver = call.func.value
            synths_imported = synths_imported or (isinstance(receiver, ast.Name) and receiver.id in imported)
    return synths and (builds_app or synths_imported)


def find_entry_points(files: Mapping[str, str]) -> list[str]:
    """Paths of the files that run a CDKTF app, the preferred one first.

    Order: tap.py, main.py, bin/tap.py, lib/main.py, then the others by path.
    """
    entries = [
        path
        for path, tree in parse_python(files).items()
        if isinstance(tree, ast.Module) and is_entry_module(tree)
    ]
    rank = {path: i for i, path in enumerate(_PREFERRED_ENTRIES)}
    return sorted(entries, key=lambda p: (rank.get(p, len(rank)), p))
