"""Which tests a task expects: the prompt's lines that ask for them, and the project the task comes from.

The phrases are data (iacgrade/graders/tests/data/tests.toml): "Unit tests for all components", "Integration
tests must validate end-to-end workflows using deployed resources", "100% test coverage". A line that
names tests without asking for them ("These outputs will be used in integration tests", "no tests
needed") asks for nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from iacgrade.graders.tests.suite import KINDS, facts


@dataclass(frozen=True)
class Ask:
    """One line of the prompt that asks for tests: its number, its text, the kinds it asks for, and
    how directly (0 names the kind of test; higher numbers are vaguer: coverage, "well-tested")."""

    line: int
    text: str
    kinds: frozenset[str]
    vagueness: int = 0


@cache
def _phrases() -> tuple[tuple[re.Pattern[str], frozenset[str]], ...]:
    return tuple((re.compile(a["pattern"], re.I), frozenset(a["kinds"])) for a in facts()["asks"])


@cache
def _not_asking() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.I) for p in facts()["not_asking"])


def prompt_asks(prompt: str) -> list[Ask]:
    """Every line of the prompt that asks for tests, in order."""
    asks = []
    for number, raw in enumerate(prompt.splitlines(), start=1):
        if any(p.search(raw) for p in _not_asking()):
            continue
        matched = [(i, ks) for i, (pattern, ks) in enumerate(_phrases()) if pattern.search(raw)]
        if matched:
            kinds = frozenset(k for _, ks in matched for k in ks)
            asks.append(Ask(number, raw.strip(), kinds, min(i for i, _ in matched)))
    return asks


def first_asks(prompt: str) -> dict[str, Ask]:
    """For each kind of test the prompt asks for, the line that asks for it most directly (the
    first of those): the one a finding quotes."""
    found: dict[str, Ask] = {}
    for ask in prompt_asks(prompt):
        for kind in ask.kinds:
            best = found.get(kind)
            if best is None or ask.vagueness < best.vagueness:
                found[kind] = ask
    return {k: found[k] for k in KINDS if k in found}


def from_archive(metadata: Mapping[str, Any]) -> bool:
    """Whether the task comes from the archive's CDKTF-Python template, whose CI runs both kinds of
    test: its metadata.json names the platform and language and records the unit tests' coverage."""
    template = facts()["template"]
    return (
        metadata.get("platform") == template["metadata_platform"]
        and metadata.get("language") == template["metadata_language"]
        and template["metadata_marker"] in metadata
    )
