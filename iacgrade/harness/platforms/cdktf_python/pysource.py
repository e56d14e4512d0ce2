"""Facts about an answer's Python files read from their syntax trees: stack classes, entry points.

Nothing here imports or runs the answer. A file that does not parse is reported by
`parse_python` and is otherwise ignored: it is neither a stack nor an entry point.
"""

from __future__ import annotations

import ast
import functools
import re
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


# Grading one answer parses each of its files some twenty times over (layout, repair planning,
# locators, the rules' sites, the requirement checks and the platform check): the trees are kept
# for the last few hundred texts, whatever path each caller names. Every reader here only walks
# them; none may edit one.
def parse_source(text: str, path: str = "<answer>") -> ast.Module | SyntaxError:
    """The syntax tree of one Python text, or the SyntaxError that stopped it (never raises). The
    tree is shared with every other caller that parses the same text: read it, never change it."""
    tree = _parse(text)
    if isinstance(tree, ast.Module) or path == _NO_PATH:
        return tree
    # The path is only in the error: it names the file the caller read.
    return type(tree)(tree.msg, (path, tree.lineno, tree.offset, tree.text, tree.end_lineno, tree.end_offset))


_NO_PATH = "<answer>"


@functools.lru_cache(maxsize=256)
def _parse(text: str) -> ast.Module | SyntaxError:
    try:
        return ast.parse(text, filename=_NO_PATH)
    except SyntaxError as exc:
        return exc
    except (ValueError, RecursionError, MemoryError) as exc:
        # NUL bytes (ValueError on 3.11) and absurd nesting are syntax problems of the answer too.
        return SyntaxError(f"{type(exc).__name__}: {exc}", (_NO_PATH, 1, 1, ""))


@functools.lru_cache(maxsize=256)
def walked(tree: ast.AST) -> tuple[ast.AST, ...]:
    """`ast.walk(tree)`, in its order, kept for the trees `parse_source` keeps: the locators and
    the import checks walk one answer's trees again for every construct they look for."""
    return tuple(ast.walk(tree))


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


# --- whole modules and truncated texts ---------------------------------------------------------


def _names_self(node: ast.AST) -> bool:
    """Whether `node` reads `self` outside any def or class (code lifted out of a method)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
        return False
    if isinstance(node, ast.Name) and node.id == "self":
        return True
    return any(_names_self(child) for child in ast.iter_child_nodes(node))


def _is_method(stmt: ast.stmt) -> bool:
    if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    params = [*stmt.args.posonlyargs, *stmt.args.args]
    return bool(params) and params[0].arg in ("self", "cls")


def is_whole_module(tree: ast.Module) -> bool:
    """Whether a parsed block reads as a whole module rather than an excerpt of one.

    It defines a class or a function, or runs an app, and nothing at its top level belongs inside
    a method: no `self` outside a def, no top-level def whose first parameter is `self` or `cls`.
    Lines quoted from a method parse too (`S3Backend(self, ...)`), and so does a list of imports.
    """
    if any(_is_method(stmt) or _names_self(stmt) for stmt in tree.body):
        return False
    defines = any(isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) for s in tree.body)
    return defines or is_entry_module(tree)


@dataclass(frozen=True)
class Truncation:
    """Where a Python text that stops mid-statement is cut, and what of it parses."""

    line: int  # 1-based line of the text's last non-blank line: where it stops
    kept: str  # the whole statements before the cut, same line numbers; `pass` closes an open block


_CLOSING = {"(": ")", "[": "]", "{": "}"}
_OPENER_LINE = re.compile(r"\bon line (\d+)\b")
_TRY = re.compile(r"^\s*try\s*:")
_STOP = "pass  # the answer's text stops here"
# Looking for the longest prefix that parses costs one parse per statement tried: bounded in
# characters parsed, so that a hostile answer cannot make it quadratic.
_PARSE_BUDGET = 5_000_000


@dataclass(frozen=True)
class _Scan:
    starts: tuple[int, ...]  # 0-based lines where a logical line (a statement) starts
    closers: str  # what ends the string and brackets still open at the end of the text


def _scan(lines: list[str]) -> _Scan:
    """Brackets and strings line by line: a light tokenizer that survives a text cut anywhere."""
    brackets: list[str] = []
    quote = ""
    continued = False
    starts: list[int] = []
    for number, line in enumerate(lines):
        stripped = line.strip()
        if not brackets and not quote and not continued and stripped and not stripped.startswith("#"):
            starts.append(number)
        continued = False
        i = 0
        while i < len(line):
            char = line[i]
            if quote:
                if char == "\\":
                    i += 2
                    continue
                if line.startswith(quote, i):
                    i += len(quote)
                    quote = ""
                    continue
            elif char == "#":
                break
            elif char in "'\"":
                quote = line[i : i + 3] if line[i : i + 3] in ("'''", '"""') else char
                i += len(quote)
                continue
            elif char in _CLOSING:
                brackets.append(_CLOSING[char])
            elif char in ")]}" and brackets:
                brackets.pop()
            elif char == "\\" and i == len(line.rstrip()) - 1:
                continued = True
            i += 1
        if len(quote) == 1:
            quote = ""  # a one-line string ends with its line, closed or not
    closers = (quote if len(quote) == 3 else "") + "".join(reversed(brackets))
    return _Scan(tuple(starts), closers)


