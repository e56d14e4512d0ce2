"""Re-grading the same inputs gives the same results: seeded draws, a fixed clock, no worker paths.

Unit tests of iacgrade/harness/platforms/cdktf_python/worker/worker_lib/determinism.py and scrub.py; a synth
test
through two fresh local workers; and a corpus test that grades the dev corpus (every third task unless
IACGRADE_DETERMINISM_TASKS says otherwise) twice and compares every output.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from iacgrade.graders.context import GradeContext, Settings
from iacgrade.harness.core.results import RUN_FACTS, without_run_facts
from iacgrade.harness.core.synth import SynthResult
from iacgrade.harness.pipeline.cache import synth_key
from iacgrade.harness.platforms.cdktf_python.worker.worker_lib.determinism import (
    reproducible,
    seed_for,
    set_mtimes,
)
from iacgrade.harness.platforms.cdktf_python.worker.worker_lib.scrub import Scrubber
from iacgrade.harness.sandbox.base import SynthRequest
from iacgrade.harness.sandbox.local import LocalSandbox
from iacgrade.reports.writers import FINDINGS_CSV_NAME, RESULTS_CSV_NAME, RUN_FACT_COLUMNS
from tests.paths import DEV_CORPUS, REPO

CORPUS = DEV_CORPUS
CLOCK = "2025-10-14"
CLOCK_EPOCH = 1760400000.0  # 2025-10-14T00:00:00Z


def draws() -> dict[str, Any]:
    """One of everything an answer may draw at synth time."""
    from datetime import datetime  # as answers write it: after the clock is fixed

    return {
        "random": [random.random(), random.randint(0, 10**6), random.choice("abcdef")],
        "uuid4": str(uuid.uuid4()),
        "uuid1": str(uuid.uuid1()),
        "token": secrets.token_hex(8),
        "urlsafe": secrets.token_urlsafe(8),
        "choice": secrets.choice("abcdefghij"),
        "below": secrets.randbelow(1000),
        "urandom": os.urandom(4).hex(),
        "system": random.SystemRandom().random(),
        "temp_name": os.path.basename(tempfile.NamedTemporaryFile(delete=True).name),
        "now": datetime.now().isoformat(),
        "time": time.time(),
        "stamp": time.strftime("%Y%m%d%H%M"),
    }


# --------------------------------------------------------------------------------------------
# the determinism module


def test_the_same_seed_draws_the_same_values() -> None:
    with reproducible(7, CLOCK):
        first = draws()
    with reproducible(7, CLOCK):
        second = draws()
    assert first == second


def test_another_seed_draws_other_values() -> None:
    with reproducible(7, CLOCK):
        first = draws()
    with reproducible(8, CLOCK):
        second = draws()
    different = {k for k in first if first[k] != second[k]}
    # The clock is the same; every random draw differs.
    assert different == set(first) - {"now", "time", "stamp"}


def test_the_clock_is_fixed_at_midnight_utc_of_the_date() -> None:
    with reproducible(1, CLOCK):
        assert time.time() == CLOCK_EPOCH
        assert time.time_ns() == int(CLOCK_EPOCH) * 10**9
        assert dt.datetime.now(dt.UTC) == dt.datetime(2025, 10, 14, tzinfo=dt.UTC)
        assert dt.datetime.utcnow() == dt.datetime(2025, 10, 14)
        assert dt.date.today() == dt.date(2025, 10, 14)
        assert time.strftime("%Y-%m-%d", time.gmtime()) == CLOCK
        # A fixed clock does not tick: an answer's timestamps are the same on every run.
        assert time.time() == CLOCK_EPOCH


def test_dates_made_under_the_clock_are_real_dates() -> None:
    """The jsii kernel sends a value to node as a date when `isinstance(v, datetime.datetime)`."""
    with reproducible(1, CLOCK):
        now = dt.datetime.now()
        made = dt.datetime(2020, 1, 2)
        assert isinstance(now, dt.datetime) and isinstance(made, dt.date)
        assert isinstance(dt.datetime(2020, 1, 2, tzinfo=dt.UTC), dt.datetime)
        assert issubclass(dt.datetime, dt.date)
        assert (made + dt.timedelta(days=1)).isoformat() == "2020-01-03T00:00:00"
    assert isinstance(now, dt.datetime) and isinstance(made, dt.datetime)


def test_everything_is_put_back_afterwards() -> None:
    real = (dt.datetime, dt.date, uuid.uuid4, uuid.uuid1, os.urandom, time.time, secrets.token_hex)
    random.seed(99)
    expected = random.random()
    random.seed(99)
    with reproducible(1, CLOCK):
        from datetime import datetime as captured

        random.random()
    assert (dt.datetime, dt.date, uuid.uuid4, uuid.uuid1, os.urandom, time.time, secrets.token_hex) == real
    # The module-level generator continues where it was, as if nothing had drawn from it.
    assert random.random() == expected
    assert abs(time.time() - dt.datetime.now().timestamp()) < 5
    assert time.time() > CLOCK_EPOCH + 86400
    # A class an app kept (a toolchain module it imported first) tells the real time again.
    assert captured.now().date() != dt.date(2025, 10, 14)
    assert uuid.uuid4() != uuid.uuid4()


def test_the_seed_is_a_digest_of_the_answer() -> None:
    files = {"tap.py": "print(1)\n", "lib/tap_stack.py": "X = 1\n"}
    assert seed_for(files) == seed_for(dict(reversed(files.items())))
    assert seed_for(files) != seed_for({**files, "lib/tap_stack.py": "X = 2\n"})
    assert seed_for(files) != seed_for({"tap.py": "print(1)\n", "lib/other.py": "X = 1\n"})
    assert seed_for(files) != seed_for(files, {"lambda.zip": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="})
    assert 0 <= seed_for(files) < 2**63


def test_workspace_files_take_the_clock_as_their_time(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "handler.py").write_text("x = 1\n")
    set_mtimes(str(tmp_path), CLOCK)
    assert (tmp_path / "lib" / "handler.py").stat().st_mtime == CLOCK_EPOCH
    assert (tmp_path / "lib").stat().st_mtime == CLOCK_EPOCH


# --------------------------------------------------------------------------------------------
# paths


SCRUBBER = Scrubber(
    "/tmp/iacgrade-local-ab/tmp/iacgrade-worker-cd/workspace",
    "/tmp/iacgrade-local-ab/tmp/iacgrade-worker-cd/out",
    ["/tmp/iacgrade-local-ab/tmp/iacgrade-worker-cd/tmp", "/tmp/iacgrade-local-ab/tmp/iacgrade-worker-cd"],
    ["/tmp/iacgrade-local-ab/tmp", "/tmp/iacgrade-local-ab"],
    "/tmp/iacgrade-local-ab/tmp/tmpk3rn",
    ["/opt/venv/lib/python3.11/site-packages", "/opt/python/lib/python3.11"],
)
WORKER = "/tmp/iacgrade-local-ab/tmp/iacgrade-worker-cd"


@pytest.mark.parametrize(
    ("text", "relative", "absolute"),
    [
        (f"stat '{WORKER}/workspace/lambda.zip'", "stat 'lambda.zip'", "stat '/workspace/lambda.zip'"),
        (f"cwd {WORKER}/workspace.", "cwd /workspace.", "cwd /workspace."),
        (
            f"{WORKER}/out/repaired-entry/app-2/stacks/a",
            "cdktf.out/stacks/a",
            "/workspace/cdktf.out/stacks/a",
        ),
        (f"-t {WORKER}/tmp/tmpx1y2z3ab", "-t /tmp/tmpx1y2z3ab", "-t /tmp/tmpx1y2z3ab"),
        (
            "at /tmp/iacgrade-local-ab/tmp/tmpk3rn/lib/program.js:1",
            "at /tmp/jsii-runtime/lib/program.js:1",
            None,
        ),
        ("/tmp/iacgrade-local-ab/.cache/pip", "/tmp/.cache/pip", "/tmp/iacgrade-local-ab/.cache/pip"),
        (
            "from 'cdktf' (/opt/venv/lib/python3.11/site-packages/cdktf/__init__.py)",
            "from 'cdktf' (cdktf/__init__.py)",
            "from 'cdktf' (/opt/venv/lib/python3.11/site-packages/cdktf/__init__.py)",
        ),
        ('File "/opt/python/lib/python3.11/subprocess.py"', 'File "subprocess.py"', None),
        (
            "at /tmp/iacgrade-local-ab/tmp/jsii-kernel-Fw6tc4/node_modules/cdktf/lib/x.js:5",
            "at /tmp/jsii-kernel/node_modules/cdktf/lib/x.js:5",
            None,
        ),
        # Only the worker's folders: another path that shares a prefix is the answer's own.
        (f"/var{WORKER}/workspace/x {WORKER}/workspacex", f"/var{WORKER}/workspace/x /tmp/workspacex", None),
    ],
)
def test_worker_folders_leave_no_trace(text: str, relative: str, absolute: str | None) -> None:
    assert SCRUBBER.text(text) == relative
    if absolute is not None:
        assert SCRUBBER.text(text, absolute=True) == absolute


def test_a_system_temp_dir_that_prefixes_the_workspace_name_is_no_prefix_of_it() -> None:
    # The docker sandbox's TMPDIR is /work: `/workspace/...` must come out as it went in.
    scrub = Scrubber("/work/iacgrade-worker-x/workspace", "/work/iacgrade-worker-x/out", [], ["/work"])
    assert (
        scrub.text("/work/iacgrade-worker-x/workspace/a /workspace/b /work/c /work")
        == "a /workspace/b /tmp/c /work"
    )
    assert scrub.value({"/work/iacgrade-worker-x/workspace/k": ["/work/c"]}, absolute=True) == {
        "/workspace/k": ["/work/c"]
    }


def test_the_host_rebuilds_the_workers_scrubber() -> None:
    text = f"{WORKER}/workspace/tap.py and /tmp/iacgrade-local-ab/tmp/tmpk3rn/lib/program.js"
    assert Scrubber.from_description(SCRUBBER.describe()).text(text) == SCRUBBER.text(text)
    assert Scrubber.from_description(None).text(text) == text


# --------------------------------------------------------------------------------------------
# the clock through the pipeline


def test_the_clock_is_part_of_the_synth_key() -> None:
    request = SynthRequest(id="t:model", files={"tap.py": ""}, clock="2025-10-14")
    assert synth_key(request, "local:x") != synth_key(
        SynthRequest(id="t:model", files={"tap.py": ""}, clock="2025-10-15"), "local:x"
    )
    assert request.to_message()["clock"] == "2025-10-14"


def test_rules_judge_at_the_date_the_pipeline_sets() -> None:
    from iacgrade.harness.core.workspace import Workspace

    ws = Workspace("t", "model", {}, {}, "", "", None, None, has_code=False)
    metadata = {"startedAt": "2025-03-01T10:00:00Z"}
    assert GradeContext(ws, None, metadata).judged_at == dt.date(2025, 3, 1)
    settings = Settings(judged_at="2024-12-31")
    assert GradeContext(ws, None, metadata, settings).judged_at == dt.date(2024, 12, 31)


def test_run_facts_are_left_out_and_nothing_else() -> None:
    synth = {"status": "ok", "seed": 3, "clock": CLOCK, "seconds": 1.2, "worker": "local:12"}
    data = {
        "task_id": "t",
        "timings": {"total": 3.0},
        "sandbox": {"sandbox": "local"},
        "model": {"side": "model", "synth": dict(synth), "findings": [{"seconds": 1}]},
        "ideal": None,
    }
    kept = without_run_facts(data)
    assert kept == {
        "task_id": "t",
        "model": {
            "side": "model",
            "synth": {"status": "ok", "seed": 3, "clock": CLOCK},
            "findings": [{"seconds": 1}],
        },
        "ideal": None,
    }
    assert data["model"]["synth"] == synth  # the input is left alone
    assert {"timings", "sandbox", "seconds", "worker"} == RUN_FACTS
    # An answer's unit-test run is timed too.
    run = {"ran": True, "seconds": 2.0}
    tested = {**data, "model": {"side": "model", "synth": {"status": "ok", "tests": run}}}
    assert without_run_facts(tested)["model"]["synth"]["tests"] == {"ran": True}


def test_pytests_duration_is_not_part_of_a_test_runs_output() -> None:
    tail = "E   SyntaxError: invalid syntax\nERROR test/test_main.py\n1 error in 0.36s\n"
    result = SynthResult.from_reply({"status": "ok", "tests": {"ran": True, "output_tail": tail}})
    assert result.tests is not None
    assert result.tests.output_tail.endswith("ERROR test/test_main.py\n1 error\n")


# --------------------------------------------------------------------------------------------
# a real worker


DRAWING_APP = """\
import datetime
import os
import random
import tempfile
import uuid
import zipfile

