"""Fixtures shared across test modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from iacgrade.harness.sandbox.local import LocalSandbox

# Rule cases are answers, and an answer's own tests (TST cases) are named like ours: they are data
# for the rules, never collected here.
collect_ignore_glob = ["rules/*"]


@pytest.fixture(scope="session")
def local_sandbox() -> Iterator[LocalSandbox]:
    """One warm local worker for every synth test: starting one costs ~20 s."""
    box = LocalSandbox(slots=1)
    try:
        yield box
    finally:
        box.close()
