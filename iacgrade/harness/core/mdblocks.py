"""Fenced code blocks of a Markdown document, including Markdown files that nest fences.

CommonMark rules, plus one repair: answers often write a whole `README.md` inside a fence and use
fences inside it. Inside such a Markdown block a fence with an info string (```` ```bash ````) opens
a nested level and a bare fence closes the innermost one; the outer block ends at the bare fence
that matches it. A bare fence at nesting depth 0 is ambiguous: it may close the README or open an
untagged inner block (a diagram, a log path). It opens one when text follows it at once (in the
corpus 457 of 459 closing fences are followed by a blank line or the end), unless only closing
there lets the rest of the document end with every block closed.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
# `## File: lib/README.md`, `## lib/README.md`, `**README.md**`: a line that names a Markdown file.
_NAMES_MARKDOWN_FILE = re.compile(
    r"^\s{0,3}(?:#{1,6}\s+|\*\*|__)(?:[^:]*File\s*:\s*)?[`*_\s]*"  # heading or bold, maybe "File:"
    r"[\w./-]+\.(?:md|markdown)[`*_:]*\s*(?:\([^)]*\))?\s*$",  # the path, maybe a note
    re.IGNORECASE,
)
_MARKDOWN_LANGUAGES = frozenset({"markdown", "md"})

# Each ambiguous fence costs a look-ahead over the rest of the document's fences. The number of
# look-aheads shrinks as fences grow so that a hostile document stays linear; once they are spent
# an ambiguous fence simply closes, as CommonMark would have it.
_MAX_LOOKAHEADS = 32
_LOOKAHEAD_FENCES = 100_000


@dataclass(frozen=True)
class Fence:
    """One fence line: its indentation, character, length and info string."""

    indent: int
    char: str
    length: int
    info: str

    def closes(self, opener: Fence) -> bool:
        """Whether this fence can close a block that `opener` opened (CommonMark)."""
        return not self.info and self.char == opener.char and self.length >= opener.length


@dataclass(frozen=True)
class CodeBlock:
    """A fenced block: 0-based line indexes of its fences, its info string and its text."""

    start: int  # index of the opening fence line
    end: int  # index of the closing fence line; len(lines) when the block runs to the end
    info: str
    language: str
    content: str
    closed: bool
    nested: bool  # scanned with the Markdown-in-Markdown rules


def parse_fence(line: str) -> Fence | None:
    """The fence on `line`, or None when the line is not a fence."""
    match = _FENCE.match(line)
    if match is None:
        return None
    info = match["info"].strip()
    if match["fence"][0] == "`" and "`" in info:
        return None  # CommonMark: `` ```x` `` is inline code, not a fence
    return Fence(len(match["indent"]), match["fence"][0], len(match["fence"]), info)


def fence_language(info: str) -> str:
    """The language named by an info string: `python`, `{.python}`, `python:lib/x.py` -> "python"."""
    word = info.split(maxsplit=1)[0] if info.strip() else ""
    word = word.strip("{}").lstrip(".")
    return word.split(":", 1)[0].split("{", 1)[0].lower()


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    opener: Fence
    nested: bool


class _Scanner:
    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = lines
        self.fences = [parse_fence(line) for line in lines]
        self.fence_at = [i for i, fence in enumerate(self.fences) if fence]  # look-aheads visit only these
        self.lookaheads_left = min(_MAX_LOOKAHEADS, _LOOKAHEAD_FENCES // max(1, len(self.fence_at)))

    def spans(self, start: int = 0, *, decide: bool = True) -> Iterator[_Span]:
        """Top-level blocks from line `start` on, as line spans."""
        k = bisect_left(self.fence_at, start)
        while k < len(self.fence_at):
            i = self.fence_at[k]
            opener = self.fences[i]
            assert opener is not None
            nested = self._is_markdown(opener, i)
            end = self._end_of(i, opener, nested, decide=decide)
            yield _Span(i, end, opener, nested)
            k = bisect_left(self.fence_at, end + 1)

    def _is_markdown(self, opener: Fence, at: int) -> bool:
        if fence_language(opener.info) in _MARKDOWN_LANGUAGES:
            return True
        # A README announced as `## File: lib/README.md` but fenced as ```python still nests.
        above = _previous_text_line(self.lines, at)
        return bool(above and _NAMES_MARKDOWN_FILE.match(above))

    def _end_of(
        self, start: int, opener: Fence, nested: bool, *, decide: bool, inner: list[Fence] | None = None
    ) -> int:
        inner = list(inner or [])
        for k in range(bisect_left(self.fence_at, start + 1), len(self.fence_at)):
            j = self.fence_at[k]
            fence = self.fences[j]
            assert fence is not None
            if not nested:
                if fence.closes(opener):
                    return j
                continue
            if fence.info:
                inner.append(fence)
            elif inner:
                if fence.closes(inner[-1]):
                    inner.pop()
            elif fence.closes(opener):
                if decide and self._opens_inner_block(j, fence, opener):
                    inner.append(fence)
                    continue
                return j
        return len(self.lines)

    def _opens_inner_block(self, at: int, fence: Fence, opener: Fence) -> bool:
        """Whether a bare fence at depth 0 of a Markdown block opens an inner block."""
        following = self.lines[at + 1] if at + 1 < len(self.lines) else ""
        if not following.strip() or parse_fence(following):
            return False  # generated Markdown puts a blank line (or the end) after a closing fence
        if self.lookaheads_left <= 0:
            return False
        self.lookaheads_left -= 1
        # Text follows at once, so it opens, unless only closing here lets the document end balanced.
        if not self._balanced_from(at + 1):
            return True
        end = self._end_of(at, opener, True, decide=False, inner=[fence])
        return end < len(self.lines) and self._balanced_from(end + 1)

    def _balanced_from(self, start: int) -> bool:
        """Whether every block from line `start` on closes, with no ambiguous fence re-decided."""
        return all(span.end < len(self.lines) for span in self.spans(start, decide=False))

    def block(self, span: _Span) -> CodeBlock:
        body = [_outdent(line, span.opener.indent) for line in self.lines[span.start + 1 : span.end]]
        return CodeBlock(
            start=span.start,
            end=span.end,
            info=span.opener.info,
            language=fence_language(span.opener.info),
            content="\n".join(body),
            closed=span.end < len(self.lines),
            nested=span.nested,
        )


def _previous_text_line(lines: Sequence[str], at: int) -> str | None:
    for k in range(at - 1, -1, -1):
        if lines[k].strip():
            return lines[k]
    return None


def _outdent(line: str, indent: int) -> str:
    # CommonMark strips up to the opening fence's indentation from each content line.
    spaces = len(line) - len(line.lstrip(" "))
    return line[min(spaces, indent) :]


def scan_blocks(lines: Sequence[str]) -> list[CodeBlock]:
    """Every top-level fenced block of a document given as lines (without line endings)."""
    scanner = _Scanner(lines)
    return [scanner.block(span) for span in scanner.spans()]