from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket

app = App()
stack = TerraformStack(app, "drawing")
AwsProvider(stack, "aws", region="us-east-1")
suffix = "".join(random.choices("abcdefghij", k=6))
scratch = tempfile.mkdtemp()
with open(os.path.join(scratch, "index.py"), "w") as handle:
    handle.write("def handler(event, context):\\n    return 1\\n")
archive = os.path.abspath("lambda.zip")
with zipfile.ZipFile(archive, "w") as bundle:
    bundle.write(os.path.join(scratch, "index.py"), "index.py")
    bundle.write("lib/handler.py", "handler.py")
S3Bucket(
    stack,
    f"bucket-{suffix}",
    bucket=f"data-{uuid.uuid4().hex[:8]}",
    tags={
        "Created": datetime.datetime.now().isoformat(),
        "Scratch": scratch,
        "Archive": archive,
        "Size": str(os.path.getsize(archive)),
    },
)
app.synth()
raise RuntimeError(f"built {archive} from {scratch}")
"""


@pytest.mark.synth
def test_an_app_that_draws_synthesizes_the_same_on_two_fresh_workers() -> None:
    """Two workers with folders of their own: the same answer gives the same reply, and names
    neither worker's folders."""
    files = {"tap.py": DRAWING_APP, "lib/__init__.py": "", "lib/handler.py": "X = 1\n"}
    request = SynthRequest(id="draw:model", files=files, entry="tap.py", clock=CLOCK, timeout=60)
    # A worker serves one app, then a fresh one takes the next.
    with LocalSandbox(slots=1, recycle_after=1) as sandbox:
        first = sandbox.synth(request)
        second = sandbox.synth(request)
    assert first.worker != second.worker
    assert first.status == "error" and first.error_type == "RuntimeError"
    facts = {"seconds", "worker"}
    assert first.model_dump(mode="json", exclude=facts) == second.model_dump(mode="json", exclude=facts)
    assert (first.seed, first.clock) == (seed_for(files), CLOCK)
    # The stacks still come out of the entry: the error is raised after synth.
    bucket = next(iter(first.stacks["drawing"]["resource"]["aws_s3_bucket"].values()))
    assert bucket["tags"]["Created"] == "2025-10-14T00:00:00"
    assert bucket["tags"]["Archive"] == "/workspace/lambda.zip"
    assert bucket["tags"]["Scratch"].startswith("/tmp/tmp")
    assert first.message == f"built lambda.zip from {bucket['tags']['Scratch']}"
    text = json.dumps(first.model_dump(mode="json"))
    assert "iacgrade-worker" not in text and "iacgrade-local" not in text


