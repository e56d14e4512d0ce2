"""The docker sandbox against a real engine and the real image.

What every sandbox must do (stacks, errors at their frame, timeouts, crashes, no network, no host
files) is tests/sandbox/test_conformance.py's; here is what is the docker one's: the container's
hardening and limits, its image, and the containers it leaves. `make test` starts the engine and
builds the image before pytest; here a missing engine or image is a failure with the command to
run, never a skip. One warm sandbox of two containers serves the module; the test that kills a
container comes last, since each replacement costs a full worker start (~20 s).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from docker.errors import NotFound

from iacgrade.harness.core.synth import SynthStatus
from iacgrade.harness.sandbox.base import SynthRequest
from iacgrade.harness.sandbox.conformance import observed, probe_files
from iacgrade.harness.sandbox.docker import LABEL, DockerSandbox, Limits
from iacgrade.harness.sandbox.image import BASE_IMAGE, engine_client
from tests import env_apps
from tests.env_apps import APPS
from tests.sandbox import require_sandbox_image

pytestmark = pytest.mark.docker

STACK = """\
from constructs import Construct
from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, id: str):
        super().__init__(scope, id)
        AwsProvider(self, "aws", region="us-east-1")
        S3Bucket(self, "bucket", bucket="data")
"""

TAP = """\
from cdktf import App
from lib.tap_stack import TapStack

app = App()
TapStack(app, "TapStackdev")
app.synth()
"""

FILES = {"tap.py": TAP, "lib/__init__.py": "", "lib/tap_stack.py": STACK}

FILESYSTEM_PROBE = """\
import errno
import os
import tempfile


def try_write(path):
    try:
        with open(path, "w") as handle:
            handle.write("x")
        os.unlink(path)
        return "written"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc))


def effective_capabilities():
    with open("/proc/self/status") as status:
        return next(line.split()[1] for line in status if line.startswith("CapEff:"))


def observe():
    return {
        "uid": os.getuid(),
        "capabilities": effective_capabilities(),
        "etc": try_write("/etc/iacgrade-probe"),
        "opt": try_write("/opt/iacgrade/probe"),
        "venv": try_write("/opt/venv/lib/python3.11/site-packages/probe.py"),
        "workspace": try_write("probe.txt"),
        "tmp": try_write(os.path.join(tempfile.gettempdir(), "probe.txt")),
    }
"""


def request(name: str, files: dict[str, str] | None = None, timeout: float = 30.0) -> SynthRequest:
    return SynthRequest(id=name, files=files or FILES, entry="tap.py", timeout=timeout)


def sandbox_containers(run_id: str) -> list[dict[str, Any]]:
    return list(engine_client().api.containers(all=True, filters={"label": f"{LABEL}.run={run_id}"}))


@pytest.fixture(scope="module")
def sandbox() -> Iterator[DockerSandbox]:
    require_sandbox_image()
    box = DockerSandbox(slots=2, hard_grace=3.0)
    try:
        box.start()
        yield box
    finally:
        box.close()


@pytest.mark.parametrize("name", sorted(APPS))
def test_app_needing_its_environment_stops_the_same_way_in_every_sandbox(
    sandbox: DockerSandbox, name: str
) -> None:
    # tests/sandbox/test_local.py runs the same apps to the same result.
    env_apps.synth_and_check(sandbox, name)


def test_root_is_read_only_and_the_user_unprivileged(sandbox: DockerSandbox) -> None:
    seen = observed(sandbox.synth(request("filesystem", probe_files(FILESYSTEM_PROBE))))
    assert seen["uid"] == 10001
    assert int(seen["capabilities"], 16) == 0
    assert seen["etc"] == seen["opt"] == seen["venv"] == "EROFS"
    assert seen["workspace"] == seen["tmp"] == "written"


def test_describe_names_image_and_limits(sandbox: DockerSandbox) -> None:
    facts = sandbox.describe()
    assert facts["sandbox"] == "docker"
    assert facts["image"].startswith("iacgrade-sandbox:")
    assert facts["cdktf"] == "0.21.0"
    assert facts["cdktf-cdktf-provider-aws"] == "21.22.1"
    assert facts["python"].startswith("3.11")
    assert (facts["network"], facts["read_only_root"], facts["user"]) == ("none", "yes", "10001")
    assert facts["memory"] == Limits().memory


def test_missing_image_is_an_infra_error_not_an_exception() -> None:
    box = DockerSandbox(image="iacgrade-sandbox:does-not-exist")
    try:
        result = box.synth(request("no-image"))
    finally:
        box.close()
    assert result.status is SynthStatus.INFRA_ERROR
    assert "does-not-exist" in result.message


def test_close_removes_the_containers() -> None:
    box = DockerSandbox(slots=1)
    box._spawn()  # a container that is still loading: close() must not wait for it
    assert len(sandbox_containers(box.run_id)) == 1
    box.close()
    assert sandbox_containers(box.run_id) == []
    assert box.synth(request("after-close")).status is SynthStatus.INFRA_ERROR


def test_leftovers_of_dead_processes_are_removed_at_start() -> None:
    client = engine_client()
    dead_pid = str(4_194_305)  # above the kernel's PID_MAX_LIMIT: no process can have it
    orphan = client.containers.create(
        BASE_IMAGE,
        command=["sleep", "600"],
        labels={
            LABEL: "1",
            f"{LABEL}.run": "orphan",
            f"{LABEL}.host": socket.gethostname(),
            f"{LABEL}.pid": dead_pid,
        },
        network_mode="none",
    )
    try:
        orphan.start()
        box = DockerSandbox(slots=1)
        box.close()
        assert box.leftovers_removed >= 1
        assert sandbox_containers("orphan") == []
    finally:
        with contextlib.suppress(NotFound):
            orphan.remove(force=True)


# ---- the test below kills a container; its replacement costs a worker start


def test_memory_hog_is_oom_killed_and_the_next_app_works(sandbox: DockerSandbox) -> None:
    # Bytes built by repetition are written, so every page counts against the memory limit.
    hog = {"tap.py": "chunks = []\nwhile True:\n    chunks.append(b'x' * (256 * 1024 * 1024))\n"}
    result = sandbox.synth(request("hog", hog, timeout=60.0))
    assert result.status is SynthStatus.CRASHED
    assert result.error_type == "WorkerOOMKilled"
    assert "OOM-killed" in result.message
    assert sandbox.synth(request("after-hog")).status is SynthStatus.OK


def test_repaired_imports_work_in_the_container_too(sandbox: DockerSandbox) -> None:
    wrong = {
        **FILES,
        "lib/tap_stack.py": "from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioning\n"
        + STACK,
    }
    repairs = {
        "names": {
            "cdktf_cdktf_provider_aws.s3_bucket_versioning": {
                "S3BucketVersioning": ["cdktf_cdktf_provider_aws.s3_bucket_versioning", "S3BucketVersioningA"]
            }
        },
        "modules": {},
    }
    result = sandbox.synth(
        SynthRequest(id="repaired", files=wrong, entry="tap.py", timeout=60, options={"repairs": repairs})
    )
    assert result.error_type == "ImportError"
    assert result.stacks_strategy == "repaired:entry"
    assert result.stacks["TapStackdev"]["resource"]["aws_s3_bucket"]["bucket"]["bucket"] == "data"
