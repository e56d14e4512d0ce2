"""Grading on Ray: a real local Ray instance, warm local workers in actors, and an actor lost mid-task."""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import ray

from iacgrade.harness.batch.executor import ThreadExecutor
from iacgrade.harness.batch.ray import (
    EXIT_ON_TASK_ENV,
    MAX_ATTEMPTS,
    RayExecutor,
    materialize,
    read_task_files,
)
from iacgrade.harness.batch.runner import run_batch
from iacgrade.harness.core.errors import SandboxError
from iacgrade.harness.core.results import TaskResult, TaskStatus
from iacgrade.harness.pipeline.cached import StoredSynth
from iacgrade.harness.pipeline.grade import GradeOptions
from iacgrade.harness.sandbox.local import LocalSandbox
from iacgrade.reports.writers import RUN_FACT_COLUMNS
from tests.paths import TASKS

# Renamed copies, so the run directory's folders cannot be confused with the examples' own.
COPIES = {"clean-s3-static-site": "ray-clean-site", "malformed-missing-model": "ray-malformed"}
# Every column must match a local run's but the timings, which differ by nature.
TIMINGS = list(RUN_FACT_COLUMNS)


@pytest.fixture
def tasks(tmp_path: Path) -> Path:
    root = tmp_path / "tasks"
    for source, name in COPIES.items():
        shutil.copytree(TASKS / source, root / name)
    return root


def ray_executor(jobs: int, sandbox_kind: str = "local", regrade: bool = False) -> RayExecutor:
    return RayExecutor(GradeOptions(), sandbox_kind=sandbox_kind, jobs=jobs, regrade=regrade)


def test_task_files_round_trip(tmp_path: Path) -> None:
    files = read_task_files(TASKS / "clean-s3-static-site")
    assert "MODEL_RESPONSE.md" in files and "metadata.json" in files
    materialize(files, tmp_path / "copy")
    assert read_task_files(tmp_path / "copy") == files


@pytest.mark.parametrize("bad", ["../escape.py", "/etc/passwd", ""])
def test_materialize_refuses_paths_leaving_the_task(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="unsafe path"):
        materialize({bad: b"x"}, tmp_path / "task")


def test_an_unreachable_cluster_fails_fast(tasks: Path, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on once the socket is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SandboxError, match="cannot reach the Ray cluster"):
        unreachable = RayExecutor(sandbox_kind="local", jobs=1, address=f"127.0.0.1:{port}")
        run_batch([tasks], tmp_path / "run", unreachable)
    assert not ray.is_initialized()


@pytest.mark.synth
def test_ray_run_matches_a_local_run(tasks: Path, tmp_path: Path, local_sandbox: LocalSandbox) -> None:
    seen: list[tuple[str, bool]] = []
    summary = run_batch(
        [tasks],
        tmp_path / "ray-run",
        ray_executor(2),
        on_done=lambda r, reused: seen.append((r.task_id, reused)),
    )
    assert not ray.is_initialized()  # the instance it started is gone
    assert sorted(seen) == [("ray-clean-site", False), ("ray-malformed", False)]
    assert summary.total == 2 and summary.graded_now == 2
    by_id = {r.task_id: r for r in summary.results}
    assert by_id["ray-clean-site"].status is TaskStatus.GRADED
    assert by_id["ray-malformed"].status is TaskStatus.INVALID
    for name in COPIES.values():
        stored = TaskResult.model_validate_json((tmp_path / "ray-run" / name / "result.json").read_text())
        assert stored.task_dir == str(tasks / name)  # the user's task, not the actor's temp copy
        assert (tmp_path / "ray-run" / name / "analysis.md").is_file()

    run_batch([tasks], tmp_path / "local-run", ThreadExecutor(local_sandbox, GradeOptions()))
    on_ray = pd.read_csv(tmp_path / "ray-run" / "results.csv").drop(columns=TIMINGS)
    local = pd.read_csv(tmp_path / "local-run" / "results.csv").drop(columns=TIMINGS)
    assert {"status", "score", "critical", "model_synth"} <= set(on_ray.columns)
    pd.testing.assert_frame_equal(on_ray, local)

    again = run_batch([tasks], tmp_path / "ray-run", ray_executor(2))
    assert again.skipped == 2 and again.graded_now == 0
    assert not ray.is_initialized()  # nothing to grade: Ray was never started