# --------------------------------------------------------------------------------------------
# the dev corpus, graded twice


def _corpus_tasks() -> list[Path]:
    if not CORPUS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"the dev corpus is missing at {CORPUS}: CI must run this test")
        pytest.skip(f"corpus not found at {CORPUS}")
    tasks = sorted(p for p in CORPUS.iterdir() if p.is_dir())
    # Every third task by default: two no-cache gradings of the whole corpus cost five minutes of
    # the suite, and a third of it (12 tasks) still covers answers that synthesize, fail, need
    # repairs and run unit tests. IACGRADE_DETERMINISM_TASKS=all grades every task, a number the first n.
    limit = os.environ.get("IACGRADE_DETERMINISM_TASKS", "")
    if limit == "all":
        return tasks
    return tasks[: int(limit)] if limit else tasks[::3]


def _grade(tasks: list[Path], out: Path, hash_seed: str) -> None:
    jobs = os.environ.get("IACGRADE_DETERMINISM_JOBS", "2")
    # Another hash seed for each run: an output that follows set order would differ.
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "iacgrade.harness.cli", "run", *map(str, tasks), "--out", str(out)]
    command += ["--jobs", jobs, "--sandbox", "local", "--no-cache"]
    done = subprocess.run(
        command, env=env, cwd=REPO, capture_output=True, text=True, timeout=3600, check=False
    )
    # Exit 1 means some task failed to grade or scored low; the outputs are still all there.
    assert done.returncode in (0, 1), done.stderr[-2000:]


