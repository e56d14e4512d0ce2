"""The rule catalogue as `iacgrade rules` prints it: aligned text columns, or JSON for scripts."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from iacgrade.graders.registry import Rule

# (header, what the column shows) for the text listing, in order; the last column is not padded.
_COLUMNS = ("ID", "SEVERITY", "CATEGORY", "PLATFORMS", "NAME")


def rule_record(rule: Rule) -> dict[str, Any]:
    """One rule's metadata as `rules --format json` lists it."""
    m = rule.meta
    return {
        "id": m.id,
        "name": m.name,
        "title": m.title,
        "severity": m.severity.value,
        "category": m.category.value,
        # Empty means every platform.
        "platforms": list(m.platforms),
        "docs": list(m.docs),
        "rationale": m.rationale,
        "version": m.version,
    }


def rules_json(rules: Iterable[Rule]) -> str:
    return json.dumps([rule_record(r) for r in rules], indent=2, ensure_ascii=False) + "\n"


def rules_text(rules: Iterable[Rule]) -> list[str]:
    """A header and one line per rule, columns padded to their widest cell."""
    rows = [_COLUMNS] + [
        (
            r.meta.id,
            r.meta.severity.value,
            r.meta.category.value,
            ",".join(r.meta.platforms) or "all",
            r.meta.name,
        )
        for r in rules
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS) - 1)]
    return [
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]) for row in rows
    ]
