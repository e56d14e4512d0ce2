"""Which rules a run reports (`--select`/`--ignore`), and what a task's reviewer set aside.

A pattern is a rule id or a prefix of one, compared without regard to case, as ruff reads its
selectors: `AWS009` names one rule, `AWS` the family, `SEC:` every checkov check and
`SEC:CKV_AWS_18` one of them (findings of rules that run an outside tool's checks carry the
check's id, `iacgrade/graders/registry.py` `Hit.check`). `ignore` wins over `select`.

Two lists, two purposes:

- `RuleSelection` is the run's: deselected rules are not run at all and their outcome is SKIP with
  the pattern that deselected them, so a score is knowingly comparable only with runs of the same
  selection (`TaskResult.selection` records it).
- `ReviewerIgnore` entries come from the task's `metadata.json` (`"iacgrade": {"ignore": [...]}`):
  the rules still run, and what they find on those patterns is shown apart in the analysis, never
  counted in the score or the failures. Nothing an answer writes (`# nosec`, `# iacgrade: ignore`,
  `checkov:skip=`) can set a finding aside: a model would learn to write it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from iacgrade.harness.core.errors import HarnessError, TaskLoadError
from iacgrade.harness.core.findings import CHECK_SEPARATOR

# The object of metadata.json that holds what iacgrade alone reads, and the keys it may hold.
METADATA_KEY = "iacgrade"
METADATA_KEYS = frozenset({"ignore"})


class SelectionError(HarnessError):
    """A --select/--ignore pattern that names no rule."""


def patterns(values: Iterable[str]) -> tuple[str, ...]:
    """Patterns from repeated options or comma lists (`--ignore SEC,AWS009`): upper case, in the
    order given, each once."""
    seen: dict[str, None] = {}
    for value in values:
        for part in str(value).split(","):
            part = part.strip().upper()
            if part:
                seen[part] = None
    return tuple(seen)


def matches(pattern: str, rule_id: str) -> bool:
    return rule_id.upper().startswith(pattern.upper())


@dataclass(frozen=True)
class RuleSelection:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # However it was built (the command line, a file, the Python API), patterns are compared
        # in one form.
        object.__setattr__(self, "select", patterns(self.select))
        object.__setattr__(self, "ignore", patterns(self.ignore))

    @classmethod
    def of(cls, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> RuleSelection:
        return cls(select=tuple(select), ignore=tuple(ignore))

    @property
    def active(self) -> bool:
        return bool(self.select or self.ignore)

    def skip_reason(self, rule_id: str, runs_checks: bool = False) -> str:
        """Why the rule is not run ("" when it is). A rule that runs outside checks runs when a
        select pattern names one of its checks (`SEC:CKV_AWS_18` needs SEC001)."""
        ignored = next((p for p in self.ignore if matches(p, rule_id)), None)
        if ignored is not None:
            return f"deselected by ignore {ignored!r}"
        if not self.select or any(matches(p, rule_id) for p in self.select):
            return ""
        family = rule_id.rstrip("0123456789") + CHECK_SEPARATOR
        if runs_checks and any(p.startswith(family) for p in self.select):
            return ""
        return f"deselected: not matched by select {', '.join(self.select)}"

    def keeps_check(self, finding_id: str, rule_id: str) -> bool:
        """Whether a finding of an outside check (`SEC:CKV_AWS_18`, from `rule_id`) is reported."""
        if any(matches(p, finding_id) for p in self.ignore):
            return False
        return not self.select or any(matches(p, finding_id) or matches(p, rule_id) for p in self.select)

    def unknown(self, rule_ids: Iterable[str], check_families: Iterable[str]) -> list[str]:
        """The patterns that match no rule id and no check of a family that runs checks."""
        ids = list(rule_ids)
        families = [f + CHECK_SEPARATOR for f in check_families]
        known = (*ids, *families)
        return [
            p
            for p in (*self.select, *self.ignore)
            if not any(matches(p, i) for i in known) and not any(p.startswith(f) for f in families)
        ]

    def to_dict(self) -> dict[str, list[str]]:
        """What a result records ({} when every rule ran)."""
        if not self.active:
            return {}
        return {"select": list(self.select), "ignore": list(self.ignore)}


@dataclass(frozen=True)
class ReviewerIgnore:
    """One entry of a task's ignore list: a pattern, and the reviewer's reason when given."""

    pattern: str
    reason: str = ""

    def matches(self, rule_id: str) -> bool:
        return matches(self.pattern, rule_id)


def reviewer_ignores(metadata: Mapping[str, Any]) -> tuple[ReviewerIgnore, ...]:
    """The ignore list of a task's metadata.json: `"iacgrade": {"ignore": ["AWS009", {"rule":
    "SEC:CKV_AWS_18", "reason": "..."}]}`. A misshapen list is the task's error, said plainly."""
    block = metadata.get(METADATA_KEY)
    if block is None:
        return ()
    where = f'metadata.json "{METADATA_KEY}"'
    if not isinstance(block, dict):
        raise TaskLoadError(f'{where} must be an object, e.g. {{"ignore": ["AWS009"]}}')
    unknown = sorted(set(block) - METADATA_KEYS)
    if unknown:
        known = ", ".join(sorted(METADATA_KEYS))
        raise TaskLoadError(f"{where} has unknown key {unknown[0]!r} (known: {known})")
    entries = block.get("ignore", [])
    if not isinstance(entries, list):
        raise TaskLoadError(f'{where} "ignore" must be a list of rule ids or {{"rule", "reason"}} objects')
    out: list[ReviewerIgnore] = []
    for entry in entries:
        if isinstance(entry, str) and entry.strip():
            out.append(ReviewerIgnore(entry.strip().upper()))
        elif isinstance(entry, dict) and isinstance(entry.get("rule"), str) and entry["rule"].strip():
            extra = sorted(set(entry) - {"rule", "reason"})
            if extra:
                raise TaskLoadError(f'{where} "ignore" entry: unknown key {extra[0]!r} (known: reason, rule)')
            out.append(ReviewerIgnore(entry["rule"].strip().upper(), str(entry.get("reason", "")).strip()))
        else:
            raise TaskLoadError(f'{where} "ignore" entry {entry!r} is neither a rule id nor {{"rule": ...}}')
    return tuple(out)
