"""The Markdown failure analysis: a `TaskResult` rendered in the seed's layout, section for section.

The template (`templates/analysis.md.j2`) owns the layout; this module owns every decision about
wording and formatting (fences, signs, plurals, platform names), so the template never has to
test for missing values and never prints `None`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from iacgrade.harness.core.findings import Category, ErrorKind, Finding, Location, Severity, is_environment
from iacgrade.harness.core.results import (
    CodeQuote,
    Failure,
    RequirementCheck,
    RequirementStatus,
    Score,
    SideResult,
    TaskResult,
    TaskStatus,
)
from iacgrade.harness.core.synth import SynthStatus, TestRun
from iacgrade.reports.ignored import reviewer_rows, selection_note
from iacgrade.reports.nouns import resource_noun
from iacgrade.reports.positives import has_terraform, model_positives

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "analysis.md.j2"

PLATFORM_NAMES = {
    "cdktf": "CDKTF",
    "cdk": "AWS CDK",
    "tf": "Terraform",
    "terraform": "Terraform",
    "cfn": "CloudFormation",
    "cloudformation": "CloudFormation",
    "pulumi": "Pulumi",
}
LANGUAGE_NAMES = {
    "py": "Python",
    "python": "Python",
    "ts": "TypeScript",
    "typescript": "TypeScript",
    "js": "JavaScript",
    "go": "Go",
    "java": "Java",
    "csharp": "C#",
    "hcl": "HCL",
    "yaml": "YAML",
    "json": "JSON",
}
# What each non-graded status means for the reader; the reason itself comes from the result.
STATUS_EXPLANATIONS = {
    TaskStatus.INVALID: "The task could not be read, so neither answer was graded.",
    TaskStatus.INFRA_ERROR: (
        "The sandbox failed while grading this task. This says nothing about the MODEL_RESPONSE; "
        "grade the task again once the sandbox works."
    ),
    TaskStatus.ERROR: "The grader itself failed on this task, so its answers were not fully graded.",
}
# How the error of a failure is introduced: a reader must tell what a synth run printed from
# what a rule predicts Terraform or AWS would answer (deployment is never run).
ERROR_LABELS = {
    ErrorKind.OBSERVED: "Error (observed at synth)",
    ErrorKind.EXPECTED_SYNTH: "Expected error at synth (not observed)",
    ErrorKind.EXPECTED_DEPLOY: "Expected error at deploy (not run)",
}
# An impact bullet "Label: text" gets a bold label only when the label is short and plain,
# so a sentence that merely contains a colon is left alone.
_IMPACT_LABEL = re.compile(r"^(?P<label>[A-Za-z][\w /&'().+-]{0,40}?):\s+(?P<text>\S.*)$", re.DOTALL)
_FENCE_LINE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_ERROR_MESSAGE_CHARS = 160


@dataclass(frozen=True)
class NumberedFailure:
    """A failure with its number in the document (numbering runs across severity sections)."""

    number: int
    failure: Failure


@dataclass(frozen=True)
class SeveritySection:
    """One `## <Severity> Failures` section, or one line of the severity distribution."""

    severity: Severity
    items: tuple[NumberedFailure, ...]


@dataclass(frozen=True)
class ShownScore:
    """One score under "Impact on Training Quality Score": the answer's, or the archive policy's."""

    heading: str
    score: Score
    note: str = ""


@dataclass(frozen=True)
class SharedNote:
    """A note several failures carry, stated once above them and referred to by its label."""

    label: str
    text: str
    numbers: tuple[int, ...]


@dataclass(frozen=True)
class KnowledgeGap:
    """A category of failures and the titles that show it."""

    category: Category
    titles: tuple[str, ...]


@dataclass(frozen=True)
class RequirementRow:
    """One line of the "Requirements" table: a prompt requirement as each answer meets it."""

    line: str
    text: str
    label: str
    model: str
    ideal: str
    where: str


@dataclass(frozen=True)
class Requirements:
    """The prompt's requirements as the model meets them: the totals and the table."""

    summary: str
    rows: tuple[RequirementRow, ...]
    with_ideal: bool


