"""What grading one task produces: failures, per-side outcomes, the score, the task result.

`TaskResult` is the contract between the pipeline and every renderer (`reports/`); it is also
exactly what `result.json` holds, so a run directory can be re-rendered without re-grading.
"""

from __future__ import annotations

import copy
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, model_validator

from iacgrade.harness.core.findings import (
    Category,
    ErrorKind,
    Finding,
    Location,
    RuleOutcome,
    Severity,
    default_error_kind,
)
from iacgrade.harness.core.synth import SynthResult

# 2: failures say where their error comes from (`error_kind`) and every place they were seen
# (`places`); results of version 1 still load, with both filled in from what they hold.
# 3: each side lists the prompt's requirements and whether it meets them (`requirements`);
# results of earlier versions load with none.
# 4: the run's rule selection (`selection`) and the findings the task's reviewer set aside
# (`reviewer_ignored`); results of earlier versions load with neither.
RESULT_SCHEMA_VERSION = 4
# Fields that are facts of the run, not of the answer: how long each stage and each synth took,
# which worker (or the cache) served it, and the sandbox that ran it (kind, image, slots).
# Grading the same inputs again gives the same result.json except for these.
RUN_FACTS = frozenset({"timings", "sandbox", "seconds", "worker"})
# Where they are: on the task result, and on each side's synth result.
_RUN_FACT_HOLDERS = (
    (),
    ("model", "synth"),
    ("ideal", "synth"),
    ("model", "synth", "tests"),
    ("ideal", "synth", "tests"),
)


class TaskStatus(StrEnum):
    GRADED = "graded"  # both sides (or the model alone, see `model_only`) were graded
    INVALID = "invalid"  # the task could not be read: no score, a reason
    INFRA_ERROR = "infra_error"  # the sandbox broke: no score, never the model's fault
    ERROR = "error"  # the harness itself failed on this task: no score, a reason


class CodeQuote(BaseModel):
    """A few lines of an answer, with where they came from."""

    path: str = ""
    line: int | None = None
    code: str = ""
    language: str = "python"


class Failure(BaseModel):
    """A model finding the ideal does not share, with both sides' code."""

    rule_id: str
    title: str
    severity: Severity
    category: Category
    message: str
    location: Location
    anchor: str = ""
    model_code: CodeQuote | None = None
    ideal_code: CodeQuote | None = None
    ideal_note: str = ""
    error: str = ""
    error_kind: ErrorKind = ErrorKind.EXPECTED_DEPLOY
    root_cause: str = ""
    impact: list[str] = Field(default_factory=list)
    docs: list[str] = Field(default_factory=list)
    fix_minutes: int = 5
    note: str = ""
    # The outside tool's name for the check, when `rule_id` names one (SEC:CKV_AWS_24).
    check_name: str = ""
    # Other findings folded into this failure (same cause seen by several rules).
    merged: list[str] = Field(default_factory=list)
    # Places the same mistake showed (one source line built into several stacks, or the same
    # problem at several constructs).
    occurrences: int = 1
    # Every place of a failure merged from identical ones, `location` first; empty for one place.
    places: list[Location] = Field(default_factory=list)

    _stored_before_error_kind = model_validator(mode="before")(default_error_kind)

    @property
    def location_text(self) -> str:
        return str(self.location)


class RequirementStatus(StrEnum):
    MET = "met"
    UNMET = "unmet"
    UNCHECKED = "unchecked"  # recognised, but not decidable from the synthesized JSON


class RequirementCheck(BaseModel):
    """One requirement the task's prompt states, and whether one answer meets it."""

    rule_id: str  # the REQ rule that reports it when unmet
    kind: str  # "region", "tags", ... (iacgrade/graders/requirements/checklist.py KINDS)
    aspect: str  # what of the kind is checked ("log_retention" of "monitoring")
    label: str  # what the report calls the kind
    line: int  # the PROMPT.md line that states it
    text: str
    also: list[int] = Field(default_factory=list)  # other lines that state the same
    status: RequirementStatus
    detail: str = ""  # what was found
    where: list[str] = Field(default_factory=list)  # where it should be met ("lib/x.py:12")
    reported_by: list[str] = Field(default_factory=list)  # the rules that report its culprits


class SideResult(BaseModel):
    """Everything graded on one answer (model or ideal)."""

    side: str
    has_code: bool = True
    files: dict[str, str] = Field(default_factory=dict)  # path -> how the path was decided
    entry: str = ""
    entry_source: str = ""  # "answer" | "scaffold"
    synth: SynthResult | None = None
    findings: list[Finding] = Field(default_factory=list)
    outcomes: list[RuleOutcome] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    # The prompt's requirements as this answer meets them (empty for results before version 3).
    requirements: list[RequirementCheck] = Field(default_factory=list)


class ScoreItem(BaseModel):
    label: str
    points: float
    detail: str = ""


class Score(BaseModel):
    value: float
    items: list[ScoreItem] = Field(default_factory=list)
    summary: str = ""
    rubric: str = ""


class IgnoredFinding(BaseModel):
    """A finding of the model's answer that the task's reviewer set aside (its metadata.json
    ignore list): shown in the analysis, never counted in the score or the failures."""

    finding: Finding
    pattern: str  # the ignore entry that matched
    reason: str = ""  # the reviewer's, when the entry gives one


class TaskResult(BaseModel):
    """The whole outcome of grading one task; what `result.json` holds."""

    schema_version: int = RESULT_SCHEMA_VERSION
    task_id: str
    status: TaskStatus
    reason: str = ""
    task_dir: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)
    prompt_excerpt: str = ""
    model_only: bool = False
    score: Score | None = None
    # The archive's training-quality score (iacgrade/harness/pipeline/training.py), beside the answer score.
    training: Score | None = None
    model: SideResult | None = None
    ideal: SideResult | None = None
    failures: list[Failure] = Field(default_factory=list)
    shared: list[Failure] = Field(default_factory=list)  # the ideal has them too
    ideal_only: list[Finding] = Field(default_factory=list)  # a suspect reference
    sandbox: dict[str, str] = Field(default_factory=dict)
    # The deploy environment it was judged in (iacgrade.harness.core.profile.Environment.to_dict()).
    environment: dict[str, Any] = Field(default_factory=dict)
    timings: dict[str, float] = Field(default_factory=dict)
    versions: dict[str, str] = Field(default_factory=dict)
    # The run's --select/--ignore ({}: every rule ran); scores compare only under the same one.
    selection: dict[str, list[str]] = Field(default_factory=dict)
    reviewer_ignored: list[IgnoredFinding] = Field(default_factory=list)

    def severity_counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Severity}
        for f in self.failures:
            counts[f.severity.value] += 1
        return counts


def without_run_facts(data: dict[str, Any]) -> dict[str, Any]:
    """A `result.json` (as parsed JSON) without its run facts (`RUN_FACTS`): what must be the same
    every time the same task is graded."""
    kept = copy.deepcopy(data)
    for path in _RUN_FACT_HOLDERS:
        holder: Any = kept
        for key in path:
            holder = holder.get(key) if isinstance(holder, dict) else None
        if isinstance(holder, dict):
            for name in RUN_FACTS:
                holder.pop(name, None)
    return kept
