"""Tests every sandbox must pass, and what the sandbox tests share."""

from __future__ import annotations

import pytest


def require_sandbox_image() -> None:
    """Fail, never skip, naming the fix when the engine or the current sandbox image is missing:
    `make test` starts the one and builds the other before pytest."""
    from iacgrade.harness.sandbox.image import image_status

    status = image_status()
    if not status.usable:
        pytest.fail(
            f"the docker sandbox is not usable: {status.message}. "
            "Run `bash scripts/start-docker.sh` and `iacgrade image build` (or `make image`)."
        )
