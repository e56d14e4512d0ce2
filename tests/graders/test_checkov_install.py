"""checkov's own venv, as `iacgrade doctor --fix` makes it: one pin shared with the Makefile, a real
venv and a real pip install (of a stand-in checkov wheel built here, so no index is needed)."""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from iacgrade.graders.security import install
from iacgrade.graders.security.scan import checkov_command
from iacgrade.harness import doctor
from tests.paths import REPO

STAND_IN_VERSION = "0.0.1"


def stand_in_wheel(folder: Path) -> Path:
    """A wheel named checkov whose `checkov` launcher prints a version, as the real one does."""
    dist = f"checkov-{STAND_IN_VERSION}.dist-info"
    files = {
        "checkov_stand_in.py": f"def main():\n    print('{STAND_IN_VERSION}')\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: checkov\nVersion: {STAND_IN_VERSION}\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist}/entry_points.txt": "[console_scripts]\ncheckov = checkov_stand_in:main\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(text.encode())}")
    files[f"{dist}/RECORD"] = "\n".join([*record, f"{dist}/RECORD,,"]) + "\n"
    wheel = folder / f"checkov-{STAND_IN_VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return wheel


def test_make_and_doctor_read_one_pin() -> None:
    makefile = (REPO / "Makefile").read_text()
    declared = re.search(r"^CHECKOV_REQUIREMENTS := (\S+)$", makefile, re.M)
    assert declared is not None
    assert (REPO / declared[1]).resolve() == install.REQUIREMENTS.resolve()
    assert "-r $(CHECKOV_REQUIREMENTS)" in makefile
    assert re.fullmatch(r"checkov==\d+\.\d+\.\d+", install.pinned_requirement())


def test_fix_installs_checkov_into_a_venv_under_the_cache_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IACGRADE_CACHE", str(tmp_path / "cache"))
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"{stand_in_wheel(tmp_path)}\n")
    link = tmp_path / "bin" / "checkov"
    link.parent.mkdir()
    said: list[str] = []
    launcher = install.install_checkov(requirements=requirements, link=link, progress=said.append)
    assert launcher == tmp_path / "cache" / "checkov-venv" / "bin" / "checkov"
    for command in (launcher, link):
        done = subprocess.run([str(command)], capture_output=True, text=True, timeout=60, check=False)
        assert done.stdout.strip() == STAND_IN_VERSION, done.stderr
    assert any("creating" in line for line in said)
    # A second run reuses the venv and replaces the link.
    assert install.install_checkov(requirements=requirements, link=link, progress=said.append) == launcher
    assert link.resolve() == launcher.resolve()
    # With nothing configured and nothing beside the interpreter, the scans find that venv's checkov.
    monkeypatch.delenv("IACGRADE_CHECKOV", raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "elsewhere" / "python"))
    assert checkov_command() == [str(launcher)]


def test_fix_leaves_a_running_checkov_alone() -> None:
    assert doctor.apply_fixes(run=lambda command: "3.3.30", progress=print) == []


def test_doctor_fix_installs_before_it_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from iacgrade.harness.cli import app

    order: list[str] = []

    def fixes(progress: Callable[[str], None]) -> list[str]:
        order.append("fix")
        progress("installing checkov==3.3.30")
        return ["checkov installed: /cache/checkov-venv/bin/checkov"]

    def checks() -> doctor.Report:
        order.append("check")
        return doctor.Report(checks=[], sandboxes={"local": True})

    monkeypatch.setattr(doctor, "apply_fixes", fixes)
    monkeypatch.setattr(doctor, "run_checks", checks)
    done = CliRunner().invoke(app, ["doctor", "--fix"])
    assert done.exit_code == 0, done.output
    assert order == ["fix", "check"]
    assert "checkov installed: /cache/checkov-venv/bin/checkov" in done.output
    assert CliRunner().invoke(app, ["doctor"]).exit_code == 0
    assert order == ["fix", "check", "check"]
