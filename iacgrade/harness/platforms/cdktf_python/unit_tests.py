"""Which of an answer's files are unit tests the worker may run after synth.

A project keeps its tests in `tests/unit/` and `tests/integration/` (the archive's layout, whose
pipeline runs `pytest tests/unit/`), or as `test_*.py` files elsewhere. When the answer has a
`tests/unit/` folder, that is its unit-test suite and nothing else runs (other test files are
leftovers the project's pipeline never runs); otherwise every test file outside integration
folders is. Integration tests read a deployed stack's outputs and call AWS: they are never run.
The answer's own files only: a test the scaffold or the task put there is not the answer's.
"""

from __future__ import annotations

import posixpath
import re

from iacgrade.harness.core.workspace import Workspace

# At most this long for one answer's unit tests, and never longer than its synth may take.
TEST_SECONDS_CAP = 120.0
# Folders no project keeps its own tests in.
SKIPPED_DIRS = frozenset({"node_modules", "cdktf.out", ".venv", "venv", "imports", ".gen", "__pycache__"})
# A path that says its tests need a deployment, in any of its parts (`tests/integration/`,
# `test_integration.py`, `e2e/`), unless a folder of it says `unit`.
NEEDS_DEPLOYMENT = frozenset({"integration", "e2e", "deployed", "live"})
_WORDS = re.compile(r"[a-z0-9]+")
# The folder of the project layout's unit-test suite.
UNIT_SUITE = "tests/unit/"


def is_test_file(path: str) -> bool:
    name = posixpath.basename(path)
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def is_unit_test(path: str) -> bool:
    """A test file that needs no deployed stack."""
    if not is_test_file(path):
        return False
    folders = path.split("/")[:-1]
    if any(folder in SKIPPED_DIRS for folder in folders):
        return False
    if "unit" in folders:
        return True
    return not any(word in NEEDS_DEPLOYMENT for word in _WORDS.findall(path.lower()))


def unit_test_files(ws: Workspace) -> list[str]:
    """The answer's unit test files, workspace-relative, in path order."""
    found = [p for p in ws.answer_paths if is_unit_test(p)]
    suite = [p for p in found if p.startswith(UNIT_SUITE)]
    return suite or found


def time_for_tests(synth_timeout: float) -> float:
    """The time a request keeps for the tests, beside its synth's own."""
    return min(TEST_SECONDS_CAP, synth_timeout)
