"""The local sandbox: pooled warm workers, hard time limits, crashes, recycling and memory stats.

What every sandbox must do is tests/sandbox/test_conformance.py's; here is what is the local one's.

One warm sandbox of two workers serves the module; the tests that kill a worker come last, since
each replacement costs a full worker start (~20 s), and two slots let one replacement load while
the other worker carries on.
"""

from __future__ import annotations

import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from iacgrade.harness.core.synth import SynthResult, SynthStatus
from iacgrade.harness.sandbox.base import SynthRequest
from iacgrade.harness.sandbox.local import DIR_PREFIX, OWNER_FILE, LocalSandbox
from tests import env_apps
from tests.env_apps import APPS

pytestmark = pytest.mark.synth

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


def request(name: str, files: dict[str, str] | None = None, timeout: float = 30.0) -> SynthRequest:
    return SynthRequest(id=name, files=files or FILES, entry="tap.py", timeout=timeout)


def live_workers(sandbox: LocalSandbox) -> set[str]:
    return {f"local:{worker.pid}" for worker in sandbox.stats().workers}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[LocalSandbox]:
    box = LocalSandbox(slots=2, hard_grace=3.0)
    try:
        box.start()
        yield box
    finally:
        box.close()


def test_describe_names_the_toolchain(sandbox: LocalSandbox) -> None:
    facts = sandbox.describe()
    assert facts["sandbox"] == "local"
    assert facts["cdktf"] == "0.21.0" and facts["cdktf-cdktf-provider-aws"] == "21.22.1"
    # A network namespace where the kernel grants one; never a file-system wall, and it says so.
    assert facts["isolation"] in ("network", "none")
    assert "no file-system wall" in facts["isolation_note"]


def test_each_stack_names_the_class_and_file_that_built_it(sandbox: LocalSandbox) -> None:
    regional = STACK.replace("class TapStack", "class RegionalStack")
    tap = (
        "from cdktf import App\n"
        "from lib.tap_stack import TapStack\n"
        "from lib.regional import RegionalStack\n"
        "app = App()\n"
        'TapStack(app, "main")\n'
        'RegionalStack(app, "east")\n'
        'RegionalStack(app, "west")\n'
        "app.synth()\n"
    )
    files = {**FILES, "tap.py": tap, "lib/regional.py": regional}
    result = sandbox.synth(request("classes", files))
    assert result.status is SynthStatus.OK, result.message
    assert result.stack_classes == {
        "main": {"class": "TapStack", "file": "lib/tap_stack.py"},
        "east": {"class": "RegionalStack", "file": "lib/regional.py"},
        "west": {"class": "RegionalStack", "file": "lib/regional.py"},
    }


def test_aws_call_at_synth_time_fails_with_botocore_type(sandbox: LocalSandbox) -> None:
    tap = "import boto3\nboto3.client('sts').get_caller_identity()\n" + TAP
    result = sandbox.synth(request("aws", {**FILES, "tap.py": tap}))
    assert result.status is SynthStatus.ERROR
    assert result.error_type.startswith("botocore.exceptions.")
    assert result.frame is not None and result.frame.line == 2


@pytest.mark.parametrize("name", sorted(APPS))
def test_app_needing_its_environment_stops_the_same_way_in_every_sandbox(
    sandbox: LocalSandbox, name: str
) -> None:
    # tests/sandbox/test_docker.py runs the same apps to the same result.
    env_apps.synth_and_check(sandbox, name)


def test_concurrent_requests_share_the_pool(sandbox: LocalSandbox) -> None:
    results: list[SynthResult] = []
    threads = [
        threading.Thread(target=lambda i=i: results.append(sandbox.synth(request(f"c{i}")))) for i in range(5)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [r.status for r in results] == [SynthStatus.OK] * 5


def test_stats_track_memory_after_many_apps(sandbox: LocalSandbox) -> None:
    for index in range(10):
        assert sandbox.synth(request(f"m{index}")).ok
    stats = sandbox.stats()
    assert sum(worker.apps for worker in stats.workers) >= 10
    for worker in stats.workers:
        assert worker.load_seconds > 0
        assert worker.peak_rss_bytes >= worker.rss_bytes > 100 << 20
        assert stats.peak_rss_bytes >= worker.peak_rss_bytes


def test_app_that_defeats_the_soft_timer_hits_the_hard_limit(sandbox: LocalSandbox) -> None:
    loop = "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    pass\n"
    before = sandbox.stats().timeouts
    result = sandbox.synth(request("hang", {"tap.py": loop}, timeout=2))
    assert result.status is SynthStatus.TIMEOUT and "hard time limit" in result.message
    assert sandbox.stats().timeouts == before + 1
    assert result.worker not in live_workers(sandbox)


def test_os_exit_is_a_crash_and_a_fresh_worker_takes_over(sandbox: LocalSandbox) -> None:
    result = sandbox.synth(request("crash", {"tap.py": "import os\nprint('going down')\nos._exit(3)\n"}))
    assert result.status is SynthStatus.CRASHED
    assert "exited with status 3" in result.message
    assert "going down" in result.output_tail
    assert result.worker not in live_workers(sandbox)
    # Both slots now hold replacements; each must load and serve.
    after = [sandbox.synth(request(f"after-{i}")) for i in range(2)]
    assert all(r.ok for r in after)


def test_worker_that_cannot_start_is_an_infra_error() -> None:
    with LocalSandbox(python="/nonexistent/python", isolate_network=False) as box:
        result = box.synth(request("nope"))
    assert result.status is SynthStatus.INFRA_ERROR and "cannot start" in result.message


def test_closed_sandbox_answers_with_an_infra_error() -> None:
    box = LocalSandbox(isolate_network=False)
    box.close()
    assert box.synth(request("late")).status is SynthStatus.INFRA_ERROR


def test_folders_left_by_dead_sandboxes_are_swept() -> None:
    gone = subprocess.Popen(["true"])  # any process that has finished: its pid is free
    gone.wait(timeout=10)
    stale = Path(tempfile.mkdtemp(prefix=DIR_PREFIX))
    (stale / OWNER_FILE).write_text(f"{gone.pid} {gone.pid}\n")
    LocalSandbox(isolate_network=False).close()
    assert not stale.exists()
