"""PROMPT.md as lines in context: the headings each line sits under, the list item it belongs to,
and whether it is part of the generic text the archive's task generator puts in every prompt.

A requirement is read from one line, but what it is about is often said above it: "Multi-AZ
deployment" under "2. **Aurora PostgreSQL cluster**" is about the database. The generic text
(the "Deployment Requirements (CRITICAL)" template with its GuardDuty, NAT and "DO NOT hardcode"
sub-sections, conditional "If ... required" rules, code examples) states no requirement of the
task, so its lines are marked and never read as one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+")


@dataclass(frozen=True)
class PromptLine:
    """One line of the prompt with what it sits under."""

    number: int  # 1-based, as an editor shows it
    text: str
    headings: tuple[str, ...] = ()  # the enclosing headings, outermost first, without `#`
    parent: str = ""  # the list item (or lead-in line) this nested item belongs to
    generic: bool = False  # template text, not a requirement of this task

    @property
    def context(self) -> str:
        """The line, its parent item and its headings: where a requirement's subject is sought."""
        return "\n".join((self.text, self.parent, *reversed(self.headings)))


@dataclass(frozen=True)
class GenericText:
    """How the generic text is recognised (from `requirement_phrases.toml` [generic])."""

    # A section whose heading matches `sections`, under a heading matching `within` (or anywhere
    # when `within` is empty), is generic.
    within: re.Pattern[str] | None
    sections: re.Pattern[str]
    anywhere: re.Pattern[str]  # headings generic wherever they are (code examples)
    lines: re.Pattern[str]  # lines generic wherever they are (conditional rules)
    parents: re.Pattern[str]  # items under a lead-in like "DO NOT hardcode:" are generic


def prompt_lines(text: str, generic: GenericText) -> list[PromptLine]:
    """Every non-blank line outside code fences, with its headings, parent item and genericity."""
    out: list[PromptLine] = []
    headings: list[tuple[int, str]] = []
    items: list[tuple[int, str, bool]] = []  # open list items: (indent, text, is a lead-in line)
    fenced = False
    for number, raw in enumerate(text.splitlines(), start=1):
        if _FENCE.match(raw):
            fenced = not fenced
            continue
        if fenced or not raw.strip():
            continue
        heading = _HEADING.match(raw)
        if heading:
            level = len(heading.group(1))
            headings = [h for h in headings if h[0] < level] + [(level, _plain(heading.group(2)))]
            items = []
            continue
        indent = len(raw) - len(raw.lstrip())
        item = _ITEM.match(raw)
        # An item closes the items at its indent or deeper, but not a lead-in line at its indent
        # ("All resources must be tagged with:" then "- `Environment: production`"); a line that is
        # no item closes every lead-in and every item it is not nested in.
        items = [i for i in items if i[0] < indent or (item and i[2] and i[0] == indent)]
        if not item:
            items = [i for i in items if not i[2]]
        parent = items[-1][1] if items else ""
        titles = tuple(h[1] for h in headings)
        out.append(
            PromptLine(number, raw.rstrip(), titles, parent, _is_generic(raw, titles, parent, generic))
        )
        if item or raw.rstrip().endswith(":"):
            items.append((indent, raw.strip(), not item))
    return out


def _plain(title: str) -> str:
    return re.sub(r"[*_`]", "", title).strip()


def _is_generic(line: str, headings: tuple[str, ...], parent: str, generic: GenericText) -> bool:
    if any(generic.anywhere.search(h) for h in headings):
        return True
    if generic.lines.search(line) or (parent and generic.parents.search(parent)):
        return True
    for i, title in enumerate(headings):
        if generic.sections.search(title) and (
            generic.within is None or any(generic.within.search(h) for h in headings[:i])
        ):
            return True
    return False
