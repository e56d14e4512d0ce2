"""Reading a reviewer's written failure analysis (`MODEL_FAILURES.md`) into items.

Reviewers write these documents in several shapes; measured on the dev corpus (35 documents):

- items are headed `### N. Title` (29 documents), `## Issue N: Title` (3) or `## Bug #N: Title`
  (1); a document with no such headings lists its items as `N. **Title**` or `- text` under a
  heading such as "Critical Errors Identified" or "Previous Gaps" (2);
- inside an item, parts are labelled by bold labels (`**Impact Level**`, `**MODEL_RESPONSE
  Issue**`, `**IDEAL_RESPONSE Fix**`, `**Root Cause**` in the seed's shape; `**Issue**`,
  `**Severity**`, `**Error**`, `**Fix Applied**`, `**Code Before**`... in the others) or by
  sub-headings (`### Problem`, `### Solution`, `### What Went Wrong`), and one code block may
  carry both sides, split by comments such as `# BEFORE:` / `# AFTER:` or `# INCORRECT` / `# CORRECT`;
- severity is written in a field (`**Impact Level**: Critical`, `**Severity**: HIGH`, `**Category**:
  A (Critical - Security)`, `**Impact**: High - ...`), in the heading (`(CRITICAL)`, `(Minor - ...)`),
  or only in the group heading above the items ("## High Impact Failures", "## Category B: ...");
- some items say where the model's code is instead of quoting it (4 documents): a `**Location**`
  or `**Files**` field naming a path and lines, as `lib/x.py (line 167-170)`, `lib/x.py:97-99` or
  `stacks/x.py, lines 216 and 228`.

The Terraform HCL and CloudFormation corpora (40 documents each) add: item headings decorated or
rated before their number (`### 🔴 **Issue 1: ...**`, `## **FAULT #1: ...**`, `## Critical Failure #1:`,
`### FAILURE-01:`, `## Fault 2:`); severity inside the emphasis (`**Severity: HIGH - ...**`), as a label
alone (`**Critical Severity**`), in list entries (`- **Impact**: ❌ **CRITICAL** - ...`, `- SEVERE: ...`)
or in the title (`Critical Failure: ...`, `... - CRITICAL MISSING`); numbered lists below a title that
rates them ("# Critical Infrastructure Failures"); items with no heading at all (`1. Critical Failure —
Title`, `— Failure 3`), rated by a summary that names them by number (`Critical: 3 (Failures 1, 3, 7)`).

The parser keeps what a calibration needs: title, severity as written and normalised, the code
the reviewer quotes as the model's, the errors quoted, and the prose (for keyword matching).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from iacgrade.harness.calibration.item_spans import HEADING, Span, find_spans
from iacgrade.harness.calibration.severity import severity_from_text
from iacgrade.harness.core.findings import Severity
from iacgrade.harness.core.mdblocks import CodeBlock, scan_blocks

WRITTEN_NAMES = ("MODEL_FAILURES.md",)

_LABEL = re.compile(r"^ {0,3}\*\*(?P<label>[^*\n]{2,80}?)\s*:?\s*\*\*\s*:?\s*(?P<rest>.*)$")
# A summary line rating items by their numbers: `- Critical: 3 (Failures 1, 3, 7)`.
_BREAKDOWN = re.compile(
    r"^\s*[-*]?\s*(?P<sev>critical|high|medium|low)\s*:\s*\d+\s*"
    r"\((?:failures?|issues?|items?|faults?|errors?)\s+(?P<numbers>\d+(?:\s*(?:,|and)\s*\d+)*)\)",
    re.IGNORECASE,
)

# What a labelled part of an item holds. Order matters: "Error in MODEL_RESPONSE" is the model's code.
_ROLE_MODEL = re.compile(
    r"model[_ ]response|original|before|initial|incorrect|wrong|problem|issue|current|previous|"
    r"what went wrong|hard-?coded|bad\b",
    re.IGNORECASE,
)
_ROLE_ERROR = re.compile(
    r"^errors?\b|error encountered|failed tests?|symptom|traceback|detection", re.IGNORECASE
)
_ROLE_FIX = re.compile(
    r"ideal|fix|solution|after|\bcorrect|resolution|resolved|improved|addition|changed|alternative|"
    r"simplified|dynamic|verification|implemented|recommend|should be",
    re.IGNORECASE,
)
_ROLE_SEVERITY = re.compile(r"impact level|severity|priority", re.IGNORECASE)
_ROLE_LOCATION = re.compile(r"^(?:location|files?|lines?)$", re.IGNORECASE)
# `**Impact**: High - Security`: a severity only when the field starts with a severity word.
_ROLE_IMPACT = re.compile(r"^impact$", re.IGNORECASE)
# A path with a source extension, then optional line numbers: `:97-99`, `, lines 216 and 228`, `(line 5)`.
_PATH = re.compile(r"(?P<path>[\w.-]+(?:/[\w.-]+)*\.(?:py|json|ts|js|yaml|yml|tfvars|tf|hcl|md))")
_LINES = re.compile(r"^[`\s]*(?::|,?\s*\(?lines?\s+)(?P<spec>\d+(?:\s*(?:-|–|and|,)\s*\d+)*)", re.IGNORECASE)
_ROLE_CATEGORY = re.compile(r"^category", re.IGNORECASE)
_INNER_VALUE = re.compile(r"^(?P<label>severity|impact level|priority)\s*:\s*(?P<value>\S.*)$", re.IGNORECASE)
# A label that is the severity itself: "**Critical Severity**", "**High Priority**".
_SEVERITY_LABEL = re.compile(
    r"^(?:critical|high|medium|low|major|minor)\s+(?:severity|priority)$", re.IGNORECASE
)
# A severity field written as a list entry: "- **Impact**: ❌ **CRITICAL** - Incomplete solution".
_LIST_FIELD = re.compile(
    r"^\s*[-*]\s+\*\*(?P<label>severity|impact level|priority|impact)\s*:?\s*\*\*\s*:?\s*(?P<value>.+)$",
    re.IGNORECASE,
)
# A sub-entry that opens with a severity in capitals: "- CRITICAL: the listener is HTTP only".
_LIST_SEVERITY = re.compile(r"^\s*[-*]\s+(?P<word>CRITICAL|HIGH|MEDIUM|LOW|SEVERE|MAJOR|MINOR)\s*:")
# A title that opens or closes with its severity: "Critical Failure: ...", "CRITICAL COMPLIANCE VIOLATION",
# "Network ACLs Security Layer - CRITICAL MISSING".
_TITLE_SEVERITY_PREFIX = re.compile(
    r"^(?P<sev>critical|high|medium|low|major|minor)(?:\s+(?:failure|issue|error|bug|fault|problem)s?)?"
    r"\s*[:—–]\s*|^(?-i:(?P<caps>CRITICAL)\s+(?=[A-Z]{2,}))",
    re.IGNORECASE,
)
_TITLE_SEVERITY_SUFFIX = re.compile(r"\s[-–—]\s+(?P<sev>CRITICAL|HIGH|MEDIUM|LOW)(?:\s+[A-Z]+)*$")

# A comment line that splits one code block into the model's side and the fix's side.
_MARKER_MODEL = re.compile(
    r"^#\s*(?:incorrect|wrong|before|original|model[_ ]response|previous|old\s*:|removed\s*:|bad\b|❌)",
    re.IGNORECASE,
)
_MARKER_FIX = re.compile(
    r"^#\s*(?:correct|after|ideal|fixed|fix\b|actual implementation|should be|good\b|new\s*:|updated\s*:|✅)",
    re.IGNORECASE,
)
_ERROR_START = re.compile(
    r"^\s*(?:error\b|traceback|[A-Za-z_.]*(?:Error|Exception)\b|│|╷|E\s{2,})", re.IGNORECASE
)
_ERROR_IN_PROSE = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception)\b(?::[^\n`]{0,200})?")
_ERROR_QUOTED = re.compile(r"error[^\"\n]{0,30}\"(?P<q>[^\"\n]{8,200})\"", re.IGNORECASE)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")

_TRAILING_PAREN = re.compile(r"\s*\((?P<inner>[^()]*)\)\s*$")
_DECORATION = re.compile(r"[✅❌⚠️🔴🟠🟡🟢]|\b(?:FIXED|RESOLVED|IMPLEMENTED)\b\s*$")


@dataclass(frozen=True)
class WrittenItem:
    """One failure as a reviewer wrote it."""

    number: int  # position in the document, from 1
    title: str
    line: int  # 1-based line of the item's heading (or list entry) in the document
    severity_text: str = ""  # as written: "Critical", "HIGH (Blocks Deployment)", "" when none
    severity: Severity | None = None  # normalised; None when nothing says how bad it is
    model_code: tuple[str, ...] = ()  # code blocks (or parts of one) quoted as the model's
    other_code: tuple[str, ...] = ()  # code blocks whose side the document does not say
    inline_code: tuple[str, ...] = ()  # `spans` in the parts that describe the model's code
    errors: tuple[str, ...] = ()  # error messages quoted
    # Places the item names: (path, first line, last line); lines are None when only the file is named.
    locations: tuple[tuple[str, int | None, int | None], ...] = ()
    text: str = ""  # title and prose, without code blocks

    @property
    def quoted_code(self) -> tuple[str, ...]:
        """Every block that may show the model's code: labelled as the model's, or unlabelled."""
        return self.model_code + self.other_code


@dataclass(frozen=True)
class WrittenAnalysis:
    """A parsed written analysis: its items and the shape the document was written in."""

    items: tuple[WrittenItem, ...]
    shape: str  # e.g. "numbered/seed-labels", "issue-headings/sub-headings", "list/prose"
    path: str = ""


def find_written_analysis(task_dir: Path) -> Path | None:
    """The written analysis of a task, in the project or the archived layout."""
    for name in WRITTEN_NAMES:
        for candidate in (task_dir / name, task_dir / "lib" / name):
            if candidate.is_file():
                return candidate
    return None


@dataclass
class _Part:
    """A labelled stretch of an item: what it holds, its prose, and its code blocks."""

    role: str  # model | fix | error | severity | category | other | none
    label: str
    by_heading: bool = False
    prose: list[str] = field(default_factory=list)
    blocks: list[CodeBlock] = field(default_factory=list)


def parse_written(text: str, path: str = "") -> WrittenAnalysis:
    """Split a written analysis into items; a document without recognisable items yields none."""
    lines = text.splitlines()
    blocks = scan_blocks(lines)
    in_block = _block_lines(blocks, len(lines))
    spans, heading_style = find_spans(lines, in_block)
    items: list[WrittenItem] = []
    label_styles: list[str] = []
    for number, span in enumerate(spans, start=1):
        parts = _parts(lines, blocks, in_block, span.start + 1, span.end)
        label_styles.append(_label_style(parts))
        items.append(_item(number, span, parts))
    items = _rate_from_breakdown(items, spans, lines, in_block)
    shape = f"{heading_style}/{_dominant(label_styles)}" if items else "none"
    return WrittenAnalysis(items=tuple(items), shape=shape, path=path)


def _block_lines(blocks: Sequence[CodeBlock], n: int) -> list[bool]:
    inside = [False] * n
    for b in blocks:
        for i in range(b.start, min(b.end + 1, n)):
            inside[i] = True
    return inside


def _rate_from_breakdown(
    items: list[WrittenItem], spans: list[Span], lines: list[str], in_block: list[bool]
) -> list[WrittenItem]:
    """Rate unrated items from a breakdown that names them by number: `Critical: 3 (Failures 1, 3, 7)`."""
    rated: dict[int, str] = {}
    for i, line in enumerate(lines):
        if not in_block[i] and (m := _BREAKDOWN.match(line)):
            for n in re.findall(r"\d+", m["numbers"]):
                rated.setdefault(int(n), m["sev"])
    if not rated:
        return items
    out = []
    for item, span in zip(items, spans, strict=True):
        written = rated.get(span.written_number) if span.written_number is not None else None
        if item.severity is None and not item.severity_text and written:
            item = replace(item, severity_text=written, severity=severity_from_text(written))
        out.append(item)
    return out


def _parts(
    lines: list[str], blocks: Sequence[CodeBlock], in_block: list[bool], start: int, end: int
) -> list[_Part]:
    """Cut an item's body at its labels and sub-headings; code blocks go to the part they sit in."""
    parts = [_Part(role="none", label="")]
    block_at = {b.start: b for b in blocks}
    i = start
    while i < end:
        if i in block_at:
            parts[-1].blocks.append(block_at[i])
            i = block_at[i].end + 1
            continue
        if in_block[i]:
            i += 1
            continue
        line = lines[i]
        heading = HEADING.match(line)
        label = _LABEL.match(line)
        if heading:
            part = _Part(role=_role(heading["text"]), label=heading["text"], by_heading=True)
            part.prose.append(heading["text"])  # "### Issue: Incorrect Class Names" says what it is about
            parts.append(part)
        elif label:
            name, rest = label["label"], label["rest"]
            # "**Severity: CRITICAL - Deployment Will Fail**": the value sits inside the emphasis.
            inner = _INNER_VALUE.match(name)
            if inner and not rest.strip():
                name, rest = inner["label"], inner["value"]
            parts.append(_Part(role=_role(name), label=name))
            if rest.strip():
                parts[-1].prose.append(rest)
        else:
            parts[-1].prose.append(line)
        i += 1
    return parts


