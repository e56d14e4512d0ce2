"""Keeping what the model got wrong and the reference got right, with both sides' code."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from iacgrade.graders.registry import declaring_rule
from iacgrade.harness.core.findings import Finding, is_environment
from iacgrade.harness.core.results import CodeQuote, Failure
from iacgrade.harness.core.source import Span, quote
from iacgrade.harness.core.workspace import Workspace


@dataclass(frozen=True)
class Side:
    """One answer's findings with what is needed to quote its code."""

    workspace: Workspace | None
    findings: list[Finding]
    usable: bool  # False when the reference gave no code: nothing to compare against
    # Rules that could not run on this side (no Terraform JSON, no source): their silence
    # says nothing about whether this answer has the failure.
    unchecked: frozenset[str] = frozenset()
    # Finds the code an anchor names (its platform's Platform.locator); None: nothing to quote.
    locate: Callable[[str], Span | None] | None = None


@dataclass(frozen=True)
class Comparison:
    failures: list[Failure]
    shared: list[Failure]
    ideal_only: list[Finding]


def key(f: Finding) -> tuple[str, str]:
    """Two findings are the same when one rule fires at the same anchor (else the same title)."""
    if f.anchor == "synth":
        # Every synth failure has this anchor; two answers share one only when the error is the same.
        return f.rule_id, f"synth:{_first_line(f.error or f.message)}"
    return f.rule_id, f.anchor or f.title


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


# A resource address names one construct (`aws_rds_cluster.database_cluster_FAF2FB92`); its
# type is what two answers can share when they name the construct differently.
_ADDRESS = re.compile(r"\b(aws_[a-z0-9_]+)\.[A-Za-z0-9_-]+")


def kind(f: Finding) -> tuple[str, str]:
    """The same problem on the same kind of resource, whatever each answer calls its construct.

    The reference that writes `master_password="..."` on its `cluster` shares the model's literal
    secret on `primary_cluster`: the model did not get wrong what the reference got right.
    """
    if f.anchor == "synth":
        return key(f)
    return f.rule_id, _ADDRESS.sub(r"\1.*", f.message)


def compare(model: Side, ideal: Side) -> Comparison:
    """Split model findings into failures (the reference is clean there) and shared ones."""
    ideal_keys = {key(f) for f in ideal.findings} if ideal.usable else set()
    ideal_kinds = {kind(f) for f in ideal.findings} if ideal.usable else set()
    model_keys = {key(f) for f in model.findings}
    model_kinds = {kind(f) for f in model.findings}
    failures: list[Failure] = []
    shared: list[Failure] = []
    for f in sorted(model.findings, key=lambda f: (f.severity.rank, f.rule_id, str(f.location))):
        failure = _failure(f, model, ideal)
        if key(f) in ideal_keys or kind(f) in ideal_kinds:
            shared.append(failure)
        elif ideal.usable and declaring_rule(f.rule_id) in ideal.unchecked and failure.ideal_code is not None:
            # The rule could not look at the reference: judge by the code both answers wrote.
            same = _same_code(failure.model_code, failure.ideal_code)
            note = UNCHECKED_SAME if same else UNCHECKED_DIFFERENT
            failure = failure.model_copy(update={"ideal_note": note.format(rule=f.rule_id)})
            (shared if same else failures).append(failure)
        else:
            failures.append(failure)
    # What the sandbox did not give the reference says nothing about the reference: not suspect.
    ideal_only = [
        f
        for f in ideal.findings
        if ideal.usable
        and key(f) not in model_keys
        and kind(f) not in model_kinds
        and not is_environment(f.rule_id)
    ]
    return Comparison(failures=failures, shared=shared, ideal_only=ideal_only)


UNCHECKED_SAME = (
    "The IDEAL_RESPONSE did not synthesize, so {rule} could not check it; its code for this "
    "construct repeats every line quoted above, so it is taken to share the failure."
)
UNCHECKED_DIFFERENT = (
    "The IDEAL_RESPONSE did not synthesize, so {rule} could not check it; its code for this "
    "construct differs from the lines quoted above."
)


def _same_code(model: CodeQuote | None, ideal: CodeQuote | None) -> bool:
    """True when every meaningful line the model's evidence quotes appears in the reference's code."""
    if model is None or ideal is None:
        return False
    wanted = _lines(model.code)
    return bool(wanted) and wanted <= _lines(ideal.code)


def _lines(code: str) -> set[str]:
    # Lines of brackets alone match anywhere, so they prove nothing; quote markers are layout.
    out = set()
    for raw in code.splitlines():
        line = " ".join(raw.split()).rstrip(",")
        if line.strip("()[]{}:, ") and not line.startswith(("# ", "...")):
            out.add(line)
    return out


def _failure(f: Finding, model: Side, ideal: Side) -> Failure:
    ideal_code, ideal_note = _ideal_fix(f, ideal)
    return Failure(
        rule_id=f.rule_id,
        title=f.title,
        severity=f.severity,
        category=f.category,
        message=f.message,
        location=f.location,
        anchor=f.anchor,
        model_code=_model_code(f, model),
        ideal_code=ideal_code,
        ideal_note=ideal_note,
        error=f.error,
        error_kind=f.error_kind,
        root_cause=f.root_cause,
        impact=list(f.impact),
        docs=list(f.docs),
        fix_minutes=f.fix_minutes,
        note=f.note,
        check_name=f.check_name,
    )


# Fence languages of quoted files that are not Python (the default): Terraform and templates.
_QUOTE_LANGUAGES = {".tf": "hcl", ".tfvars": "hcl", ".yaml": "yaml", ".yml": "yaml"}


def _quote(path: str, line: int | None, code: str) -> CodeQuote:
    language = next((lang for ext, lang in _QUOTE_LANGUAGES.items() if path.endswith(ext)), None)
    quoted = CodeQuote(path=path, line=line, code=code)
    return quoted.model_copy(update={"language": language}) if language else quoted


def _model_code(f: Finding, model: Side) -> CodeQuote | None:
    if f.evidence:
        return _quote(f.location.path or "", f.location.line, f.evidence)
    if model.workspace and f.location.path and f.location.line:
        end = f.location.end_line or f.location.line
        code = quote(model.workspace.files, Span(f.location.path, f.location.line, end))
        return _quote(f.location.path, f.location.line, code) if code.strip() else None
    return None


def _ideal_fix(f: Finding, ideal: Side) -> tuple[CodeQuote | None, str]:
    """The reference's code for the same construct, or a sentence saying why there is none."""
    if not ideal.usable or ideal.workspace is None:
        return None, "The reference answer gives no code to compare with."
    for anchor in (f.fix_anchor, f.anchor):
        if not anchor or ideal.locate is None:
            continue
        span = ideal.locate(anchor)
        if span is not None:
            code = quote(ideal.workspace.files, span)
            return _quote(span.path, span.start, code), ""
    what = (f.fix_anchor or f.anchor).partition(":")[2] or "this construct"
    return None, f"The IDEAL_RESPONSE has no counterpart of `{what}`: it does not have this failure."
