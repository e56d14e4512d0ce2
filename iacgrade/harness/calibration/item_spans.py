"""Where a written analysis's items are: item headings, list entries under a heading that
announces failures, or numbered lines in a document without headings (iacgrade/harness/calibration/written.py
reads each item's parts)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from iacgrade.harness.calibration.severity import severity_from_text

HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<text>.*?)\s*#*\s*$")
# `1. Title`, `Issue 3: Title`, `Bug #2: Title`, `Failure 4 - Title`: an item heading.
_ITEM_HEADING = re.compile(
    r"^(?:(?P<num>\d{1,3})\.\s+|(?:(?P<sev>critical|high|medium|low|major|minor)\s+)?"
    r"(?:issue|bug|failure|fault|fix|error|problem|finding)\s*[#-]?\s*(?P<num2>\d{1,3})\s*[:.\-–—]\s*)"
    r"(?P<title>.+)$",
    re.IGNORECASE,
)
# What may stand before an item heading's number: a coloured marker, emphasis ("### 🔴 **Issue 1: ...**").
_HEADING_LEAD = re.compile(r"^(?:[🔴🟠🟡🟢✅❌⚠️\s]|\*\*|__)+")
# A document title that rates the failures it lists: "# Critical Infrastructure Failures in ..."
# (not "# Model Failures: High-Level Review").
_RATED_TITLE = re.compile(
    r"\b(?:critical|major|severe)\b[^.:]*?\b(?:errors|failures|issues|gaps|problems|bugs|mistakes|faults)\b",
    re.IGNORECASE,
)
_CATEGORY_HEADING = re.compile(r"^(?:error\s+)?category\s*:\s*(?P<rest>.+)$", re.IGNORECASE)
# The coloured markers reviewers put on an item heading, and the severity each one stands for.
_MARKER_SEVERITY = {"🔴": "Critical", "🟠": "High", "🟡": "Medium", "🟢": "Low"}
# Items below these headings describe what went right or what to do next, not failures.
_NOT_FAILURES = re.compile(
    r"strength|worked well|positive|lesson|recommend|prevention|best practice|success criteria|"
    r"next step|not required|by design|what model should|key takeaway|improvements? in (?:the )?ideal|"
    r"learning points|^(?:executive )?summary$|^overview$",
    re.IGNORECASE,
)
# "Issues Identified and Recommendations" announces failures first; its "recommend" excludes nothing.
_FAILURES_FIRST = re.compile(
    r"^\W*(?:issues|failures|errors|problems|faults)\s+(?:identified|found)\b", re.IGNORECASE
)
# A heading above list-shaped items (the fallback shape) says it lists failures.
# (plural: "Knowledge Gap" or "Issue Description" head explanations, "Critical Errors Identified" a list).
_FAILURE_SECTION = re.compile(r"\b(?:errors|failures|issues|gaps|problems|bugs|mistakes)\b", re.IGNORECASE)
# An item line with no heading: `1. Critical Failure — Title`, `2. Medium Issues - text`, `— Failure 3`.
_BARE_ITEM = re.compile(
    r"^(?:(?P<num>\d{1,3})\.\s+(?P<sev>critical|high|medium|low|major|minor)\s+"
    r"(?:failures?|issues?|errors?|problems?)\s*[:—–-]\s*(?P<title>\S.*)"
    r"|[—–]{1,2}\s*(?:failure|issue|error|problem|fault)\s*#?\s*(?P<num2>\d{1,3})\s*)$",
    re.IGNORECASE,
)
_PLAIN_NUMBERED = re.compile(r"^(?P<num>\d{1,3})\.\s+(?P<text>\S.*)$")
_LIST_ITEM = re.compile(r"^(?:(?P<num>\d{1,3})\.|[-*])\s+(?P<text>\S.*)$")


def find_spans(lines: list[str], in_block: list[bool]) -> tuple[list[Span], str]:
    """The items' spans and how they are headed ("numbered", "issue-headings", "list", "bare" or
    "none"): item headings first, then list entries, then heading-less numbered lines."""
    headings = [
        Heading(i, len(m["hashes"]), m["text"])
        for i, line in enumerate(lines)
        if not in_block[i] and (m := HEADING.match(line))
    ]
    spans = _item_spans(headings, len(lines))
    if spans:
        return spans, _heading_style(headings, spans)
    spans = _list_spans(lines, in_block, headings)
    if spans:
        return spans, "list"
    spans = _bare_spans(lines, in_block)
    return spans, "bare" if spans else "none"


@dataclass
class Heading:
    index: int  # 0-based line index
    level: int
    text: str


@dataclass
class Span:
    """Where an item sits: its first line, the line after it, its title and the headings above it."""

    start: int
    end: int
    title: str
    context: list[str]
    severity: str = ""  # as written before the title: "Critical Failure #1", a 🔴 marker
    written_number: int | None = None  # the item's number in the document, when it has one


def _item_spans(headings: list[Heading], n_lines: int) -> list[Span]:
    """The item headings' spans; items never nest."""
    spans: list[Span] = []
    stack: list[Heading] = []
    open_item: Heading | None = None
    # "## Error Category: Critical - ..." before "## 1. ..." at its own level rates the items after it.
    rated_by: dict[int, str] = {}
    for k, h in enumerate(headings):
        while stack and stack[-1].level >= h.level:
            stack.pop()
        if open_item is not None and h.level <= open_item.level:
            open_item = None
        rated_by = {level: text for level, text in rated_by.items() if level <= h.level}
        if category := _CATEGORY_HEADING.match(h.text):
            rated_by.pop(h.level, None)
            if severity_from_text(category["rest"]):
                rated_by[h.level] = h.text
        lead = _HEADING_LEAD.match(h.text)
        match = _ITEM_HEADING.match(h.text[lead.end() :] if lead else h.text)
        excluded = any(_NOT_FAILURES.search(a.text) and not _FAILURES_FIRST.search(a.text) for a in stack)
        if match and open_item is None and not excluded:
            end = next((g.index for g in headings[k + 1 :] if g.level <= h.level), n_lines)
            lead_text = lead.group(0) if lead else ""
            marker = next((_MARKER_SEVERITY[c] for c in lead_text if c in _MARKER_SEVERITY), "")
            severity = match["sev"] or marker
            number = int(match["num"] or match["num2"])
            context = [a.text for a in stack] + ([rated_by[h.level]] if h.level in rated_by else [])
            spans.append(Span(h.index, end, match["title"], context, severity, number))
            open_item = h
        stack.append(h)
    return spans


