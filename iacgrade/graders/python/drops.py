"""PY005's verdict: what losing a dict's keys does to what is deployed, and so how bad it is.

A dict given inside a list of structs loses every key the provider does not read (see
`iacgrade/graders/python/shapes.py`). What that costs depends on the keys:
- a required field lost: the kernel refuses the value and synth stops (Critical);
- a field the provider's schema needs at plan lost (`iacgrade/graders/aws/data/struct_blocks.json`,
  `apply_required`): the block synthesizes, and plan or apply fails (Critical);
- nothing lost: each dropped value is `None`, restates the field's documented default
  (`defaults` in the same file), or also arrives under its camelCase name (Low);
- anything else: the resource deploys without what the answer wrote (High).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from iacgrade.graders.constraints import load
from iacgrade.graders.python.shapes import DictIssue
from iacgrade.harness.core.findings import Severity

DATA = "struct_blocks.json"
TRAINING = (
    "Training Quality Impact: High - demonstrates need to use CDKTF classes instead of raw dictionaries"
)


@dataclass(frozen=True)
class Verdict:
    severity: Severity
    outcome: str  # completes "..., and <outcome>." in the finding's message
    impact: tuple[str, ...]


def judge(owner: str, where: str, issues: list[DictIssue]) -> Verdict:
    """The worst outcome over the dicts one parameter was given."""
    verdicts = [_judge_one(owner, where, issue) for issue in issues]
    return min(verdicts, key=lambda v: v.severity.rank)


def _judge_one(owner: str, where: str, issue: DictIssue) -> Verdict:
    struct = issue.struct
    if issue.missing_required:
        required = ", ".join(f"`{r}`" for r in issue.missing_required)
        verb = "is" if len(issue.missing_required) == 1 else "are"
        return Verdict(
            Severity.CRITICAL,
            f"synth stops because the required {required} {verb} then missing "
            '("Unable to deserialize value")',
            (
                f"Deployment Blocker: synth stops: the kernel cannot build `{struct}` without {required}",
                TRAINING,
            ),
        )
    dropped = [k for k, _ in issue.dropped_snake] + issue.dropped_unknown
    failing = _apply_failure(issue)
    if failing:
        return Verdict(
            Severity.CRITICAL,
            f"terraform plan then fails: {failing}",
            (
                f"Deployment Blocker: `{owner}` synthesizes, then terraform plan fails: {failing}",
                "Silent at synth: no error until Terraform reads the block",
                TRAINING,
            ),
        )
    listed = ", ".join(f"`{k}`" for k in dropped)
    reach, them = ("reaches", "it") if len(dropped) == 1 else ("reach", "them")
    if all(_nothing_lost(issue, key) for key in dropped):
        return Verdict(
            Severity.LOW,
            "nothing deployed changes: each dropped value is `None`, the provider's default, or also "
            "given under its camelCase name",
            (
                f"Code Quality: {listed} of `{struct}` never {reach} Terraform, and the block deploys "
                f"the same without {them}",
                "Training Quality Impact: Low - the same dict would lose real values",
            ),
        )
    return Verdict(
        Severity.HIGH,
        f"`{owner}` deploys without them, with no error at synth or apply",
        (
            f"Silent Misconfiguration: `{owner}` deploys without {listed} of its `{where}` block; "
            "no error at synth or apply",
            TRAINING,
        ),
    )


def sources(issues: list[DictIssue]) -> tuple[str, ...]:
    """The Registry pages the data file read for these structs: the docs a reviewer checks."""
    data = load(DATA)
    found = [
        str(entry["source"])
        for issue in issues
        for table in ("apply_required", "defaults")
        if (entry := data[table].get(issue.struct)) is not None
    ]
    return tuple(dict.fromkeys(found))


def _apply_failure(issue: DictIssue) -> str:
    """The plan error when the keys left in the block miss what the provider's schema needs."""
    entry = load(DATA)["apply_required"].get(issue.struct)
    if entry is None:
        return ""
    arrived = {k for k, _ in issue.dropped_snake if _arrives(issue, k)} | _python_names(issue)
    if "one_of" in entry and not arrived & set(entry["one_of"]):
        return str(entry["error"])
    if "fields" in entry and not set(entry["fields"]) <= arrived:
        return str(entry["error"])
    return ""


def _python_names(issue: DictIssue) -> set[str]:
    """The kept camelCase keys as Python spells them, to compare with the data file's names."""
    return {_snake(k) for k in issue.kept}


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _arrives(issue: DictIssue, key: str) -> bool:
    camel = dict(issue.dropped_snake).get(key)
    return camel is not None and camel in issue.kept


def _nothing_lost(issue: DictIssue, key: str) -> bool:
    if _arrives(issue, key):
        return True  # the same field is also given under its camelCase name
    value = issue.values.get(key)
    if isinstance(value, ast.Constant) and value.value is None:
        return True
    defaults = load(DATA)["defaults"].get(issue.struct, {}).get("fields", {})
    if key not in defaults or value is None:
        return False
    try:
        return ast.literal_eval(value) == defaults[key]
    except (ValueError, TypeError, SyntaxError):
        return False  # a variable or an expression: its value is unknown here
