"""The data every grader speaks: severities, categories, findings and rule outcomes.

Findings are frozen pydantic models so they serialise to JSON as they are and can be cached,
compared and shipped between processes without a second schema.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Severity(StrEnum):
    """How bad a failure is; `rank` orders them (lower is worse)."""

    CRITICAL = "Critical"
    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @property
    def meaning(self) -> str:
        return _SEVERITY_MEANING[self]


_SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.MEDIUM: 2, Severity.LOW: 3}
_SEVERITY_MEANING = {
    Severity.CRITICAL: "Deployment Blockers",
    Severity.HIGH: "Production Readiness",
    Severity.MEDIUM: "Maintainability and Robustness",
    Severity.LOW: "Code Quality",
}


class Category(StrEnum):
    """The knowledge gap a failure shows (the seed's 'Primary knowledge gaps')."""

    API_CONSISTENCY = "API Consistency"
    CDKTF_SYNTAX = "CDKTF Syntax"
    AWS_SERVICE_LIMITS = "AWS Service Limitations"
    PARAMETER_VALIDATION = "Parameter Validation"
    PRODUCTION_READINESS = "Production Readiness"
    PYTHON_PRACTICE = "Python Best Practices"
    RESOURCE_CONFIGURATION = "Resource Configuration"
    TEST_ROBUSTNESS = "Test Robustness"


class Outcome(StrEnum):
    """What running one rule on one answer came to."""

    PASS = "PASS"
    FAIL = "FAIL"
    SKIP = "SKIP"
    ERROR = "ERROR"


class ErrorKind(StrEnum):
    """Where a finding's error text comes from: seen in a synth run, or only predicted."""

    OBSERVED = "observed"  # printed by the synth run of the answer (or of one of its repair rounds)
    EXPECTED_SYNTH = "expected_synth"  # predicted from the source: the app would raise while synthesizing
    EXPECTED_DEPLOY = "expected_deploy"  # predicted: Terraform or AWS would refuse at plan or apply

    @property
    def observed(self) -> bool:
        return self is ErrorKind.OBSERVED


# The family whose findings tell what the sandbox did not give an answer (AWS, network, a build
# step), not what the answer got wrong: such a finding on the reference does not make it suspect.
ENVIRONMENT_FAMILY = "ENV"


def is_environment(rule_id: str) -> bool:
    """Whether `rule_id` reports the grading environment's gap rather than the answer's mistake."""
    return rule_id.startswith(ENVIRONMENT_FAMILY)


# A finding of an outside tool's check carries the family and the tool's own check id
# ("SEC:CKV_AWS_18"); the registry knows which rule ran the tool (SEC001 for checkov).
CHECK_SEPARATOR = ":"


def check_id_of(rule_id: str) -> str:
    """The outside tool's check id a finding's rule id names ("CKV_AWS_18"), or ""."""
    return rule_id.partition(CHECK_SEPARATOR)[2]


# Rules whose error text is what a synth run printed (the synth error, a later blocker, the
# standard entry run on the answer's stack class).
OBSERVING_RULES = frozenset({"SYN001", "SYN004", "SYN005", "ENV001"})


def default_error_kind(data: Any) -> Any:
    """Fill `error_kind` in data stored before it existed: observed when a synth rule gave (or
    was folded into) the finding, predicted at synth for a source rule, else predicted at deploy."""
    if not isinstance(data, dict) or "error_kind" in data or not data.get("error"):
        return data
    rules = {str(data.get("rule_id", "")), *(data.get("merged") or ())}
    if rules & OBSERVING_RULES:
        kind = ErrorKind.OBSERVED
    elif str(data.get("rule_id", "")).startswith("PY"):
        kind = ErrorKind.EXPECTED_SYNTH
    else:
        kind = ErrorKind.EXPECTED_DEPLOY
    return {**data, "error_kind": kind}


class Location(BaseModel):
    """Where a finding points: a source line, a Terraform address, or both."""

    model_config = ConfigDict(frozen=True)

    path: str | None = None
    line: int | None = None
    end_line: int | None = None
    address: str | None = None
    stack: str | None = None

    def __str__(self) -> str:
        if self.path and self.line:
            return f"{self.path}:{self.line}"
        if self.path:
            return self.path
        return self.address or ""


class Finding(BaseModel):
    """One thing a rule saw in one answer."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    title: str
    severity: Severity
    category: Category
    message: str
    location: Location = Field(default_factory=Location)
    # What the model and the ideal are compared on: a construct id, resource address or symbol.
    anchor: str = ""
    # Where the reference's fix is looked up, when not at `anchor` ("def:TapStack.__init__").
    fix_anchor: str = ""
    evidence: str = ""
    error: str = ""
    # Whether `error` was seen in a synth run or is what a rule predicts; deploy is never run.
    error_kind: ErrorKind = ErrorKind.EXPECTED_DEPLOY
    root_cause: str = ""
    impact: tuple[str, ...] = ()
    docs: tuple[str, ...] = ()
    fix_minutes: int = 5
    # Set when the finding rests on Terraform JSON from a fallback synth strategy.
    note: str = ""
    # The outside tool's name for the check a check id names (checkov's "Ensure ... port 22").
    check_name: str = ""

    _stored_before_error_kind = model_validator(mode="before")(default_error_kind)


class RuleOutcome(BaseModel):
    """The result of one rule on one answer, kept even when it found nothing."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    outcome: Outcome
    detail: str = ""
