"""The docker sandbox's image: what goes into it, its tag, and building it offline.

The image is tagged by a hash of everything that shapes it (Dockerfile and its helper files, the
synth worker, the pinned toolchain list, the base image's id), so a changed input means a new
tag and `ensure_image` never runs a stale worker. No registry is needed: the base image is made
with debootstrap (`image_files/build-base-image.sh`) and the Python packages come from a wheelhouse
downloaded on the host, cached under the iacgrade cache root (`wheelhouse/`). The Dockerfile and the
scripts ship inside the package (`image_files/`), so an installed iacgrade builds the image too.

Run as `python -m iacgrade.harness.sandbox.image build|status|tag`.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iacgrade.harness.core.cachedir import cache_home
from iacgrade.harness.core.errors import SandboxError

if TYPE_CHECKING:
    import docker


def _package_path(package: str, *parts: str) -> Path:
    """A file shipped inside an iacgrade package, wherever it is installed (checkout or wheel).

    iacgrade is never imported from a zip: the worker and these files are copied into build
    contexts and run, so the resource is a real file and its path is kept.
    """
    return Path(str(resources.files(package).joinpath(*parts)))


# Package data (never a folder beside the package: in a wheel install that would be
# site-packages/docker, the Docker SDK).
IMAGE_FILES = _package_path("iacgrade.harness.sandbox", "image_files")
WORKER_PATH = _package_path("iacgrade.harness.platforms", "cdktf_python", "worker", "worker.py")
# The offline `pip` the image puts first on PATH (the local sandbox uses the same folder).
OFFLINE_BIN = _package_path("iacgrade.harness.sandbox", "offline_bin")
BASE_SCRIPT = IMAGE_FILES / "build-base-image.sh"
START_SCRIPT = IMAGE_FILES / "start-docker.sh"
REQUIREMENTS = IMAGE_FILES / "requirements.txt"

IMAGE_REPO = "iacgrade-sandbox"
BASE_IMAGE = os.environ.get("IACGRADE_BASE_IMAGE", "iacgrade-base:bookworm")
# Files of image_files/ that the build context carries (and the tag hashes), besides the worker.
CONTEXT_FILES = ("Dockerfile", "requirements.txt", "entrypoint.sh", "warm_jsii.py")
BUILD_HINT = "run `iacgrade image build` (or `make image`)"
PYTHON_VERSION = "3.11"  # Debian bookworm's python3, which the base image carries

ENGINE_TIMEOUT = 60  # seconds for one engine API call
BASE_BUILD_TIMEOUT = 1800
WHEELHOUSE_TIMEOUT = 1200
IMAGE_BUILD_TIMEOUT = 1800

Progress = Callable[[str], None]


class ImageError(SandboxError, RuntimeError):
    """The sandbox image cannot be found or built; the message says what to run."""


class EngineUnavailableError(ImageError):
    """No Docker engine answers."""


@dataclass(frozen=True)
class ImageStatus:
    """What `iacgrade doctor` reports about the docker sandbox."""

    engine_reachable: bool
    engine_version: str = ""
    base_image: str = BASE_IMAGE
    base_present: bool = False
    tag: str = ""  # the tag the current inputs call for ("" when it cannot be computed)
    present: bool = False  # that tag exists: the image is present and current
    other_tags: tuple[str, ...] = ()  # older sandbox images still on the engine
    size_bytes: int = 0
    message: str = ""

    @property
    def usable(self) -> bool:
        return self.engine_reachable and self.present

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "usable": self.usable}


# --- the engine -------------------------------------------------------------------------------


def engine_client(timeout: int = ENGINE_TIMEOUT) -> docker.DockerClient:
    """A client for the local engine, or `EngineUnavailableError` saying how to start one."""
    try:
        import docker
        from docker.errors import DockerException
    except ImportError as exc:  # the `docker` package is a declared dependency; be clear anyway
        raise EngineUnavailableError("the `docker` Python package is missing: pip install docker") from exc
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except (DockerException, OSError) as exc:
        raise EngineUnavailableError(
            f"no Docker engine answers ({exc}); start one with `sudo bash {_rel(START_SCRIPT)}`"
        ) from exc
    return client


def _image_or_none(client: docker.DockerClient, ref: str) -> docker.models.images.Image | None:
    from docker.errors import ImageNotFound

    try:
        return client.images.get(ref)
    except ImageNotFound:
        return None


def _image_id(client: docker.DockerClient, ref: str) -> str | None:
    image = _image_or_none(client, ref)
    return None if image is None else str(image.id)


def engine_arch(client: docker.DockerClient) -> str:
    """The engine's machine architecture in manylinux terms (x86_64, aarch64)."""
    arch = str(client.info().get("Architecture", "x86_64"))
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(arch, arch)


