"""Severity words as reviewers write them, normalised to iacgrade's severities."""

from __future__ import annotations

import re

from iacgrade.harness.core.findings import Severity

# Severity words, in the order they are looked for (the first word found decides).
_SEVERITY_WORDS: tuple[tuple[re.Pattern[str], Severity], ...] = (
    (re.compile(r"\bcritical\b|\bblocker\b|\bblocks deployment\b", re.IGNORECASE), Severity.CRITICAL),
    (re.compile(r"\bhigh\b|\bmajor\b|\bsevere\b", re.IGNORECASE), Severity.HIGH),
    (re.compile(r"\bmedium\b|\bmoderate\b", re.IGNORECASE), Severity.MEDIUM),
    (re.compile(r"\blow\b|\bminor\b|\btrivial\b", re.IGNORECASE), Severity.LOW),
)


def severity_from_text(text: str) -> Severity | None:
    """The severity a phrase names first ("HIGH (Blocks Deployment)" -> High), or None."""
    found = [(m.start(), s) for pattern, s in _SEVERITY_WORDS if (m := pattern.search(text))]
    return min(found, key=lambda f: f[0])[1] if found else None
