"""Keeping what the model got wrong and the reference got right, with both sides' code."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from graders.locate import Span, find_anchor, quote
from graders.model import Finding
from harness.results import CodeQuote, Failure
from harness.workspace import Workspace


@dataclass(frozen=True)
class Side:
    """One answer's findings with what is needed to quote its code."""

    workspace: Workspace | None
    trees: dict[str, ast.Module]
    findings: list[Finding]
    usable: bool  # False when the reference gave no code: nothing to compare against


@dataclass(frozen=True)
class Comparison:
    failures: list[Failure]
    shared: list[Failure]
    ideal_only: list[Finding]


def key(f: Finding) -> tuple[str, str]:
    """Two findings are the same when one rule fires at the same anchor (else the same title)."""
    return f.rule_id, f.anchor or f.title


def compare(model: Side, ideal: Side) -> Comparison:
    """Split model findings into failures (the reference is clean there) and shared ones."""
    ideal_keys = {key(f) for f in ideal.findings} if ideal.usable else set()
    model_keys = {key(f) for f in model.findings}
    failures: list[Failure] = []
    shared: list[Failure] = []
    for f in sorted(model.findings, key=lambda f: (f.severity.rank, f.rule_id, str(f.location))):
        failure = _failure(f, model, ideal)
        (shared if key(f) in ideal_keys else failures).append(failure)
    ideal_only = [f for f in ideal.findings if ideal.usable and key(f) not in model_keys]
    return Comparison(failures=failures, shared=shared, ideal_only=ideal_only)


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
        root_cause=f.root_cause,
        impact=list(f.impact),
        docs=list(f.docs),
        fix_minutes=f.fix_minutes,
        note=f.note,
    )


def _model_code(f: Finding, model: Side) -> CodeQuote | None:
    if f.evidence:
        return CodeQuote(path=f.location.path or "", line=f.location.line, code=f.evidence)
    if model.workspace and f.location.path and f.location.line:
        end = f.location.end_line or f.location.line
        code = quote(model.workspace.files, Span(f.location.path, f.location.line, end))
        return CodeQuote(path=f.location.path, line=f.location.line, code=code) if code.strip() else None
    return None


def _ideal_fix(f: Finding, ideal: Side) -> tuple[CodeQuote | None, str]:
    """The reference's code for the same construct, or a sentence saying why there is none."""
    if not ideal.usable or ideal.workspace is None:
        return None, "The reference answer gives no code to compare with."
    for anchor in (f.fix_anchor, f.anchor):
        if not anchor:
            continue
        span = find_anchor(ideal.trees, anchor)
        if span is not None:
            code = quote(ideal.workspace.files, span)
            return CodeQuote(path=span.path, line=span.start, code=code), ""
    what = (f.fix_anchor or f.anchor).partition(":")[2] or "this construct"
    return None, f"The IDEAL_RESPONSE has no counterpart of `{what}`: it does not have this failure."