# --- inputs and tag ---------------------------------------------------------------------------


def _input_files(worker_path: Path) -> list[tuple[str, Path]]:
    files = [(name, IMAGE_FILES / name) for name in CONTEXT_FILES] + [("worker.py", worker_path)]
    # The run-time repairs live in a package beside the worker, which loads them from there.
    lib = worker_path.with_name("worker_lib")
    modules = sorted(lib.glob("*.py")) if lib.is_dir() else []
    tools = sorted(p for p in OFFLINE_BIN.iterdir() if p.is_file()) if OFFLINE_BIN.is_dir() else []
    return (
        files + [(f"worker_lib/{p.name}", p) for p in modules] + [(f"offline_bin/{p.name}", p) for p in tools]
    )


def image_inputs_hash(base_image_id: str | None = None, worker_path: Path = WORKER_PATH) -> str:
    """A hash of everything the image is built from; the base id is looked up when not given."""
    if base_image_id is None:
        base_image_id = _image_id(engine_client(), BASE_IMAGE)
        if base_image_id is None:
            raise ImageError(f"base image {BASE_IMAGE} is missing: {BUILD_HINT}")
    digest = hashlib.sha256()
    for name, path in _input_files(worker_path):
        if not path.is_file():
            raise ImageError(f"image input {path} is missing")
        digest.update(f"{name}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    digest.update(f"base\0{base_image_id}".encode())
    return digest.hexdigest()


def image_tag(inputs_hash: str) -> str:
    return f"{IMAGE_REPO}:{inputs_hash[:12]}"


def current_tag(client: docker.DockerClient | None = None, worker_path: Path = WORKER_PATH) -> str:
    """The tag the current inputs call for (needs the base image)."""
    client = client or engine_client()
    base_id = _image_id(client, BASE_IMAGE)
    if base_id is None:
        raise ImageError(f"base image {BASE_IMAGE} is missing: {BUILD_HINT}")
    return image_tag(image_inputs_hash(base_id, worker_path))


# --- status and ensure ------------------------------------------------------------------------


def image_status() -> ImageStatus:
    """Is the engine reachable, and is the image for the current inputs present? Never raises."""
    try:
        client = engine_client(timeout=15)
    except ImageError as exc:
        return ImageStatus(engine_reachable=False, message=str(exc))
    try:
        version = str(client.version().get("Version", ""))
        base_id = _image_id(client, BASE_IMAGE)
        tag = image_tag(image_inputs_hash(base_id)) if base_id else ""
        present_image = _image_or_none(client, tag) if tag else None
        others = tuple(
            t
            for image in client.images.list(name=IMAGE_REPO)
            for t in image.tags
            if t not in (tag, _latest())
        )
    except ImageError as exc:
        return ImageStatus(engine_reachable=True, message=str(exc))
    except Exception as exc:  # noqa: BLE001 - doctor reports any engine failure instead of dying
        return ImageStatus(engine_reachable=True, message=f"engine error: {exc}")
    if base_id is None:
        message = f"base image {BASE_IMAGE} is missing: {BUILD_HINT}"
    elif present_image is None:
        message = f"image {tag} is missing or stale: {BUILD_HINT}"
    else:
        message = f"image {tag} is current"
    return ImageStatus(
        engine_reachable=True,
        engine_version=version,
        base_present=base_id is not None,
        tag=tag,
        present=present_image is not None,
        other_tags=others,
        size_bytes=int(present_image.attrs.get("Size", 0)) if present_image is not None else 0,
        message=message,
    )


def ensure_image(build: bool, progress: Progress = print) -> str:
    """The tag of a present, current sandbox image; builds it when `build`, else raises `ImageError`."""
    client = engine_client()
    if _image_id(client, BASE_IMAGE) is not None:
        tag = current_tag(client)
        if _image_id(client, tag) is not None:
            return tag
        missing = f"sandbox image {tag} is missing or stale"
    else:
        missing = f"base image {BASE_IMAGE} is missing"
    if not build:
        raise ImageError(f"{missing}: {BUILD_HINT}")
    return build_image(progress=progress)


def _latest() -> str:
    return f"{IMAGE_REPO}:latest"


# --- build ------------------------------------------------------------------------------------


def build_image(progress: Progress = print, worker_path: Path = WORKER_PATH) -> str:
    """Build the sandbox image for the current inputs (base and wheelhouse first); returns its tag."""
    if not worker_path.is_file():
        raise ImageError(f"the synth worker {worker_path} is missing; the image cannot be built without it")
    client = engine_client()
    ensure_base_image(client, progress)
    wheelhouse = ensure_wheelhouse(engine_arch(client), progress)
    inputs_hash = image_inputs_hash(_image_id(client, BASE_IMAGE), worker_path)
    tag = image_tag(inputs_hash)
    started = time.monotonic()
    with _build_context(wheelhouse, worker_path) as context:
        progress(f"building {tag} (context {context})")
        _docker_build(context, tag, inputs_hash, progress)
    client.images.get(tag).tag(IMAGE_REPO, "latest")
    progress(f"built {tag} in {time.monotonic() - started:.0f}s")
    _remove_old_images(client, keep=tag, progress=progress)
    return tag


def ensure_base_image(client: docker.DockerClient, progress: Progress = print) -> None:
    """Build the Debian base with debootstrap when the engine does not have it."""
    if _image_id(client, BASE_IMAGE) is not None:
        return
    progress(f"building base image {BASE_IMAGE} with debootstrap (needs root, ~1 minute)")
    started = time.monotonic()
    _run(["bash", str(BASE_SCRIPT), BASE_IMAGE], BASE_BUILD_TIMEOUT, progress, "base image build")
    if _image_id(client, BASE_IMAGE) is None:
        raise ImageError(f"{_rel(BASE_SCRIPT)} finished but {BASE_IMAGE} is not on the engine")
    progress(f"base image built in {time.monotonic() - started:.0f}s")


def wheelhouse_root() -> Path:
    """Where downloaded wheelhouses are kept: under the iacgrade cache root (`$IACGRADE_CACHE`)."""
    return cache_home() / "wheelhouse"


def wheelhouse_dir(arch: str) -> Path:
    """The wheelhouse for the current requirement list: one folder per list and architecture."""
    key = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    return wheelhouse_root() / f"py{PYTHON_VERSION}-{arch}-{key}"


def ensure_wheelhouse(arch: str, progress: Progress = print) -> Path:
    """Download the pinned toolchain's wheels for the image's Python and platform, once."""
    target = wheelhouse_dir(arch)
    complete = target / ".complete"
    if complete.is_file():
        progress(f"wheelhouse {_rel(target)} reused")
        return target
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    progress(f"downloading wheels into {_rel(target)}")
    started = time.monotonic()
    # The image's pip resolves against Debian's Python, not the host's: ask for its tags.
    platforms = [arg for minor in range(17, 37) for arg in ("--platform", f"manylinux_2_{minor}_{arch}")]
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--disable-pip-version-check",
        "--no-cache-dir",
        "--only-binary=:all:",
        "--python-version",
        PYTHON_VERSION,
        "--implementation",
        "cp",
        *platforms,
        "-d",
        str(partial),
        "-r",
        str(REQUIREMENTS),
    ]
    try:
        _run(command, WHEELHOUSE_TIMEOUT, lambda line: None, "wheelhouse download")
        complete_in_partial = partial / ".complete"
        complete_in_partial.write_text(REQUIREMENTS.read_text())
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    progress(f"wheelhouse ready in {time.monotonic() - started:.0f}s ({_du(target) / 1e6:.0f} MB)")
    return target


