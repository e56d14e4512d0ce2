"""The synth worker on its own: the JSON-lines protocol, the three strategies and app isolation.

One worker, copied alone into a temporary folder (as into a container image), serves the whole
module: starting one costs ~20 s.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from iacgrade.harness.sandbox.local import default_jsii_cache, worker_env
from tests.paths import REPO

pytestmark = pytest.mark.synth

WORKER = REPO / "iacgrade" / "harness" / "platforms" / "cdktf_python" / "worker" / "worker.py"
START_TIMEOUT = 300.0

STACK = """\
from constructs import Construct
from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, id: str):
        super().__init__(scope, id)
        AwsProvider(self, "aws", region="us-east-1")
        S3Bucket(self, "bucket", bucket="{bucket}")
"""

TAP = """\
from cdktf import App
from lib.tap_stack import TapStack

app = App()
TapStack(app, "TapStackdev")
app.synth()
"""


def app_files(tap: str = TAP, stack: str = STACK, bucket: str = "data", **extra: str) -> dict[str, str]:
    return {
        "tap.py": tap,
        "lib/__init__.py": "",
        "lib/tap_stack.py": stack.replace("{bucket}", bucket),
        **extra,
    }


class RawWorker:
    """Talks to a worker process over its pipes, with a deadline on every read."""

    def __init__(self, script: Path, home: Path) -> None:
        self.log = open(home / "worker.log", "wb")  # noqa: SIM115 - closed in close()
        (home / "tmp").mkdir()
        self.proc = subprocess.Popen(
            [sys.executable, str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            cwd=home,
            env=worker_env(home, {}, default_jsii_cache()),
            start_new_session=True,
        )
        self.buffer = b""

    def read(self, timeout: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            assert remaining > 0, "the worker did not answer in time"
            readable, _, _ = select.select([self.proc.stdout], [], [], remaining)
            if readable:
                chunk = os.read(self.proc.stdout.fileno(), 1 << 20)
                assert chunk, "the worker closed its output"
                self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return json.loads(line)

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def synth(self, files: dict[str, str], timeout: float = 30.0, **fields: Any) -> dict[str, Any]:
        request = {"op": "synth", "id": "t", "files": files, "entry": "tap.py", "stack": None, "env": {}}
        request.update(timeout=timeout, **fields)
        self.send(request)
        reply = self.read(timeout + 30)
        assert reply["id"] == "t"
        return reply

    def close(self) -> None:
        try:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)  # the worker and its node kernel
            self.proc.wait(timeout=30)
        finally:
            self.log.close()


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RawWorker, dict[str, Any]]]:
    alone = tmp_path_factory.mktemp("image")
    script = Path(shutil.copy(WORKER, alone / "worker.py"))
    raw = RawWorker(script, tmp_path_factory.mktemp("home"))
    try:
        ready = raw.read(START_TIMEOUT)
        yield raw, ready
    finally:
        raw.close()


def test_ready_line_reports_versions_and_load_time(worker: tuple[RawWorker, dict[str, Any]]) -> None:
    _, ready = worker
    assert ready["op"] == "ready"
    assert ready["versions"]["cdktf"] == "0.21.0"
    assert ready["versions"]["cdktf-cdktf-provider-aws"] == "21.22.1"
    assert ready["load_seconds"] > 0


def test_ping_answers_with_pid(worker: tuple[RawWorker, dict[str, Any]]) -> None:
    raw, _ = worker
    raw.send({"op": "ping"})
    pong = raw.read(10)
    assert pong["op"] == "pong" and pong["pid"] == raw.proc.pid


def test_valid_app_synthesizes_its_bucket(worker: tuple[RawWorker, dict[str, Any]]) -> None:
    raw, _ = worker
    reply = raw.synth(app_files())
    assert reply["status"] == "ok" and reply["strategy"] == "entry"
    assert reply["stacks_strategy"] == "entry"
    assert reply["stacks"]["TapStackdev"]["resource"]["aws_s3_bucket"]["bucket"]["bucket"] == "data"
    assert [a["strategy"] for a in reply["attempts"]] == ["entry"]


def test_missing_provider_class_is_an_import_error_at_its_line(
    worker: tuple[RawWorker, dict[str, Any]],
) -> None:
    raw, _ = worker
    stack = "from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioning\n" + STACK
    reply = raw.synth(app_files(stack=stack))
    assert reply["status"] == "error" and reply["error_type"] == "ImportError"
    assert "S3BucketVersioning" in reply["message"]
    assert reply["frame"]["file"] == "lib/tap_stack.py" and reply["frame"]["line"] == 1
    assert "S3BucketVersioning" in reply["frame"]["code"]
    assert 'File "lib/tap_stack.py", line 1' in reply["traceback"]


def test_wrong_constructor_call_still_yields_the_stack_from_bare(
    worker: tuple[RawWorker, dict[str, Any]],
) -> None:
    raw, _ = worker
    tap = TAP.replace('TapStack(app, "TapStackdev")', 'TapStack(app, "x", environment_suffix="dev")')
    # lib/lambda has no __init__.py: "bare" imports it as a namespace package, which must purge cleanly.
    handler = {"lib/lambda/index.py": "def handler(event, context):\n    return 1\n"}
    reply = raw.synth(app_files(tap=tap, **handler), stack={"module": "lib.tap_stack", "class": "TapStack"})
    assert reply["status"] == "error" and reply["error_type"] == "TypeError"
    assert reply["frame"] == {
        "file": "tap.py",
        "line": 5,
        "code": 'TapStack(app, "x", environment_suffix="dev")',
        "function": "<module>",
    }
    assert [a["strategy"] for a in reply["attempts"]] == ["entry", "scaffold", "bare"]
    assert reply["stacks_strategy"] == "bare"
    assert "aws_s3_bucket" in reply["stacks"]["TapStack"]["resource"]


def test_scaffold_builds_the_stack_when_the_entry_is_broken(worker: tuple[RawWorker, dict[str, Any]]) -> None:
    raw, _ = worker
    stack = STACK.replace("id: str):", "id: str, **kwargs):")
    reply = raw.synth(
        app_files(tap="import lib.tap_stack\nundefined_name\n", stack=stack),
        stack={"module": "lib.tap_stack", "class": "TapStack"},
        env={"ENVIRONMENT_SUFFIX": "pr7"},
    )
    assert reply["error_type"] == "NameError" and reply["frame"]["line"] == 2
    assert reply["stacks_strategy"] == "scaffold"
    assert list(reply["stacks"]) == ["TapStackpr7"]


def test_bare_fills_required_deployment_settings(worker: tuple[RawWorker, dict[str, Any]]) -> None:
    raw, _ = worker
    stack = STACK.replace("id: str):", "id: str, environment_suffix: str):").replace(
        'bucket="{bucket}"', 'bucket=f"data-{environment_suffix}"'
    )
    reply = raw.synth(app_files(tap="raise SystemExit(2)\n", stack=stack), env={"ENVIRONMENT_SUFFIX": "qa"})
    assert reply["error_type"] == "SystemExit" and reply["stacks_strategy"] == "bare"
    assert reply["stacks"]["TapStack"]["resource"]["aws_s3_bucket"]["bucket"]["bucket"] == "data-qa"


def test_bare_builds_a_class_imported_under_two_names_once(
    worker: tuple[RawWorker, dict[str, Any]],
) -> None:
    raw, _ = worker
    # lib/main.py reaches the stack module as `tap_stack` through sys.path, tap.py as
    # `lib.tap_stack`: one class in the source, two class objects in the interpreter.
    second_entry = (
        "import os, sys\nsys.path.append(os.path.dirname(os.path.abspath(__file__)))\n"
        "from tap_stack import TapStack\n"
    )
    files = app_files(tap="import lib.tap_stack\nraise SystemExit(2)\n", **{"lib/main.py": second_entry})
    reply = raw.synth(files)
    assert reply["stacks_strategy"] == "bare"
    assert list(reply["stacks"]) == ["TapStack"]


def test_app_that_never_synthesizes_has_no_stacks(worker: tuple[RawWorker, dict[str, Any]]) -> None:
    raw, _ = worker
    reply = raw.synth(app_files(tap="from cdktf import App\napp = App()\n"))
    assert reply["status"] == "error" and reply["error_type"] == "NoStacks"


def test_syntax_error_points_at_the_offending_line(worker: tuple[RawWorker, dict[str, Any]]) -> None:
    raw, _ = worker
    reply = raw.synth(app_files(stack="class TapStack(:\n    pass\n"))
    assert reply["error_type"] == "SyntaxError"
    assert reply["frame"]["file"] == "lib/tap_stack.py" and reply["frame"]["line"] == 1


def test_second_app_does_not_see_the_first_apps_modules(worker: tuple[RawWorker, dict[str, Any]]) -> None:
    raw, _ = worker
    first = raw.synth(app_files(bucket="first", **{"lib/helpers.py": "VALUE = 1\n"}))
    probe = "import importlib.util\nassert importlib.util.find_spec('lib.helpers') is None\n"
    second = raw.synth(app_files(tap=probe + TAP, bucket="second"))
    assert first["status"] == "ok" and second["status"] == "ok", second["message"]
    bucket = second["stacks"]["TapStackdev"]["resource"]["aws_s3_bucket"]["bucket"]["bucket"]
    assert bucket == "second"


def test_relative_asset_path_resolves_inside_the_workspace(worker: tuple[RawWorker, dict[str, Any]]) -> None:
    raw, _ = worker
    stack = STACK.replace(
        "from cdktf import TerraformStack", "from cdktf import AssetType, TerraformAsset, TerraformStack"
    )
    stack += '        TerraformAsset(self, "code", path="lib/lambda", type=AssetType.ARCHIVE)\n'
    reply = raw.synth(
        app_files(stack=stack, **{"lib/lambda/index.py": "def handler(event, context):\n    return 1\n"})
    )
    assert reply["status"] == "ok", reply["message"]


def test_output_flood_keeps_the_protocol_and_a_short_tail(worker: tuple[RawWorker, dict[str, Any]]) -> None:
    raw, _ = worker
    flood = "import sys\nfor _ in range(50):\n    sys.stdout.write('x' * (1 << 20))\nprint('last words')\n"
    reply = raw.synth(app_files(tap=flood + TAP))
    assert reply["status"] == "ok"
    assert reply["output_tail"].endswith("last words\n")
    assert len(reply["output_tail"]) <= 8 * 1024
    raw.send({"op": "ping"})
    assert raw.read(10)["op"] == "pong"


def test_infinite_loop_times_out_and_the_worker_goes_on(worker: tuple[RawWorker, dict[str, Any]]) -> None:
    raw, _ = worker
    started = time.monotonic()
    reply = raw.synth({"tap.py": "while True:\n    pass\n"}, timeout=3)
    assert reply["status"] == "timeout" and reply["frame"]["file"] == "tap.py"
    assert time.monotonic() - started < 10
    assert reply["recycle"] is False  # pure Python was interrupted: the kernel is still in step
    assert raw.synth(app_files())["status"] == "ok"


def test_an_app_that_leaves_a_process_running_asks_for_a_fresh_worker(
    worker: tuple[RawWorker, dict[str, Any]],
) -> None:
    raw, _ = worker
    assert raw.synth(app_files())["recycle"] is False
    # What a fork bomb that ended in EAGAIN leaves behind: children still running.
    # The child goes by itself a few seconds later.
    leave = "import os, time\nif os.fork() == 0:\n    time.sleep(5)\n    os._exit(0)\n"
    reply = raw.synth(app_files(tap=leave + TAP))
    assert reply["status"] == "ok", reply["message"]
    assert reply["recycle"] is True


@pytest.mark.parametrize("path", ["../../evil.py", "/tmp/evil.py", "lib/../../evil.py"])
def test_paths_leaving_the_workspace_are_refused(worker: tuple[RawWorker, dict[str, Any]], path: str) -> None:
    raw, ready = worker
    reply = raw.synth({**app_files(), path: "print('pwned')\n"})
    assert reply["status"] == "error" and reply["error_type"] == "UnsafePath"
    assert reply["attempts"][0]["strategy"] == "workspace"
    workspace = Path(ready["scratch"]) / "workspace"
    assert not (workspace / path).resolve().exists()
    assert not list(workspace.iterdir())  # nothing of the request was written


def test_end_of_input_ends_the_worker_cleanly(worker: tuple[RawWorker, dict[str, Any]]) -> None:
    # Runs last in this module: it ends the shared worker.
    raw, _ = worker
    assert raw.proc.stdin is not None
    raw.proc.stdin.close()
    assert raw.proc.wait(timeout=30) == 0
