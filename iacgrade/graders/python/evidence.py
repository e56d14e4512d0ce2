"""Quoting the offending lines of a call: its head and the argument at fault, not 200 lines of it."""

from __future__ import annotations

import ast
from collections.abc import Mapping

from iacgrade.harness.core.source import dedent
from iacgrade.harness.platforms.cdktf_python.locate import Span, quote, statement_span

# A statement up to this many lines is quoted whole; a longer one as its head, `...` and the focus.
WHOLE_LINES = 16
HEAD_LINES = 4
FOCUS_LINES = 14


def line_excerpt(files: Mapping[str, str], span: Span) -> str:
    return quote(files, span)


def call_excerpt(
    files: Mapping[str, str], tree: ast.Module, path: str, call: ast.Call, focus: ast.AST | None = None
) -> str:
    """The statement holding `call`; when long, its first lines, `...`, and the lines of `focus`."""
    span = statement_span(tree, path, call.lineno)
    if span.end - span.start + 1 <= WHOLE_LINES or focus is None:
        return quote(files, span)
    rows = files.get(path, "").splitlines()
    head_end = min(span.start + HEAD_LINES - 1, span.end)
    start = getattr(focus, "lineno", span.start)
    end = min(getattr(focus, "end_lineno", start) or start, start + FOCUS_LINES - 1)
    if start <= head_end + 1:
        picked = list(range(span.start, max(end, head_end) + 1))
    else:
        picked = [*range(span.start, head_end + 1), -1, *range(start, end + 1)]
    lines = [rows[i - 1] if i > 0 else "" for i in picked if i <= len(rows)]
    indent = _indent(rows[start - 1]) if 0 < start <= len(rows) else ""
    text = [ln if i > 0 else f"{indent}..." for ln, i in zip(lines, picked, strict=False)]
    if end < span.end:
        text.append(f"{indent}...")
    return dedent("\n".join(text))


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]