def _heading_style(headings: list[Heading], spans: list[Span]) -> str:
    starts = {s.start for s in spans}
    texts = [_HEADING_LEAD.sub("", h.text) for h in headings if h.index in starts]
    numbered = sum(1 for t in texts if t[:1].isdigit())
    return "numbered" if numbered * 2 >= len(texts) else "issue-headings"


def _list_spans(lines: list[str], in_block: list[bool], headings: list[Heading]) -> list[Span]:
    """Items written as list entries under a heading that announces failures (the fallback shape)."""
    spans: list[Span] = []
    bounds = [h.index for h in headings] + [len(lines)]
    stack: list[Heading] = []
    for h, nxt in zip(headings, bounds[1:], strict=False):
        while stack and stack[-1].level >= h.level:
            stack.pop()
        stack.append(h)
        if _NOT_FAILURES.search(h.text):
            continue
        # A title rating its failures ("# Critical Infrastructure Failures") announces every list below it.
        if _FAILURE_SECTION.search(h.text):
            context = [h.text]
        elif _rated_failure_title(stack[0]):
            context = [a.text for a in stack]
        else:
            continue
        entries = [i for i in range(h.index + 1, nxt) if not in_block[i] and _LIST_ITEM.match(lines[i])]
        for j, i in enumerate(entries):
            end = entries[j + 1] if j + 1 < len(entries) else nxt
            entry = _LIST_ITEM.match(lines[i])
            assert entry is not None
            number = int(entry["num"]) if entry["num"] else None
            spans.append(Span(i, end, _entry_title(entry["text"]), context, written_number=number))
    return spans


def _rated_failure_title(h: Heading) -> bool:
    return h.level == 1 and _RATED_TITLE.search(h.text) is not None


def _bare_spans(lines: list[str], in_block: list[bool]) -> list[Span]:
    """Items written without headings: `1. Critical Failure — Title` lines, or `— Failure 3` lines."""
    starts = [(i, m) for i, line in enumerate(lines) if not in_block[i] and (m := _BARE_ITEM.match(line))]
    spans: list[Span] = []
    for j, (i, m) in enumerate(starts):
        end = starts[j + 1][0] if j + 1 < len(starts) else len(lines)
        number = int(m["num"] or m["num2"])
        title = m["title"] or _first_prose(lines, in_block, i + 1, end)
        spans.append(Span(i, end, title, [], severity=m["sev"] or "", written_number=number))
    return spans or _plain_numbered_spans(lines, in_block)


def _plain_numbered_spans(lines: list[str], in_block: list[bool]) -> list[Span]:
    """A document with no headings that numbers its failures: `1. text` lines at the margin, when
    they open the document or follow a line announcing failures ("Below were the model failures -")."""
    if any(not in_block[i] and HEADING.match(line) for i, line in enumerate(lines)):
        return []
    starts = [
        (i, m) for i, line in enumerate(lines) if not in_block[i] and (m := _PLAIN_NUMBERED.match(line))
    ]
    if not starts:
        return []
    before = [line.strip() for line in lines[: starts[0][0]] if line.strip()]
    if before and not _FAILURE_SECTION.search(before[-1]):
        return []
    spans: list[Span] = []
    for j, (i, m) in enumerate(starts):
        end = starts[j + 1][0] if j + 1 < len(starts) else len(lines)
        spans.append(Span(i, end, _entry_title(m["text"]), [], written_number=int(m["num"])))
    return spans


def _first_prose(lines: list[str], in_block: list[bool], start: int, end: int) -> str:
    """An untitled item's title: its first line of prose, without a `Problem:` label."""
    for i in range(start, end):
        if not in_block[i] and lines[i].strip():
            return re.sub(r"^\w+:\s*", "", lines[i].strip())[:120]
    return ""


def _entry_title(text: str) -> str:
    bold = re.match(r"\*\*(?P<t>[^*]+)\*\*", text)
    if bold:
        return bold["t"].strip()
    sentence = re.split(r"(?<=[.;:])\s", text, maxsplit=1)[0]
    return sentence[:120].rstrip(".;:")
