"""Fixtures shared across test modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.sandbox.local import LocalSandbox

# Rule fixtures are answers, and some answers ship their own tests (TST002's): data for the
# rules, run by the sandbox's worker, never by this suite.
collect_ignore = ["rules"]


@pytest.fixture(scope="session")
def local_sandbox() -> Iterator[LocalSandbox]:
    """One warm local worker for every synth test: starting one costs ~20 s."""
    box = LocalSandbox(slots=1)
    try:
        yield box
    finally:
        box.close()