def _role(label: str) -> str:
    if _ROLE_LOCATION.match(label.strip()):
        return "location"
    if _ROLE_IMPACT.match(label.strip()):
        return "impact"
    if _ROLE_SEVERITY.search(label):
        return "severity"
    if _ROLE_CATEGORY.search(label):
        return "category"
    if _ROLE_MODEL.search(label):
        return "model"
    if _ROLE_ERROR.search(label):
        return "error"
    if _ROLE_FIX.search(label):
        return "fix"
    return "other"


def _label_style(parts: list[_Part]) -> str:
    labels = {p.label.lower().strip() for p in parts}
    if labels & {"impact level", "model_response issue"}:
        return "seed-labels"
    if any(p.by_heading for p in parts):
        return "sub-headings"
    if len(parts) > 1:
        return "labels"
    return "prose"


def _dominant(styles: list[str]) -> str:
    return max(set(styles), key=lambda s: (styles.count(s), s)) if styles else "prose"


def _item(number: int, span: Span, parts: list[_Part]) -> WrittenItem:
    start = span.start
    title, heading_severity = _clean_title(span.title)
    severity_text = _severity_text(parts, heading_severity or span.severity, span.context)
    model_code: list[str] = []
    other_code: list[str] = []
    errors: list[str] = []
    inline: list[str] = []
    prose: list[str] = [title]
    for part in parts:
        prose.extend(part.prose)
        if part.role in ("model", "none", "other"):
            inline.extend(_INLINE_CODE.findall("\n".join(part.prose)))
        if part.role == "error":
            errors.extend(p.strip() for p in part.prose if p.strip())
        for block in part.blocks:
            for side, code in _split_block(block):
                if side == "error" or (part.role == "error" and side == "unknown"):
                    errors.append(code)
                elif side == "model" or (side == "unknown" and part.role == "model"):
                    model_code.append(code)
                elif side == "unknown" and part.role in ("none", "other"):
                    other_code.append(code)
    locations = [loc for part in parts if part.role == "location" for loc in _locations(" ".join(part.prose))]
    body = "\n".join(prose)
    errors.extend(m.group(0).strip() for m in _ERROR_IN_PROSE.finditer(body))
    errors.extend(m["q"] for m in _ERROR_QUOTED.finditer(body))
    return WrittenItem(
        number=number,
        title=title,
        line=start + 1,
        severity_text=severity_text,
        severity=severity_from_text(severity_text) if severity_text else None,
        model_code=tuple(model_code),
        other_code=tuple(other_code),
        inline_code=tuple(dict.fromkeys(inline)),
        errors=tuple(dict.fromkeys(e for e in errors if e)),
        text=body,
        locations=tuple(dict.fromkeys(locations)),
    )


