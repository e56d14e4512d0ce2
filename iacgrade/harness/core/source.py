"""A stretch of an answer's source and its quoted text: what a finding and a fix point at.

Platforms find spans (a construct, a definition, a resource block); everything downstream quotes
them the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# A quoted fix longer than this is cut: a reviewer reads the start of a block, not a whole file.
MAX_QUOTE_LINES = 30


@dataclass(frozen=True)
class Span:
    path: str
    start: int
    end: int


def quote(files: Mapping[str, str], span: Span) -> str:
    """The span's lines (at most MAX_QUOTE_LINES), dedented."""
    rows = files.get(span.path, "").splitlines()
    end = min(span.end, span.start + MAX_QUOTE_LINES - 1)
    return dedent("\n".join(rows[span.start - 1 : end]))


def dedent(text: str) -> str:
    """`text` with the indent its lines share removed."""
    lines = text.splitlines()
    indents = [len(ln) - len(ln.lstrip()) for ln in lines if ln.strip()]
    cut = min(indents) if indents else 0
    return "\n".join(ln[cut:] for ln in lines)