# A requirement's text in the table is cut to this many characters; the prompt has it whole.
_REQUIREMENT_CHARS = 90


def requirements_section(result: TaskResult) -> Requirements | None:
    """ "14 checked, 11 met" and a row per requirement; None when the prompt stated none that the
    graders recognise (or the result predates the requirements)."""
    model = result.model.requirements if result.model else []
    if not model:
        return None
    ideal = {(c.line, c.kind, c.aspect): c for c in (result.ideal.requirements if result.ideal else [])}
    checked = [c for c in model if c.status is not RequirementStatus.UNCHECKED]
    met = sum(c.status is RequirementStatus.MET for c in checked)
    unchecked = len(model) - len(checked)
    summary = f"{len(checked)} checked, {met} met"
    if unchecked:
        summary += f"; {unchecked} recognised but not checked"
    rows = tuple(
        RequirementRow(
            line=", ".join(str(n) for n in [c.line, *c.also]),
            text=_table_text(c.text),
            label=c.label,
            model=_status_cell(c),
            ideal=_status_cell(ideal[(c.line, c.kind, c.aspect)])
            if (c.line, c.kind, c.aspect) in ideal
            else "",
            where=", ".join(inline_code(w) for w in c.where[:2]) + (" …" if len(c.where) > 2 else ""),
        )
        for c in model
    )
    return Requirements(summary=summary, rows=rows, with_ideal=bool(ideal))


def _status_cell(check: RequirementCheck) -> str:
    if check.status is RequirementStatus.MET:
        return "met"
    if check.status is RequirementStatus.UNMET:
        return f"**unmet** ({', '.join(check.reported_by or [check.rule_id])})"
    return f"unchecked: {_table_text(check.detail)}"


def _table_text(text: str) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= _REQUIREMENT_CHARS else text[: _REQUIREMENT_CHARS - 1].rstrip() + "…"


def render_analysis(result: TaskResult) -> str:
    """Render the failure analysis of one task as Markdown."""
    text = _environment().get_template(TEMPLATE_NAME).render(_context(result))
    return tidy_markdown(text)


# --- context --------------------------------------------------------------------------------


def _context(result: TaskResult) -> dict[str, Any]:
    sections = severity_sections(result.failures)
    numbered = [item for s in sections for item in s.items]
    notes = shared_notes(numbered)
    return {
        "result": result,
        "graded": result.status is TaskStatus.GRADED,
        "status_explanation": STATUS_EXPLANATIONS.get(result.status, ""),
        "subject": platform_text(result.metadata),
        "sections": [s for s in sections if s.items],
        "distribution": sections,
        "numbered": numbered,
        "counts": result.severity_counts(),
        # In document order, so equally frequent gaps follow the numbering.
        "gaps": knowledge_gaps([item.failure for item in numbered]),
        "synthesis": synthesis_lines(result),
        "total_minutes": sum(f.fix_minutes for f in result.failures),
        "scores": shown_scores(result),
        "notes": notes,
        "note_labels": {n.text: n.label for n in notes},
        "positives": model_positives(result.model),
        "model_terraform": has_terraform(result.model),
        "model_note": _side_note(result.model),
        "environment": _environment_line(result.environment),
        "requirements": requirements_section(result),
        "selection_note": selection_note(result),
        "reviewer_ignored": reviewer_rows(result),
    }


def _environment_line(env: dict[str, Any]) -> dict[str, str] | None:
    """The deploy environment the findings assume, in one sentence (None for older results)."""
    if not env.get("profile"):
        return None
    version = str(env.get("terraform_version", ""))
    terraform = "any current Terraform release" if version in ("", "latest") else f"Terraform {version}"
    state = "remote state required" if env.get("remote_state_required") else "local state accepted"
    source = {"task": "the task's start date", "as-of": "the run's --as-of date", "today": "today"}
    when = f"AWS data judged at {env.get('judged_at')} ({source.get(str(env.get('judged_from')), 'given')})"
    return {
        "profile": str(env["profile"]),
        "text": f"{terraform}, {state}, region {env.get('region')}, {when}",
    }


