"""Where untrusted answers run: the `Sandbox` seam and its local and docker variants."""

from __future__ import annotations

import logging

from iacgrade.harness.sandbox.base import Sandbox, SynthRequest

__all__ = ["SANDBOX_KINDS", "Sandbox", "SynthRequest", "make_sandbox"]

log = logging.getLogger(__name__)

SANDBOX_KINDS = ("auto", "local", "docker")


def make_sandbox(kind: str = "auto", slots: int = 1) -> Sandbox:
    """A sandbox of `kind` with `slots` warm workers; `auto` is docker when it is usable here."""
    if kind not in SANDBOX_KINDS:
        raise ValueError(f"unknown sandbox {kind!r}: choose one of {', '.join(SANDBOX_KINDS)}")
    if kind == "auto":
        kind = "docker" if _docker_usable() else "local"
    if kind == "docker":
        from iacgrade.harness.sandbox.docker import DockerSandbox

        return DockerSandbox(slots=slots)
    from iacgrade.harness.sandbox.local import LocalSandbox

    return LocalSandbox(slots=slots)


def _docker_usable() -> bool:
    """An engine answers and the current sandbox image is present."""
    try:
        from iacgrade.harness.sandbox.image import image_status
    except ImportError:
        return False
    try:
        status = image_status()
    except Exception as exc:  # noqa: BLE001 - any failure here only means "not usable"
        log.info("docker sandbox not usable: %s", exc)
        return False
    return bool(getattr(status, "usable", False))
