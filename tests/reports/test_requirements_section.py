"""The analysis's "Requirements" section: totals and a row per prompt requirement, both answers."""

from __future__ import annotations

from iacgrade.harness.core.results import (
    RequirementCheck,
    RequirementStatus,
    SideResult,
    TaskResult,
    TaskStatus,
)
from iacgrade.reports import render_analysis


def _check(line: int, aspect: str, status: RequirementStatus, **extra: object) -> RequirementCheck:
    kinds = {
        "force_destroy": ("destroy", "destroyability", "REQ008"),
        "regions": ("region", "region", "REQ001"),
    }
    kind, label, rule_id = kinds.get(aspect, ("monitoring", "monitoring", "REQ004"))
    return RequirementCheck(
        rule_id=rule_id,
        kind=kind,
        aspect=aspect,
        label=label,
        line=line,
        text=f"line {line} | text",
        status=status,
        **extra,
    )


def _result(model: list[RequirementCheck], ideal: list[RequirementCheck]) -> TaskResult:
    return TaskResult(
        task_id="t",
        status=TaskStatus.GRADED,
        model=SideResult(side="model", requirements=model),
        ideal=SideResult(side="ideal", requirements=ideal),
    )


def test_totals_and_rows_for_both_answers() -> None:
    model = [
        _check(7, "regions", RequirementStatus.MET),
        _check(110, "force_destroy", RequirementStatus.UNMET, where=["lib/main.py:286", "lib/main.py:294"]),
        _check(120, "dashboard", RequirementStatus.UNCHECKED, detail="no Terraform JSON", also=[133]),
    ]
    ideal = [_check(110, "force_destroy", RequirementStatus.MET)]
    text = render_analysis(_result(model, ideal))
    assert "### Requirements" in text
    assert "checked on the synthesized stacks: 2 checked, 1 met; 1 recognised but not checked." in text
    assert "| Line | Requirement | Kind | MODEL_RESPONSE | IDEAL_RESPONSE | Where |" in text
    # A pipe in the prompt's text does not break the table.
    assert (
        "| 110 | line 110 \\| text | destroyability | **unmet** (REQ008) | met | "
        "`lib/main.py:286`, `lib/main.py:294` |"
    ) in text
    assert "| 120, 133 | line 120 \\| text | monitoring | unchecked: no Terraform JSON |  |  |" in text


def test_no_section_without_requirements() -> None:
    assert "### Requirements" not in render_analysis(_result([], []))