def _locations(text: str) -> list[tuple[str, int | None, int | None]]:
    """The places a location field names: each path, with the line ranges written after it."""
    found: list[tuple[str, int | None, int | None]] = []
    for m in _PATH.finditer(text):
        lines = _LINES.match(text[m.end() :])
        if not lines:
            found.append((m["path"], None, None))
            continue
        # "97-99" is a range; "216 and 228" or "25-27,42" are separate places.
        for piece in re.split(r"\s*(?:and|,)\s*", lines["spec"]):
            bounds = [int(n) for n in re.split(r"\s*[-–]\s*", piece) if n.isdigit()]
            if bounds:
                found.append((m["path"], min(bounds), max(bounds)))
    return found


def _clean_title(raw: str) -> tuple[str, str]:
    """The title without emphasis, decorations and a trailing severity in parentheses."""
    title = re.sub(r"\*\*|__|`", "", raw).strip()
    title = _DECORATION.sub("", title).strip()
    severity = ""
    paren = _TRAILING_PAREN.search(title)
    # "(CRITICAL)", "(Minor - Best Practice)", and the all-capital tags "(IMPROVEMENT)", "(DOCUMENTATION)".
    if paren and (severity_from_text(paren["inner"]) or re.fullmatch(r"[A-Z][A-Z /-]+", paren["inner"])):
        severity = paren["inner"].strip()
        title = title[: paren.start()].strip()
    elif prefix := _TITLE_SEVERITY_PREFIX.match(title):
        if prefix["caps"]:
            severity = prefix["caps"]  # the capitals are part of the title: keep them there
        else:
            severity, title = prefix.group(0).strip(" :—–"), title[prefix.end() :]
    elif suffix := _TITLE_SEVERITY_SUFFIX.search(title):
        severity, title = suffix.group(0).strip(" -–—"), title[: suffix.start()]
    return title.rstrip(" -:"), severity


