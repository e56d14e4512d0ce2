"""What the layers duplicate on purpose agrees (import-linter checks the imports themselves; see
[tool.importlinter] in pyproject.toml)."""

from __future__ import annotations

from iacgrade.harness.core.synth import PLACEHOLDER_MARKER
from iacgrade.harness.platforms.cdktf_python.worker.worker_lib.plan import MARKER


def test_worker_marker_is_core_marker() -> None:
    # The worker writes the marker into made-up values; core and the graders look for it.
    assert MARKER == PLACEHOLDER_MARKER