@contextmanager
def _build_context(wheelhouse: Path, worker_path: Path) -> Iterator[Path]:
    """A throwaway build context holding only what the Dockerfile copies (not the whole repo)."""
    root = Path(tempfile.mkdtemp(prefix="iacgrade-image-"))
    try:
        for name, path in _input_files(worker_path):
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, root / name)
        (root / "wheelhouse").mkdir()
        for wheel in wheelhouse.glob("*.whl"):
            _link_or_copy(wheel, root / "wheelhouse" / wheel.name)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _docker_build(context: Path, tag: str, inputs_hash: str, progress: Progress) -> None:
    """Run the build through the engine API, streaming its output; fail with the engine's message."""
    from docker.errors import APIError

    deadline = time.monotonic() + IMAGE_BUILD_TIMEOUT
    # A read may wait through a silent build step (the jsii warm-up takes ~1 minute).
    api = engine_client(timeout=900).api
    try:
        stream = api.build(
            path=str(context),
            tag=tag,
            buildargs={"BASE_IMAGE": BASE_IMAGE, "IACGRADE_INPUTS_HASH": inputs_hash},
            rm=True,
            forcerm=True,
            pull=False,
            decode=True,
        )
        for chunk in stream:
            if "error" in chunk:
                raise ImageError(f"docker build failed: {str(chunk['error']).strip()}")
            text = str(chunk.get("stream", "")).rstrip()
            if text:
                progress(text)
            if time.monotonic() > deadline:
                raise ImageError(f"docker build ran past {IMAGE_BUILD_TIMEOUT}s")
    except APIError as exc:
        raise ImageError(f"docker build failed: {exc}") from exc
    finally:
        api.close()