def _closed(lines: list[str]) -> str | None:
    """The lines as a text that parses, with `pass` lines closing a block left without a body;
    None when no `pass` makes them parse."""
    rows = list(lines)
    for _ in range(8):  # one `pass` closes the innermost block; a few cover odd nestings
        text = "\n".join(rows) + "\n" if any(r.strip() for r in rows) else ""
        error = parse_source(text)
        if isinstance(error, ast.Module):
            return text
        if error.msg == "expected 'except' or 'finally' block":
            # The cut fell inside a `try:` body: close the innermost one with an empty `finally`.
            indent = next((_indent(r) for r in reversed(rows) if _TRY.match(r)), 0)
            rows += [" " * indent + "finally:", " " * (indent + 4) + _STOP]
            continue
        if not error.msg.startswith("expected an indented block"):
            return None
        opener = _OPENER_LINE.search(error.msg)
        row = rows[int(opener[1]) - 1] if opener and int(opener[1]) <= len(rows) else rows[-1]
        rows.append(" " * (_indent(row) + 4) + _STOP)
    return None


def _completes(lines: list[str]) -> bool:
    """Whether the lines start a program: closing what they leave open makes them parse."""
    closers = _scan(lines).closers
    # `def f(self,` closes as `def f(self,\n):` and then takes a `pass`.
    endings = (closers, closers + ":") if closers else ("",)
    return any(_closed([*lines, end] if end else lines) is not None for end in endings)


def _indent(row: str) -> int:
    return len(row) - len(row.lstrip())


def _continues(lines: list[str], row: str) -> bool:
    """Whether `row`, the line after `lines`, can be part of their last statement: inside its
    brackets a line at the statement's own indentation starts a new one (a bracket left open
    further up, not a cut)."""
    scan = _scan(lines)
    if not scan.closers or scan.closers.startswith(("'''", '"""')) or not scan.starts:
        return True
    return _indent(row) > _indent(lines[scan.starts[-1]]) or row.lstrip()[:1] in ")]}"


def find_truncation(text: str) -> Truncation | None:
    """Where `text` stops mid-statement, when it fails to parse only because it ends too early.

    A text is cut when it does not parse but what it holds up to its last line (or up to the one
    before, for a line cut mid-token) parses once the strings and brackets it leaves open are
    closed. A syntax error anywhere earlier is an error, not a cut. What is kept is the longest
    run of whole statements from the top that parses: the trailing statement is dropped.
    """
    if isinstance(parse_source(text), ast.Module):
        return None
    lines = text.splitlines()
    last = max((i for i, row in enumerate(lines) if row.strip()), default=-1)
    lines = lines[: last + 1]
    # Else the last line may be cut mid-token: the lines before it must start a program (a
    # one-line text that only parses empty is an error on that line, not a cut).
    if not _completes(lines) and not (
        len(lines) > 1 and _continues(lines[:-1], lines[-1]) and _completes(lines[:-1])
    ):
        return None
    budget = _PARSE_BUDGET
    for cut in reversed(_scan(lines).starts):
        kept = _closed(lines[:cut])
        if kept is not None:
            return Truncation(line=last + 1, kept=kept)
        budget -= sum(len(row) + 1 for row in lines[:cut])
        if budget <= 0:
            break
    return Truncation(line=last + 1, kept="")