def shown_scores(result: TaskResult) -> list[ShownScore]:
    """The answer score, then the archive's training-quality score beside it (either may be absent)."""
    shown = [ShownScore("Score", result.score)] if result.score else []
    if result.training:
        shown.append(
            ShownScore(
                "Training quality (archive policy)",
                result.training,
                ", iacgrade's reading of the archive's published training_quality policy",
            )
        )
    return shown


def shared_notes(numbered: list[NumberedFailure]) -> list[SharedNote]:
    """Notes carried by more than one failure, labelled A, B, ... in order of first use."""
    numbers: dict[str, list[int]] = {}
    for item in numbered:
        if item.failure.note:
            numbers.setdefault(item.failure.note, []).append(item.number)
    shared = [(text, nums) for text, nums in numbers.items() if len(nums) > 1]
    return [
        SharedNote(label=chr(ord("A") + i), text=text, numbers=tuple(nums))
        for i, (text, nums) in enumerate(shared[:26])
    ]


def numbers_text(numbers: tuple[int, ...]) -> str:
    """'failure 3', 'failures 3 and 5', 'failures 3, 4 and 7'."""
    if len(numbers) == 1:
        return f"failure {numbers[0]}"
    listed = ", ".join(str(n) for n in numbers[:-1])
    return f"failures {listed} and {numbers[-1]}"


def _side_note(side: SideResult | None) -> str:
    """Where the model's Terraform JSON came from, when not from its own entry point."""
    synth = side.synth if side is not None else None
    if synth is None or not synth.stacks:
        return ""
    if synth.from_repair:
        return "the Terraform JSON synthesized after repairing what stops the answer"
    if synth.from_fallback:
        return f"the Terraform JSON from the fallback strategy `{synth.stacks_strategy}`"
    return ""


def severity_sections(failures: list[Failure]) -> list[SeveritySection]:
    """Group failures by severity, worst first, numbering them in reading order.

    Every severity gets a section (possibly empty) so the distribution can list all four, as the
    seed does; the failure sections skip the empty ones.
    """
    ordered = sorted(failures, key=lambda f: f.severity.rank)  # stable: keeps the grader's order
    numbered = [NumberedFailure(number=i, failure=f) for i, f in enumerate(ordered, start=1)]
    return [
        SeveritySection(severity=s, items=tuple(n for n in numbered if n.failure.severity is s))
        for s in sorted(Severity, key=lambda s: s.rank)
    ]


def knowledge_gaps(failures: list[Failure]) -> list[KnowledgeGap]:
    """Categories of the failures, most frequent first (ties keep first appearance)."""
    counts = Counter(f.category for f in failures)
    first_seen = list(dict.fromkeys(f.category for f in failures))
    ranked = sorted(first_seen, key=lambda c: -counts[c])
    return [
        KnowledgeGap(category=c, titles=tuple(f.title for f in failures if f.category is c)) for c in ranked
    ]


def platform_text(metadata: dict[str, Any]) -> str:
    """'CDKTF, Python' from the task metadata; empty when the metadata names neither."""
    parts = [
        _display_name(metadata.get("platform"), PLATFORM_NAMES),
        _display_name(metadata.get("language"), LANGUAGE_NAMES),
    ]
    return ", ".join(p for p in parts if p)


def _display_name(value: Any, names: dict[str, str]) -> str:
    if value is None or value == "":
        return ""
    text = str(value)
    return names.get(text.lower(), text)


def synthesis_lines(result: TaskResult) -> list[tuple[str, str]]:
    """(side label, what synthesis came to) for each side that was looked at."""
    lines = [("MODEL_RESPONSE", synthesis_text(result.model))]
    if result.ideal is not None or not result.model_only:
        lines.append(("IDEAL_RESPONSE", synthesis_text(result.ideal)))
    return lines