def _remove_old_images(client: docker.DockerClient, keep: str, progress: Progress) -> None:
    """Drop superseded sandbox images (each ~1 GB); one still used by a container is kept."""
    from docker.errors import APIError

    # The build stage stays as an untagged image: the newest is the next build's layer cache.
    stages = client.images.list(filters={"dangling": True, "label": "iacgrade.stage=build"})
    stages.sort(key=lambda image: str(image.attrs.get("Created", "")), reverse=True)
    for stage in stages[1:]:
        with contextlib.suppress(APIError):
            client.images.remove(stage.id, noprune=False)

    for image in client.images.list(name=IMAGE_REPO):
        for old in image.tags:
            if old in (keep, _latest()):
                continue
            try:
                client.images.remove(old, noprune=False)
                progress(f"removed superseded image {old}")
            except APIError as exc:
                progress(f"kept {old}: {exc.explanation or exc}")


# --- helpers ----------------------------------------------------------------------------------


def _run(command: list[str], timeout: float, progress: Progress, what: str) -> None:
    """Run a command, streaming its output lines; a timer kills it at the time limit."""
    tail: list[str] = []
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=IMAGE_FILES,
    ) as process:
        # A silent, hung command never yields a line, so the limit cannot be checked in the loop.
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            assert process.stdout is not None
            for line in process.stdout:
                tail = [*tail[-19:], line.rstrip()]
                progress(line.rstrip())
            code = process.wait(timeout=60)
        finally:
            timed_out = not timer.is_alive() and process.returncode not in (None, 0)
            timer.cancel()
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
    if timed_out:
        raise ImageError(f"{what} ran past {timeout:.0f}s: {' '.join(command[:3])} ...")
    if code != 0:
        details = "\n".join(tail)
        raise ImageError(f"{what} failed (exit {code}): {' '.join(command[:3])} ...\n{details}")


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    """`python -m iacgrade.harness.sandbox.image build|status|tag`: what `make image` and CI call."""
    parser = argparse.ArgumentParser(
        prog="python -m iacgrade.harness.sandbox.image", description=__doc__.splitlines()[0]
    )
    parser.add_argument("command", choices=("build", "status", "tag"))
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            print(ensure_image(build=True))
        elif args.command == "tag":
            print(current_tag())
        else:
            status = image_status()
            for key, value in status.to_dict().items():
                print(f"{key}: {value}")
            return 0 if status.usable else 1
    except ImageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
