"""The docker sandbox against a real engine and the real image.

`make test` starts the engine and builds the image before pytest; here a missing engine or image
is a failure with the command to run, never a skip. One warm sandbox of two containers serves
the module; the tests that kill a container come last, since each replacement costs a full
worker start (~20 s), and two slots let one replacement load while the other carries on.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from docker.errors import NotFound

from harness.core.synth import SynthResult, SynthStatus
from harness.sandbox.base import SynthRequest
from harness.sandbox.docker import LABEL, DockerSandbox, Limits
from harness.sandbox.image import BASE_IMAGE, engine_client, image_status
from tests import env_apps
from tests.env_apps import APPS

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

# An app that reports what it observed as a stack output, so the test reads the app's own result.
REPORTING_APP = """\
import json
from cdktf import App, TerraformOutput, TerraformStack

{probe}

app = App()
stack = TerraformStack(app, "probe")
TerraformOutput(stack, "observed", value=json.dumps(observe()))
app.synth()
"""

NETWORK_PROBE = """\
import errno
import os
import socket


def has_default_route():
    with open("/proc/net/route") as routes:
        return any(line.split()[1] == "00000000" for line in routes.readlines()[1:])


def attempt(host, port):
    try:
        with socket.create_connection((host, port), timeout=3):
            return "connected"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc)) if exc.errno else type(exc).__name__


def observe():
    seen = {"interfaces": sorted(os.listdir("/sys/class/net")), "default_route": has_default_route()}
    seen["loopback"] = attempt("127.0.0.1", 80)
    # Only tried without a route out, so no packet can leave even if isolation were broken;
    # 192.0.2.1 is a documentation address (TEST-NET-1) that no host answers anyway.
    seen["outside"] = attempt("192.0.2.1", 443) if not seen["default_route"] else "skipped: a route exists"
    return seen
"""

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


def probe_request(name: str, probe: str) -> SynthRequest:
    return request(name, {"tap.py": REPORTING_APP.format(probe=probe)})


def observed(result: SynthResult) -> dict[str, Any]:
    assert result.status is SynthStatus.OK, result.message + result.traceback
    return dict(json.loads(result.stacks["probe"]["output"]["observed"]["value"]))


def sandbox_containers(run_id: str) -> list[dict[str, Any]]:
    return list(engine_client().api.containers(all=True, filters={"label": f"{LABEL}.run={run_id}"}))


@pytest.fixture(scope="module")
def sandbox() -> Iterator[DockerSandbox]:
    status = image_status()
    if not status.usable:
        pytest.fail(
            f"the docker sandbox is not usable: {status.message}. "
            "Run `bash scripts/start-docker.sh` and `iacgrade image build` (or `make image`)."
        )
    box = DockerSandbox(slots=2, hard_grace=3.0)
    try:
        box.start()
        yield box
    finally:
        box.close()


def test_ok_app_returns_its_stack(sandbox: DockerSandbox) -> None:
    result = sandbox.synth(request("ok"))
    assert result.status is SynthStatus.OK, result.message
    stack = result.stacks["TapStackdev"]
    assert stack["resource"]["aws_s3_bucket"]["bucket"]["bucket"] == "data"
    assert result.worker.startswith("docker:")


def test_error_app_points_at_its_frame(sandbox: DockerSandbox) -> None:
    broken = {**FILES, "lib/tap_stack.py": STACK.replace('bucket="data"', 'bucket="data", no_such_arg=1')}
    result = sandbox.synth(request("error", broken))
    assert result.status is SynthStatus.ERROR
    assert result.error_type == "TypeError"
    assert result.frame is not None
    assert result.frame.file == "lib/tap_stack.py"
    assert "no_such_arg" in result.frame.code


def test_container_has_no_network(sandbox: DockerSandbox) -> None:
    seen = observed(sandbox.synth(probe_request("network", NETWORK_PROBE)))
    assert seen["interfaces"] == ["lo"]
    assert seen["default_route"] is False
    assert seen["loopback"] == "ECONNREFUSED"  # the container's own loopback, with nothing listening
    assert seen["outside"] == "ENETUNREACH"


@pytest.mark.parametrize("name", sorted(APPS))
def test_app_needing_its_environment_stops_the_same_way_in_every_sandbox(
    sandbox: DockerSandbox, name: str
) -> None:
    # tests/test_local_sandbox.py runs the same apps to the same result.
    env_apps.synth_and_check(sandbox, name)


def test_root_is_read_only_and_the_user_unprivileged(sandbox: DockerSandbox) -> None:
    seen = observed(sandbox.synth(probe_request("filesystem", FILESYSTEM_PROBE)))
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


# ---- the tests below kill containers; each replacement costs a worker start


def test_soft_timeout_stops_a_python_loop(sandbox: DockerSandbox) -> None:
    looping = {"tap.py": "while True:\n    pass\n"}
    result = sandbox.synth(request("loop", looping, timeout=3.0))
    assert result.status is SynthStatus.TIMEOUT
    assert sandbox.synth(request("after-loop")).status is SynthStatus.OK


def test_hard_timeout_kills_the_container_and_the_next_app_works(sandbox: DockerSandbox) -> None:
    # Ignoring SIGALRM defeats the worker's soft timer: only the sandbox's hard limit ends this.
    stubborn = {
        "tap.py": "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    pass\n"
    }
    before = sandbox.counts()["timeouts"]
    result = sandbox.synth(request("stubborn", stubborn, timeout=2.0))
    assert result.status is SynthStatus.TIMEOUT
    assert "container was killed" in result.message
    assert sandbox.counts()["timeouts"] == before + 1
    assert sandbox.synth(request("after-stubborn")).status is SynthStatus.OK


def test_crash_is_reported_and_the_next_app_works(sandbox: DockerSandbox) -> None:
    crashing = {"tap.py": "import os\nos._exit(3)\n"}
    result = sandbox.synth(request("crash", crashing))
    assert result.status is SynthStatus.CRASHED
    assert "exited with status 3" in result.message
    assert sandbox.synth(request("after-crash")).status is SynthStatus.OK


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