def synthesis_text(side: SideResult | None) -> str:
    """One line: status, error, where the Terraform JSON came from, scaffold use."""
    if side is None:
        return "not graded"
    if not side.has_code:
        return "no code in the answer, nothing to synthesize"
    synth = side.synth
    if synth is None:
        return "not synthesized"
    text = f"**{synth.status.value}**"
    if synth.strategy and synth.strategy != "entry":
        text += f" (strategy `{synth.strategy}`)"
    error = _error_summary(synth.error_type, synth.message)
    if error:
        text += f", {inline_code(error)}"
    text += f"; {_stacks_text(len(synth.stacks), synth.stacks_strategy, synth.from_fallback)}"
    if synth.from_repair and synth.repairs:
        text += f" after repairing what stops it ({'; '.join(synth.repairs)})"
    if synth.tests is not None and synth.tests.ran:
        text += f"; {unit_tests_text(synth.tests)}"
    gap = next((f for f in side.findings if is_environment(f.rule_id)), None)
    if gap is not None and synth.status is not SynthStatus.OK:
        # Said here since the reference's gap is no failure and no sign of a suspect reference.
        text += f"; stopped by what the sandbox does not give, not by the code ({gap.rule_id}: {gap.title})"
    if side.entry_source == "scaffold":
        entry = f" {inline_code(side.entry)}" if side.entry else ""
        text += f"; entry point{entry} taken from the platform scaffold"
    # Blocks refused for an unsafe path (iacgrade.harness.core.workspace) change what was built: say so.
    for note in (n for n in side.notes if "was not written" in n):
        text += f"; {inline_code(note)}"
    return text


def unit_tests_text(run: TestRun) -> str:
    """What running the answer's unit tests after synth gave, by outcome (observed, not predicted)."""
    order = ("passed", "failed", "error", "skipped")
    parts = [
        f"{run.counts[k]} {'errors' if k == 'error' and run.counts[k] != 1 else k}"
        for k in order
        if run.counts.get(k)
    ]
    text = f"unit tests run: {', '.join(parts) or 'none collected'}"
    if run.timed_out:
        text += ", stopped at the time limit"
    # No seconds here: the same answer must give the same report (results.csv has them).
    return text


def _error_summary(error_type: str, message: str) -> str:
    first_line = message.strip().splitlines()[0].strip() if message.strip() else ""
    if len(first_line) > _ERROR_MESSAGE_CHARS:
        first_line = first_line[: _ERROR_MESSAGE_CHARS - 1].rstrip() + "…"
    if error_type and first_line:
        return first_line if first_line.startswith(error_type) else f"{error_type}: {first_line}"
    return error_type or first_line


def _stacks_text(count: int, strategy: str, from_fallback: bool) -> str:
    if count == 0:
        return "no Terraform JSON"
    stacks = f"{count} stack" if count == 1 else f"{count} stacks"
    if not strategy:
        return f"Terraform JSON for {stacks}"
    source = f"the fallback strategy `{strategy}`" if from_fallback else f"strategy `{strategy}`"
    return f"Terraform JSON for {stacks} from {source}"


# --- filters --------------------------------------------------------------------------------


def fenced(code: str, language: str = "") -> str:
    """A fenced code block that survives backtick fences inside the code."""
    body = code.strip("\n").rstrip()
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{body}\n{fence}"


