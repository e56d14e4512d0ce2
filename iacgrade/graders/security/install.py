"""checkov's own venv: where `iacgrade doctor --fix` puts it, and how it is installed.

checkov pins old boto3 and packaging that would downgrade the synthesis toolchain, so it never
shares iacgrade's environment. Its version is pinned once, in `data/checkov-requirements.txt`,
which both `make checkov` (a `.venv-checkov` beside the checkout) and `iacgrade doctor --fix` (a
venv under the iacgrade cache root, for an installed iacgrade) install from.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from iacgrade.harness.core.cachedir import cache_home
from iacgrade.harness.core.errors import GraderError

REQUIREMENTS = Path(str(resources.files("iacgrade.graders").joinpath("data", "checkov-requirements.txt")))
VENV_TIMEOUT_SECONDS = 120
INSTALL_TIMEOUT_SECONDS = 1200


def checkov_venv() -> Path:
    """The venv `iacgrade doctor --fix` installs checkov into (under `$IACGRADE_CACHE`)."""
    return cache_home() / "checkov-venv"


def venv_checkov(venv: Path | None = None) -> Path:
    """The checkov launcher inside that venv (it may not exist)."""
    return (venv or checkov_venv()) / "bin" / "checkov"


def pinned_requirement() -> str:
    """The `checkov==X` line both installers read."""
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if text.startswith("checkov"):
            return text
    raise GraderError(f"{REQUIREMENTS} names no checkov version")


def install_checkov(
    venv: Path | None = None,
    requirements: Path = REQUIREMENTS,
    link: Path | None = None,
    progress: Callable[[str], None] = print,
) -> Path:
    """Create the venv (when missing), install the pinned checkov into it, and return its launcher.

    In a venv of iacgrade's own, a link to the launcher goes beside the interpreter, where
    `checkov_command` looks first (as `make checkov` does); a system interpreter's folder is left
    alone: the launcher is then found in the cache venv.
    """
    venv = venv or checkov_venv()
    python = venv / "bin" / "python"
    if not python.is_file():
        progress(f"creating {venv}")
        _call([sys.executable, "-m", "venv", str(venv)], VENV_TIMEOUT_SECONDS, "creating the checkov venv")
    progress(f"installing {pinned_requirement()} into {venv} (a few minutes the first time)")
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _call([*pip, "-r", str(requirements)], INSTALL_TIMEOUT_SECONDS, "installing checkov")
    launcher = venv_checkov(venv)
    if not launcher.is_file():
        raise GraderError(f"{requirements} installed no checkov launcher at {launcher}")
    if link is None and sys.prefix != sys.base_prefix:
        link = Path(sys.executable).with_name("checkov")
    if link is not None and link != launcher:
        link.unlink(missing_ok=True)
        link.symlink_to(launcher)
        progress(f"linked {link} -> {launcher}")
    return launcher


def _call(command: list[str], timeout: float, what: str) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise GraderError(f"{what} failed: {exc}") from exc
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-10:])
        raise GraderError(f"{what} failed (exit {done.returncode}):\n{tail}")
