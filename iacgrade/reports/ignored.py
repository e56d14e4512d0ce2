"""What a task's analysis says of findings left out: rules the run deselected (--select/--ignore)
and findings the task's reviewer set aside (metadata.json `"iacgrade": {"ignore": [...]}`)."""

from __future__ import annotations

from dataclasses import dataclass

from iacgrade.harness.core.findings import Outcome
from iacgrade.harness.core.results import TaskResult


@dataclass(frozen=True)
class IgnoredRow:
    rule: str
    where: str
    why: str


def selection_note(result: TaskResult) -> str:
    """One sentence naming the run's selection and what it left out ("" when every rule ran)."""
    if not result.selection:
        return ""
    parts = [
        f"{key} {', '.join(f'`{p}`' for p in values)}" for key, values in result.selection.items() if values
    ]
    skipped = sum(
        1
        for o in (result.model.outcomes if result.model else [])
        if o.outcome is Outcome.SKIP and o.detail.startswith("deselected")
    )
    rules = "rule was" if skipped == 1 else "rules were"
    return (
        f"Rules were deselected for this run ({'; '.join(parts)}): {skipped} {rules} not run. "
        "This score compares only with runs of the same selection."
    )


def reviewer_rows(result: TaskResult) -> list[IgnoredRow]:
    """The findings the reviewer's ignore list set aside: rule, where, and why."""
    rows: list[IgnoredRow] = []
    for item in result.reviewer_ignored:
        f = item.finding
        entry = f"metadata.json ignore entry `{item.pattern}`"
        why = f"{item.reason} ({entry})" if item.reason else entry
        rows.append(IgnoredRow(rule=f.rule_id, where=str(f.location) or "-", why=why))
    return rows
