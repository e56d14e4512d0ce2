"""The prompt's requirements as one answer meets them, for the report's "Requirements" section.

The pipeline calls `requirement_checks` on each side's context and keeps the result on the side
(`SideResult.requirements`): graders never import the pipeline.
"""

from __future__ import annotations

import logging

from iacgrade.graders.context import GradeContext
from iacgrade.graders.requirements.checklist import ASPECT_LABELS, KIND_LABELS
from iacgrade.graders.requirements.evaluate import Judged, judge
from iacgrade.graders.requirements.rules import culprit_place
from iacgrade.harness.core.results import RequirementCheck, RequirementStatus

log = logging.getLogger(__name__)


def requirement_checks(ctx: GradeContext) -> list[RequirementCheck]:
    """Every requirement the prompt states (repeats folded into their first line), in line order.
    A check that breaks leaves the section out rather than the task ungraded (the REQ rules
    record the same error as their outcome)."""
    if not ctx.prompt.strip():
        return []
    try:
        judged = sorted(judge(ctx), key=lambda j: (j.requirement.line_no, j.requirement.kind))
        return [_check(ctx, j) for j in judged]
    except Exception:
        log.exception("requirements of %s (%s) could not be judged", ctx.workspace.task_id, ctx.side)
        return []


def _check(ctx: GradeContext, judged: Judged) -> RequirementCheck:
    req, verdict = judged.requirement, judged.verdict
    places = list(dict.fromkeys(p for c in verdict.culprits if (p := culprit_place(ctx, c))))
    return RequirementCheck(
        rule_id=req.rule_id,
        kind=req.kind,
        aspect=req.aspect,
        label=ASPECT_LABELS.get(req.aspect, KIND_LABELS[req.kind]),
        line=req.line_no,
        text=req.quote,
        also=list(judged.also),
        status=RequirementStatus(verdict.status),
        detail=verdict.detail,
        where=places,
        # The rules that report its culprits: REQ itself, or another that reports them already.
        reported_by=sorted({c.reported_by or req.rule_id for c in verdict.culprits}),
    )
