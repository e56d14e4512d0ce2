"""Finding code in an answer: constructs by id, definitions by name, calls by callee.

Anchors name what a finding is about in a form both answers can be searched for:
`construct:<id>`, `def:<Class.method or function>`, `call:<callee>`, `name:<identifier>`,
`resource:<terraform type>.<name>`, or a bare word compared as is.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator, Mapping
from typing import Any

# Re-exported: the graders find spans here and quote them in one import.
from iacgrade.harness.core.source import MAX_QUOTE_LINES
from iacgrade.harness.core.source import Span as Span
from iacgrade.harness.core.source import quote as quote
from iacgrade.harness.platforms.cdktf_python.pysource import walked


def callee_name(node: ast.Call) -> str:
    """`RouteTable` for `RouteTable(...)` and for `route_table.RouteTable(...)`."""
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def construct_id(node: ast.Call) -> str | None:
    """The construct id of a `Resource(self, "id", ...)` call, when it is a string literal."""
    if len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
        return node.args[1].value
    if len(node.args) >= 2 and isinstance(node.args[1], ast.JoinedStr):
        return _fstring_text(node.args[1])
    for kw in node.keywords:
        if kw.arg in ("id", "id_", "construct_id") and isinstance(kw.value, ast.Constant):
            return str(kw.value.value)
    return None


def _fstring_text(node: ast.JoinedStr) -> str:
    parts = []
    for v in node.values:
        if isinstance(v, ast.Constant):
            parts.append(str(v.value))
        else:
            parts.append("{}")
    return "".join(parts)


def statement_span(tree: ast.Module, path: str, line: int) -> Span:
    """The smallest statement that contains `line`, so a quote shows a whole call, not a fragment."""
    best: ast.stmt | None = None
    for node in _statements(tree):
        end = getattr(node, "end_lineno", node.lineno) or node.lineno
        if node.lineno <= line <= end and (best is None or end - node.lineno < _size(best)):
            best = node
    if best is None:
        return Span(path, line, line)
    return Span(path, best.lineno, best.end_lineno or best.lineno)


@functools.lru_cache(maxsize=256)
def _statements(tree: ast.Module) -> tuple[ast.stmt, ...]:
    # In walk order, as the first smallest statement wins; one list per tree, not one walk per quote.
    return tuple(
        n
        for n in walked(tree)
        if isinstance(n, ast.stmt) and not isinstance(n, ast.ClassDef | ast.FunctionDef)
    )


def _size(node: ast.stmt) -> int:
    return (node.end_lineno or node.lineno) - node.lineno


def iter_calls(trees: Mapping[str, ast.Module]) -> Iterator[tuple[str, ast.Call]]:
    for path, tree in trees.items():
        for node in walked(tree):
            if isinstance(node, ast.Call):
                yield path, node


def find_construct(trees: Mapping[str, ast.Module], cid: str) -> Span | None:
    """The statement creating the construct whose id is `cid` (f-string ids compare by their text)."""
    for path, call in iter_calls(trees):
        found = construct_id(call)
        if found is not None and (found == cid or _fmatch(found, cid)):
            return statement_span(trees[path], path, call.lineno)
    return None


def _fmatch(template: str, cid: str) -> bool:
    if "{}" not in template:
        return False
    head, _, tail = template.partition("{}")
    return cid.startswith(head) and cid.endswith(tail.split("{}")[-1]) and bool(head or tail)


def find_def(trees: Mapping[str, ast.Module], qualname: str) -> Span | None:
    """A function or method definition by `name` or `Class.name`; the span covers its signature."""
    cls_name, _, fn_name = qualname.rpartition(".")
    for path, tree in trees.items():
        for node in walked(tree):
            if isinstance(node, ast.ClassDef) and (not cls_name or node.name == cls_name):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and item.name == fn_name:
                        return Span(path, item.lineno, _signature_end(item))
            if not cls_name and isinstance(node, ast.FunctionDef) and node.name == fn_name:
                return Span(path, node.lineno, _signature_end(node))
    return None


def _signature_end(fn: ast.FunctionDef) -> int:
    """The line of the `super().__init__` call if the body starts with one, else the def's last line."""
    first = fn.body[0] if fn.body else None
    if first is not None and isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        first = fn.body[1] if len(fn.body) > 1 else None
    if first is not None and first.lineno - fn.lineno < MAX_QUOTE_LINES:
        return first.end_lineno or first.lineno
    return fn.body[0].lineno - 1 if fn.body else fn.lineno


def find_call(trees: Mapping[str, ast.Module], callee: str) -> Span | None:
    for path, call in iter_calls(trees):
        if callee_name(call) == callee:
            return statement_span(trees[path], path, call.lineno)
    return None


def find_anchor(trees: Mapping[str, ast.Module], anchor: str) -> Span | None:
    """Resolve an anchor (see the module docstring) to a span of source."""
    kind, _, value = anchor.partition(":")
    if kind == "construct":
        return find_construct(trees, value)
    if kind == "def":
        return find_def(trees, value)
    if kind == "call":
        return find_call(trees, value)
    if kind == "import":
        return find_import(trees, value)
    return None


def find_import(trees: Mapping[str, ast.Module], module: str) -> Span | None:
    """The `from <module> import ...` statement, so a fix shows the reference's import."""
    for path, tree in trees.items():
        for node in walked(tree):
            if isinstance(node, ast.ImportFrom) and node.module == module:
                return Span(path, node.lineno, node.end_lineno or node.lineno)
    return None


def resource_construct_id(config: dict[str, Any]) -> str:
    """The construct id cdktf records in a resource's `//` metadata ("Stack/scope/id" -> "id")."""
    meta = (config.get("//") or {}).get("metadata") or {}
    path = str(meta.get("path", ""))
    return path.rsplit("/", 1)[-1] if path else ""


def anchor_in(trees: Mapping[str, ast.Module], span: Span) -> str:
    """What to look up in the reference for a culprit statement: its construct or its import."""
    tree = trees.get(span.path)
    if tree is None:
        return ""
    for node in walked(tree):
        if getattr(node, "lineno", 0) < span.start or getattr(node, "lineno", 0) > span.end:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            return f"import:{node.module}"
        if isinstance(node, ast.Call) and (cid := construct_id(node)):
            return f"construct:{cid}"
    return ""