def inline_code(text: str) -> str:
    """Inline code that survives backticks inside the text."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def has_code(quote: CodeQuote | None) -> bool:
    return quote is not None and bool(quote.code.strip())


def quote_where(quote: CodeQuote | None) -> str:
    """'path:line' (or 'path') of a quote; empty when the quote does not say."""
    if quote is None or not quote.path:
        return ""
    return f"{quote.path}:{quote.line}" if quote.line else quote.path


def source_where(failure: Failure) -> str:
    """Where the model's code is: from its quote, else from the finding's location."""
    where = quote_where(failure.model_code)
    if where:
        return where
    loc = failure.location
    if loc.path:
        return f"{loc.path}:{loc.line}" if loc.line else loc.path
    return ""


def issue_where(failure: Failure) -> str:
    """'`lib/x.py:12`, resource `aws_x.y` in stack `tap`': every place the failure points to."""
    parts = []
    source = source_where(failure)
    if source:
        parts.append(inline_code(source))
    loc = failure.location
    if loc.address:
        resource = f"resource {inline_code(loc.address)}"
        if loc.stack:
            resource += f" in stack {inline_code(loc.stack)}"
        parts.append(resource)
    return ", ".join(parts)


def error_label(kind: ErrorKind) -> str:
    return ERROR_LABELS[kind]


def place_count(failure: Failure) -> str:
    """'4 route tables' for a failure merged from several places; empty for one place."""
    places = failure.places
    if len(places) < 2:
        return ""
    types = [p.address.split(".", 1)[0] for p in places if p.address]
    if len(types) == len(places) and len(set(types)) == 1:
        return f"{len(places)} {resource_noun(types)}"
    if all(p.stack and not p.address for p in places) and len({p.stack for p in places}) == len(places):
        return f"{len(places)} stacks"  # a finding about each stack as a whole (no backend)
    return f"{len(places)} places"


def count_suffix(failure: Failure) -> str:
    """' (4 route tables)' after a merged failure's title in the summary lists; else empty."""
    count = place_count(failure)
    return f" ({count})" if count else ""


def place_where(loc: Location) -> str:
    """'`lib/x.py:12`, resource `aws_x.y` in stack `tap`' for one place of a merged failure."""
    parts = []
    if loc.path:
        parts.append(inline_code(f"{loc.path}:{loc.line}" if loc.line else loc.path))
    if loc.address:
        resource = f"resource {inline_code(loc.address)}"
        if loc.stack:
            resource += f" in stack {inline_code(loc.stack)}"
        parts.append(resource)
    return ", ".join(parts)


def impact_item(text: str) -> str:
    """'Label: text' becomes '**Label**: text'; anything else stays as written."""
    match = _IMPACT_LABEL.match(text.strip())
    if not match:
        return text.strip()
    return f"**{match['label'].strip()}**: {match['text'].strip()}"


def sentence(text: str) -> str:
    """Capitalised and ending in punctuation, for notes written as fragments."""
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def signed(points: float) -> str:
    """'+4', '-0.5', '+0': the rationale always shows the sign."""
    return ("-" if points < 0 else "+") + number(abs(points))


def number(value: float) -> str:
    """7.5 -> '7.5', 8.0 -> '8'."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def finding_where(finding: Finding) -> str:
    return str(finding.location)


# --- environment and tidying ----------------------------------------------------------------


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=False,  # Markdown, not HTML: escaping would corrupt code blocks
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        fenced=fenced,
        inline_code=inline_code,
        quote_where=quote_where,
        issue_where=issue_where,
        source_where=source_where,
        impact_item=impact_item,
        sentence=sentence,
        signed=signed,
        number=number,
        plural=plural,
        finding_where=finding_where,
        error_label=error_label,
        place_count=place_count,
        count_suffix=count_suffix,
        place_where=place_where,
        numbers_text=numbers_text,
    )
    env.tests["code"] = has_code
    return env


def tidy_markdown(text: str) -> str:
    """Collapse blank-line runs outside code blocks and end with one newline.

    The template is easier to read with generous spacing around its conditionals; this keeps
    that from leaking into the document. Code blocks are left exactly as quoted.
    """
    out: list[str] = []
    fence = ""
    for line in text.splitlines():
        if fence:
            out.append(line)
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = ""
            continue
        opening = _FENCE_LINE.match(line)
        if opening:
            fence = opening.group(1)
        line = line.rstrip()
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"