def _severity_text(parts: list[_Part], heading_severity: str, context: list[str]) -> str:
    """Severity as written, from the most specific place that states one."""
    for part in parts:
        if part.role == "severity" and _SEVERITY_LABEL.match(part.label.strip()):
            return part.label.strip()
        if part.role == "severity" and part.prose:
            return _first_line(part.prose)
    if heading_severity:
        return heading_severity
    for part in parts:
        if part.role == "impact" and part.prose and severity_from_text(_first_line(part.prose).split(" ")[0]):
            return _first_line(part.prose)
    if listed := _listed_severity(parts):
        return listed
    for part in parts:
        if part.role == "category" and part.prose and severity_from_text(_first_line(part.prose)):
            return _first_line(part.prose)
    for heading in reversed(context):
        if severity_from_text(heading):
            return heading.strip()
    return ""


def _listed_severity(parts: list[_Part]) -> str:
    """A severity written in the item's list entries: a `- **Impact**:` field, else a `- CRITICAL:` entry."""
    lines = [line for part in parts for line in part.prose]
    for line in lines:
        field = _LIST_FIELD.match(line)
        if not field:
            continue
        value = _DECORATION.sub("", field["value"].replace("**", "")).strip()
        # An impact is a severity only when it opens with one ("HIGH - ...", not "High cost of ...").
        first = value.split(" ")[0] if field["label"].lower() == "impact" else value
        if severity_from_text(first):
            return value
    return next((m["word"] for line in lines if (m := _LIST_SEVERITY.match(line))), "")


def _first_line(prose: list[str]) -> str:
    return next((p.strip() for p in prose if p.strip()), "")


def _split_block(block: CodeBlock) -> list[tuple[str, str]]:
    """A code block as (side, code) parts: side is model, fix, error or unknown."""
    content = block.content
    if _looks_like_error(block):
        return [("error", content)]
    parts: list[tuple[str, list[str]]] = [("unknown", [])]
    for line in content.splitlines():
        stripped = line.strip()
        if _MARKER_MODEL.match(stripped):
            parts.append(("model", []))
            continue
        if _MARKER_FIX.match(stripped):
            parts.append(("fix", []))
            continue
        parts[-1][1].append(line)
    return [(side, "\n".join(body)) for side, body in parts if any(b.strip() for b in body)]


def _looks_like_error(block: CodeBlock) -> bool:
    first = next((line for line in block.content.splitlines() if line.strip()), "")
    if block.language in ("python", "py"):
        return bool(re.match(r"^\s*(Traceback|[A-Za-z_.]*(Error|Exception):)", first))
    return bool(_ERROR_START.match(first))
