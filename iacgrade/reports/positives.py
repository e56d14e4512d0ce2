"""'What the model got right': facts the rules that PASSED on the MODEL_RESPONSE establish.

Each statement comes from `data/passed_checks.toml` and is made only when every rule it rests on
passed on the model's answer; statements about resources are made only when the model's Terraform
JSON has resources of the kind the rules examine, and say how many. No statement goes beyond a
check: a section of praise no rule supports would be worse than none.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from iacgrade.harness.core.findings import Outcome
from iacgrade.harness.core.results import SideResult
from iacgrade.reports.nouns import resource_noun

CHECKS_FILE = Path(__file__).parent / "data" / "passed_checks.toml"


@dataclass(frozen=True)
class PassedCheck:
    says: str
    rules: tuple[str, ...]
    types: tuple[str, ...] = ()
    attributes: tuple[str, ...] = ()
    own_entry: bool = False


@dataclass(frozen=True)
class Positive:
    """One fact about the model's answer and what it rests on."""

    says: str
    rules: tuple[str, ...]
    # (resource type, how many) of what the rules passed on, in the order the checks file names them.
    counts: tuple[tuple[str, int], ...] = ()

    @property
    def count(self) -> int:
        return sum(n for _, n in self.counts)

    @property
    def evidence(self) -> str:
        """'AWS001 passed on 2 RDS clusters', 'AWS006 passed on 4 route tables and 4 routes' or
        'PY007 passed'."""
        rules = ", ".join(self.rules)
        if not self.counts:
            return f"{rules} passed"
        parts = [f"{n} {resource_noun([rtype], n)}" for rtype, n in self.counts]
        listed = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
        return f"{rules} passed on {listed}"


@cache
def passed_checks(path: Path = CHECKS_FILE) -> tuple[PassedCheck, ...]:
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    return tuple(
        PassedCheck(
            says=str(entry["says"]),
            rules=tuple(entry["rules"]),
            types=tuple(entry.get("types", ())),
            attributes=tuple(entry.get("attributes", ())),
            own_entry=bool(entry.get("own_entry", False)),
        )
        for entry in table.get("passed", [])
    )


def model_positives(side: SideResult | None, checks: Iterable[PassedCheck] | None = None) -> list[Positive]:
    """The facts the model's passed rules establish, in the order of the checks file."""
    if side is None or not side.has_code:
        return []
    passed = {o.rule_id for o in side.outcomes if o.outcome is Outcome.PASS}
    stacks = side.synth.stacks if side.synth is not None else {}
    out: list[Positive] = []
    for check in passed_checks() if checks is None else checks:
        if not set(check.rules) <= passed or (check.own_entry and side.entry_source != "answer"):
            continue
        if not check.types:
            out.append(Positive(says=check.says, rules=check.rules))
            continue
        found = _resource_types(stacks, check.types, check.attributes)
        counts = tuple((t, found.count(t)) for t in check.types if t in found)
        if counts:
            out.append(Positive(says=check.says, rules=check.rules, counts=counts))
    return out


def has_terraform(side: SideResult | None) -> bool:
    return bool(side is not None and side.synth is not None and side.synth.stacks)


def _resource_types(
    stacks: dict[str, dict[str, Any]], types: tuple[str, ...], attributes: tuple[str, ...]
) -> list[str]:
    """The type of every resource of `types` in the stacks (one entry per resource)."""
    out: list[str] = []
    for stack in stacks.values():
        resources = stack.get("resource") if isinstance(stack, dict) else None
        if not isinstance(resources, dict):
            continue
        for rtype in types:
            by_name = resources.get(rtype)
            if not isinstance(by_name, dict):
                continue
            for body in by_name.values():
                if not attributes or (isinstance(body, dict) and any(a in body for a in attributes)):
                    out.append(rtype)
    return out