def _csv_rows(path: Path, facts: tuple[str, ...] = ()) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [{k: v for k, v in row.items() if k not in facts} for row in csv.DictReader(handle)]


@pytest.mark.corpus
@pytest.mark.synth
def test_grading_the_dev_corpus_twice_gives_the_same_outputs(tmp_path: Path) -> None:
    tasks = _corpus_tasks()
    first, second = tmp_path / "first", tmp_path / "second"
    _grade(tasks, first, "1")
    _grade(tasks, second, "2")
    differ: list[str] = []
    for task in tasks:
        a, b = first / task.name, second / task.name
        result_a = without_run_facts(json.loads((a / "result.json").read_text()))
        result_b = without_run_facts(json.loads((b / "result.json").read_text()))
        if json.dumps(result_a, indent=1) != json.dumps(result_b, indent=1):
            differ.append(f"{task.name}/result.json")
        if (a / "analysis.md").read_bytes() != (b / "analysis.md").read_bytes():
            differ.append(f"{task.name}/analysis.md")
    assert differ == []
    assert _csv_rows(first / RESULTS_CSV_NAME, RUN_FACT_COLUMNS) == _csv_rows(
        second / RESULTS_CSV_NAME, RUN_FACT_COLUMNS
    )
    assert _csv_rows(first / FINDINGS_CSV_NAME) == _csv_rows(second / FINDINGS_CSV_NAME)
    assert len(_csv_rows(first / RESULTS_CSV_NAME)) == len(tasks)