@pytest.mark.synth
def test_a_lost_actor_is_replaced_and_its_task_graded(
    tasks: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Read by the actors, which inherit the environment of the Ray instance the run starts.
    monkeypatch.setenv(EXIT_ON_TASK_ENV, "ray-clean-site")
    caplog.set_level(logging.WARNING, logger="iacgrade.harness.batch.ray")
    summary = run_batch([tasks], tmp_path / "run", ray_executor(1))
    assert any("ray-clean-site died (attempt 1)" in m for m in caplog.messages)
    by_id = {r.task_id: r for r in summary.results}
    assert by_id["ray-clean-site"].status is TaskStatus.GRADED
    assert by_id["ray-malformed"].status is TaskStatus.INVALID
    rows = pd.read_csv(tmp_path / "run" / "results.csv")
    assert sorted(rows["task_id"]) == ["ray-clean-site", "ray-malformed"]


@pytest.mark.synth
def test_a_task_that_kills_every_actor_is_given_up_and_the_batch_goes_on(
    tasks: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(EXIT_ON_TASK_ENV, "ray-clean-site:always")
    summary = run_batch([tasks], tmp_path / "run", ray_executor(1))
    by_id = {r.task_id: r for r in summary.results}
    lost = by_id["ray-clean-site"]
    assert lost.status is TaskStatus.INFRA_ERROR
    assert f"died {MAX_ATTEMPTS} times" in lost.reason
    assert by_id["ray-malformed"].status is TaskStatus.INVALID
    # infra_error is never final: a resumed run tries the task again (here it grades).
    monkeypatch.delenv(EXIT_ON_TASK_ENV)
    again = run_batch([tasks], tmp_path / "run", ray_executor(1))
    assert again.graded_now == 1 and again.skipped == 1
    assert {r.task_id: r for r in again.results}["ray-clean-site"].status is TaskStatus.GRADED


@pytest.mark.synth
def test_regrade_on_ray_grades_from_stored_synth_output_without_a_sandbox(
    tasks: Path, tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    graded = {r.task_id: r for r in run_batch([tasks], run_dir, ray_executor(1)).results}["ray-clean-site"]
    assert graded.status is TaskStatus.GRADED and graded.sandbox.get("sandbox") == "local"
    # As if graded by other rule versions, which is what --regrade redoes.
    result_path = run_dir / "ray-clean-site" / "result.json"
    older = graded.model_copy(update={"versions": {**graded.versions, "rules": "SYN001@0"}})
    result_path.write_text(older.model_dump_json())
    malformed_stamp = (run_dir / "ray-malformed" / "result.json").stat().st_mtime_ns
    # Nothing stored for this one: regrading reports it instead of synthesizing it.
    shutil.copytree(tasks / "ray-clean-site", tasks / "ray-never-graded")
    on_threads = tmp_path / "threads"
    shutil.copytree(run_dir, on_threads)

    # No cache: the synth output can only come from the stored result.json, shipped to the actor.
    cli = [
        sys.executable,
        "-m",
        "iacgrade.harness.cli",
        "run",
        str(tasks),
        "--out",
        str(run_dir),
        "--regrade",
    ]
    proc = subprocess.run(
        [*cli, "--executor", "ray", "--sandbox", "local", "--no-cache"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 3, proc.stderr  # the never-graded task is an infra_error
    assert "2 graded now (1 Ray actor" in proc.stderr
    regraded = TaskResult.model_validate_json(result_path.read_text())
    assert regraded.sandbox == {"sandbox": "stored"}  # StoredSynth: no worker started for it
    assert regraded.model is not None and regraded.model.synth is not None
    assert regraded.model.synth.worker.startswith("cache:")
    assert regraded.versions["rules"] == graded.versions["rules"]
    assert regraded.failures == graded.failures and regraded.score == graded.score
    assert regraded.task_dir == str(tasks / "ray-clean-site")
    never = TaskResult.model_validate_json((run_dir / "ray-never-graded" / "result.json").read_text())
    assert never.status is TaskStatus.INFRA_ERROR and "no stored synth output" in never.reason
    assert (run_dir / "ray-malformed" / "result.json").stat().st_mtime_ns == malformed_stamp

    # The same regrade on threads ends with the same table.
    run_batch([tasks], on_threads, ThreadExecutor(StoredSynth(None, []), GradeOptions()))
    on_ray = pd.read_csv(run_dir / "results.csv").drop(columns=TIMINGS)
    pd.testing.assert_frame_equal(on_ray, pd.read_csv(on_threads / "results.csv").drop(columns=TIMINGS))
    assert sorted(on_ray["task_id"]) == ["ray-clean-site", "ray-malformed", "ray-never-graded"]


@pytest.mark.docker
def test_ray_actors_can_grade_in_the_docker_sandbox(tasks: Path, tmp_path: Path) -> None:
    summary = run_batch([tasks], tmp_path / "run", ray_executor(1, "docker"))
    by_id = {r.task_id: r for r in summary.results}
    graded = by_id["ray-clean-site"]
    assert graded.status is TaskStatus.GRADED, graded.reason
    assert graded.sandbox.get("sandbox") == "docker"
    assert graded.model and graded.model.synth and graded.model.synth.worker.startswith("docker:")
    assert graded.score is not None and graded.score.value == 10


@pytest.mark.parametrize(
    "args",
    [
        ["--executor", "bogus"],
        ["--address", "127.0.0.1:6379"],
    ],
)
def test_cli_refuses_executor_misuse(args: list[str], tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "iacgrade.harness.cli",
            "run",
            str(TASKS),
            "--out",
            str(tmp_path / "o"),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert not (tmp_path / "o").exists()
