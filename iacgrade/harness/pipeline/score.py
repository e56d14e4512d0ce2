"""Scoring a task from its failures with a rubric kept as data (`iacgrade/harness/data/rubric.toml`)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from iacgrade.harness.core.findings import Severity
from iacgrade.harness.core.results import Failure, Score, ScoreItem


def read_toml(path: Path | None, *shipped: str) -> dict[str, Any]:
    """The TOML file at `path`, or the one shipped in the package at `harness/<shipped...>`."""
    if path is None:
        text = resources.files("iacgrade.harness").joinpath(*shipped).read_text(encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    return tomllib.loads(text)


@dataclass(frozen=True)
class SeverityRule:
    points: float
    cap: float
    label: str


@dataclass(frozen=True)
class Rubric:
    name: str
    version: int
    base: float
    floor: float
    step: float
    severities: dict[Severity, SeverityRule]
    # Rules whose failure leaves nothing to grade (an answer with no code): the score is the floor.
    nothing_to_grade: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path | None = None) -> Rubric:
        """The rubric at `path`, or the default one shipped with the package."""
        return cls.from_dict(read_toml(path, "data", "rubric.toml"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rubric:
        sev = data.get("severity", {})
        return cls(
            name=str(data.get("name", "custom")),
            version=int(data.get("version", 1)),
            base=float(data.get("base", 10.0)),
            floor=float(data.get("floor", 0.0)),
            step=float(data.get("step", 0.5)),
            severities={
                s: SeverityRule(
                    points=float(sev.get(s.value, {}).get("points", 0.0)),
                    cap=float(sev.get(s.value, {}).get("cap", 0.0)),
                    label=str(sev.get(s.value, {}).get("label", s.meaning)),
                )
                for s in Severity
            },
            nothing_to_grade=tuple(map(str, data.get("nothing_to_grade", {}).get("rules", ()))),
        )


def score_failures(failures: list[Failure], rubric: Rubric, shared: int = 0) -> Score:
    """The task's score with an itemised rationale, one item per severity that cost points."""
    items = [ScoreItem(label="Starting score", points=rubric.base, detail="before any failure is taken off")]
    total = rubric.base
    for severity in Severity:
        mine = [f for f in failures if f.severity is severity]
        if not mine:
            continue
        rule = rubric.severities[severity]
        lost = min(rule.points * len(mine), rule.cap)
        total -= lost
        titles = "; ".join(_unique(f.title for f in mine))
        capped = " (capped)" if rule.points * len(mine) > rule.cap else ""
        items.append(
            ScoreItem(
                label=f"{rule.label} ({len(mine)} {severity.value})",
                points=-round(lost, 2),
                detail=f"{titles}{capped}",
            )
        )
    if shared:
        items.append(
            ScoreItem(
                label="Shared with the reference",
                points=0.0,
                detail=f"{_count(shared, 'finding')} the reference has too, so no points off",
            )
        )
    empty = [f for f in failures if f.rule_id in rubric.nothing_to_grade]
    if empty:
        items.append(
            ScoreItem(
                label="Nothing to grade",
                points=-round(max(total - rubric.floor, 0.0), 2),
                detail=f"{empty[0].title}: the answer scores the floor",
            )
        )
        total = rubric.floor
    value = _round(max(rubric.floor, min(rubric.base, total)), rubric.step)
    return Score(
        value=value, items=items, summary=_summary(value, failures), rubric=f"{rubric.name}@{rubric.version}"
    )


def _unique(titles: Any) -> list[str]:
    seen: list[str] = []
    for t in titles:
        if t not in seen:
            seen.append(t)
    return seen


def _round(value: float, step: float) -> float:
    return round(round(value / step) * step, 2) if step > 0 else round(value, 2)


def _summary(value: float, failures: list[Failure]) -> str:
    critical = sum(1 for f in failures if f.severity is Severity.CRITICAL)
    if not failures:
        return f"The score ({value:g}) reflects an answer with no failure that the reference does not share."
    blockers = _count(critical, "deployment blocker") if critical else "no deployment blocker"
    return (
        f"The score ({value:g}) reflects {_count(len(failures), 'failure')} the reference does not have, "
        f"with {blockers}."
    )


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
