"""Hostile answers: one batch of tasks whose model answer attacks the sandbox at synth time.

The tasks live in `tests/hostile/<case>/`; the attack sits in `lib/tap_stack.py` of the model
answer, so it runs while the stack is built. Placeholders in the markdown (`__HOST_TMP__`, a folder
of this test; `__HOST_PORT__`, a listener of this test on the host's loopback; `__TOKEN__`, this
run's marker name) are filled in when the batch is laid out. After every hostile task comes a copy
of the clean example task, so the batch also shows that the next task grades normally. Everything
runs through `iacgrade run`, in one batch per sandbox, as a user would run it.

Each case checks three things: the task got a result that says what happened, nothing outside the
sandbox changed (marker files, the hash of /etc/passwd, the host listener), and the clean task after
it scored 10.

The local sandbox is no wall (see `iacgrade/harness/sandbox/local.py`): its worker runs as this user (root
here) with the host's file system, and with no memory or process limits. So locally only the
cases that cannot harm the machine run:

- fork bomb: no pids limit, so it would fill the machine's process table;
- memory balloon: no memory limit, so it would push the machine into its OOM killer, which may
  pick another user's process;
- writes to / and host paths, reads of /root and /etc/shadow: they would succeed (as root they
  would append to the host's /etc/passwd, and copy the host's password hashes into the report).

They run under docker only, which is the sandbox for untrusted answers.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from iacgrade.harness.platforms.cdktf_python.extract import extract_files
from iacgrade.harness.platforms.cdktf_python.worker.worker import force_remove, remove_tree
from iacgrade.harness.sandbox.local import network_isolation
from tests.paths import HOSTILE, REPO

pytestmark = pytest.mark.docker

CLEAN_TASK = REPO / "tasks" / "clean-s3-static-site"
IACGRADE = Path(sys.executable).with_name("iacgrade")
# Short, so the loop and fork cases end soon; the clean tasks synthesize in well under a second.
TIMEOUT_SECONDS = 5
BATCH_LIMIT_SECONDS = 900
CASES = sorted(p.name for p in HOSTILE.iterdir() if (p / "MODEL_RESPONSE.md").is_file())
UNSAFE_LOCALLY = {"h01-fork-bomb", "h03-memory-balloon", "h05-write-host-paths", "h06-read-secrets"}
LOCAL_CASES = [c for c in CASES if c not in UNSAFE_LOCALLY]
SECRET = "host secret: only readable where the host's files are"


@dataclass
class Batch:
    """One `iacgrade run` over the hostile tasks, and what the host looked like around it."""

    sandbox: str
    out: Path
    host_tmp: Path
    token: str
    exit_code: int
    seconds: float
    output: str
    passwd_before: str
    passwd_after: str
    connections: int

    def result(self, task_id: str) -> dict[str, Any]:
        return dict(json.loads((self.out / task_id / "result.json").read_text()))

    def host_markers(self) -> list[Path]:
        """Files a hostile task tried to leave on the host."""
        candidates = [
            Path(f"/iacgrade-hostile-{self.token}"),
            Path(f"/tmp/iacgrade-hostile-{self.token}"),
            Path(f"/root/iacgrade-hostile-{self.token}"),
            Path(f"/tmp/iacgrade-hostile-{self.token}-abs"),
            self.host_tmp / "written-by-answer",
            self.host_tmp / "written-by-markdown.py",
        ]
        return [p for p in candidates if p.exists()]


def sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def lay_out(batch_dir: Path, cases: list[str], host_tmp: Path, token: str, port: int) -> None:
    """Copy each case (placeholders filled) followed by a copy of the clean task."""
    for case in cases:
        target = batch_dir / case
        shutil.copytree(HOSTILE / case, target)
        model = target / "MODEL_RESPONSE.md"
        model.write_text(
            model.read_text()
            .replace("__HOST_TMP__", str(host_tmp))
            .replace("__HOST_PORT__", str(port))
            .replace("__TOKEN__", token)
        )
        # "<case>-then-clean" sorts right after "<case>" and before the next case.
        shutil.copytree(CLEAN_TASK, batch_dir / f"{case}-then-clean")


def run_batch(tmp: Path, sandbox: str, cases: list[str]) -> Batch:
    token = uuid.uuid4().hex[:12]
    host_tmp = tmp / "host"
    host_tmp.mkdir()
    (host_tmp / "host-secret.txt").write_text(SECRET + "\n")
    batch_dir, out = tmp / "batch", tmp / "out"
    batch_dir.mkdir()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    try:
        lay_out(batch_dir, cases, host_tmp, token, listener.getsockname()[1])
        passwd_before = sha256("/etc/passwd")
        command = [str(IACGRADE), "run", str(batch_dir), "--out", str(out), "--sandbox", sandbox]
        command += ["--jobs", "1", "--no-cache", "--timeout", str(TIMEOUT_SECONDS)]
        started = time.monotonic()
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=BATCH_LIMIT_SECONDS, check=False, cwd=REPO
        )
        seconds = time.monotonic() - started
        connections = 0
        while True:
            try:
                accepted, _ = listener.accept()
            except BlockingIOError:
                break
            accepted.close()
            connections += 1
    finally:
        listener.close()
    return Batch(
        sandbox=sandbox,
        out=out,
        host_tmp=host_tmp,
        token=token,
        exit_code=done.returncode,
        seconds=seconds,
        output=done.stdout + done.stderr,
        passwd_before=passwd_before,
        passwd_after=sha256("/etc/passwd"),
        connections=connections,
    )


def summary(batch: Batch) -> str:
    """One line per task (status, model synth, SYN001, score, timings): the record of the run."""
    rows = [f"{batch.sandbox}: exit {batch.exit_code} in {batch.seconds:.0f} s"]
    for task in sorted(p.name for p in batch.out.iterdir() if (p / "result.json").is_file()):
        result = batch.result(task)
        synth = (result.get("model") or {}).get("synth") or {}
        syn = [f for f in result.get("failures", []) if f.get("rule_id") == "SYN001"]
        rows.append(
            f"  {task}: {result['status']}, score {(result.get('score') or {}).get('value')}, "
            f"model synth {synth.get('status')} {synth.get('error_type')} "
            f"({synth.get('seconds')} s): {synth.get('message', '')[:160]!r}; "
            f"SYN001 {'yes' if syn else 'no'}; timings {result.get('timings')}"
        )
    return "\n".join(rows)


@pytest.fixture(scope="module")
def docker_batch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Batch]:
    from iacgrade.harness.sandbox.image import image_status

    status = image_status()
    if not status.usable:
        pytest.fail(f"the docker sandbox is not usable: {status.message} (run `make image`)")
    batch = run_batch(tmp_path_factory.mktemp("hostile-docker"), "docker", CASES)
    print(summary(batch))
    yield batch


@pytest.fixture(scope="module")
def local_batch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Batch]:
    batch = run_batch(tmp_path_factory.mktemp("hostile-local"), "local", LOCAL_CASES)
    print(summary(batch))
    yield batch


def model_synth(batch: Batch, case: str) -> dict[str, Any]:
    return dict(batch.result(case)["model"]["synth"])


def probe(batch: Batch, case: str) -> dict[str, str]:
    """What a probing answer observed: it raises `RuntimeError("hostile probe: {json}")`."""
    synth = model_synth(batch, case)
    assert synth["status"] == "error" and synth["error_type"] == "RuntimeError", synth
    return dict(json.loads(synth["message"].split("hostile probe: ", 1)[1]))


def syn001(batch: Batch, case: str) -> dict[str, Any]:
    found = [f for f in batch.result(case)["failures"] if f["rule_id"] == "SYN001"]
    assert len(found) == 1, batch.result(case)["failures"]
    return dict(found[0])


# ---- the batch as a whole


@pytest.mark.parametrize("kind", ["docker", "local"])
def test_batch_finishes_and_every_task_has_a_result(kind: str, request: pytest.FixtureRequest) -> None:
    batch: Batch = request.getfixturevalue(f"{kind}_batch")
    cases = CASES if kind == "docker" else LOCAL_CASES
    assert batch.exit_code == 0, batch.output[-3000:]
    for case in cases:
        assert batch.result(case)["status"] == "graded", case
        clean = batch.result(f"{case}-then-clean")
        assert clean["status"] == "graded" and clean["score"]["value"] == 10, (case, clean.get("failures"))
        assert clean["model"]["synth"]["status"] == "ok"


@pytest.mark.parametrize("kind", ["docker", "local"])
def test_nothing_outside_the_sandbox_changed(kind: str, request: pytest.FixtureRequest) -> None:
    batch: Batch = request.getfixturevalue(f"{kind}_batch")
    assert batch.host_markers() == []
    assert batch.passwd_after == batch.passwd_before
    assert (batch.host_tmp / "host-secret.txt").read_text() == SECRET + "\n"


# ---- docker, case by case


def test_fork_bomb_ends_at_a_container_limit(docker_batch: Batch) -> None:
    synth = model_synth(docker_batch, "h01-fork-bomb")
    # Which limit the bomb reaches first varies from run to run: the memory limit (every child
    # copies the pages it touches), or the pids limit, after which the starved worker cannot
    # answer and the container is killed at the hard time limit. Either way the container goes.
    ended = {
        ("crashed", "WorkerOOMKilled"): "OOM-killed",
        ("timeout", "Timeout"): "its container was killed",
        ("error", "BlockingIOError"): "Resource temporarily unavailable",
    }
    assert (synth["status"], synth["error_type"]) in ended, synth
    assert ended[synth["status"], synth["error_type"]] in synth["message"]
    assert syn001(docker_batch, "h01-fork-bomb")
    assert docker_batch.result("h01-fork-bomb")["ideal"]["synth"]["status"] == "ok"


@pytest.mark.parametrize("kind", ["docker", "local"])
def test_infinite_loop_is_a_timeout(kind: str, request: pytest.FixtureRequest) -> None:
    batch: Batch = request.getfixturevalue(f"{kind}_batch")
    synth = model_synth(batch, "h02-infinite-loop")
    assert (synth["status"], synth["error_type"]) == ("timeout", "Timeout")
    assert f"time limit of {TIMEOUT_SECONDS} s" in synth["message"]
    assert synth["frame"]["file"] == "lib/tap_stack.py"
    assert syn001(batch, "h02-infinite-loop")["location"]["path"] == "lib/tap_stack.py"


def test_memory_balloon_is_oom_killed(docker_batch: Batch) -> None:
    synth = model_synth(docker_batch, "h03-memory-balloon")
    assert (synth["status"], synth["error_type"]) == ("crashed", "WorkerOOMKilled"), synth
    assert "OOM-killed" in synth["message"]
    assert syn001(docker_batch, "h03-memory-balloon")


@pytest.mark.parametrize("kind", ["docker", "local"])
def test_stdout_flood_is_kept_to_its_tail(kind: str, request: pytest.FixtureRequest) -> None:
    batch: Batch = request.getfixturevalue(f"{kind}_batch")
    synth = model_synth(batch, "h04-stdout-flood")
    # 200 MB of output is the answer's business: it synthesizes, and only the tail is kept.
    assert synth["status"] == "ok", synth
    assert synth["output_tail"].rstrip().endswith("flood done: 200 MB written to stdout")
    assert len(synth["output_tail"]) <= 8 * 1024
    assert (batch.out / "h04-stdout-flood" / "result.json").stat().st_size < 1_000_000


def test_writes_stay_in_the_container(docker_batch: Batch) -> None:
    seen = probe(docker_batch, "h05-write-host-paths")
    assert seen == {
        "root_fs": "EROFS",
        # Permission is checked before the read-only mount: the answer's user may not write it.
        "etc_passwd": "EACCES",
        "root_home": "EACCES",
        # The container's /tmp is its own tmpfs: the write lands there and goes with the container.
        "host_tmp": "written",
        "test_tmp": "ENOENT",
    }
    assert "hostile probe" in syn001(docker_batch, "h05-write-host-paths")["message"]


def test_secrets_are_not_readable(docker_batch: Batch) -> None:
    seen = probe(docker_batch, "h06-read-secrets")
    assert seen == {
        "root_home": "EACCES",
        "ssh_keys": "EACCES",
        "shadow": "EACCES",
        "docker_socket": "absent",
    }


@pytest.mark.parametrize("kind", ["docker", "local"])
def test_no_network(kind: str, request: pytest.FixtureRequest) -> None:
    batch: Batch = request.getfixturevalue(f"{kind}_batch")
    seen = probe(batch, "h07-network")
    assert batch.connections == 0
    if kind == "local" and network_isolation()[1]:
        pytest.skip(f"the local sandbox has no network isolation here: {network_isolation()[1]}")
    # Its own loopback, not the host's listener: refused in the container, down in a bare namespace.
    assert seen["loopback"] in ("ECONNREFUSED", "ENETUNREACH")
    assert seen["public_dns"] == "ENETUNREACH"
    assert seen["resolve"] == "gaierror"


@pytest.mark.parametrize("kind", ["docker", "local"])
def test_os_exit_is_a_crash(kind: str, request: pytest.FixtureRequest) -> None:
    batch: Batch = request.getfixturevalue(f"{kind}_batch")
    synth = model_synth(batch, "h08-os-exit")
    assert (synth["status"], synth["error_type"]) == ("crashed", "WorkerCrashed"), synth
    assert "exited with status 7" in synth["message"]
    assert syn001(batch, "h08-os-exit")
    assert batch.result("h08-os-exit")["ideal"]["synth"]["status"] == "ok"


@pytest.mark.parametrize("kind", ["docker", "local"])
def test_symlinks_do_not_reach_the_next_answer(kind: str, request: pytest.FixtureRequest) -> None:
    batch: Batch = request.getfixturevalue(f"{kind}_batch")
    seen = probe(batch, "h09-symlink-escape")
    if kind == "docker":
        # The links resolve inside the container: its own /etc, and no host folder at all.
        assert seen["passwd"].startswith("read: root:x:0:0")
        assert seen["host_file"] == "ENOENT"
    else:
        assert seen["host_file"] == f"read: {SECRET}"  # no file-system wall locally, by design
    # The trap (output folders linked to a forged manifest) must not catch the next answer, which
    # runs on the same worker right after: the reference answer of the same task.
    ideal = batch.result("h09-symlink-escape")["ideal"]["synth"]
    assert ideal["status"] == "ok", ideal
    assert sorted(ideal["stacks"]) == ["TapStackdev"]


@pytest.mark.parametrize("kind", ["docker", "local"])
def test_paths_out_of_the_workspace_are_refused(kind: str, request: pytest.FixtureRequest) -> None:
    batch: Batch = request.getfixturevalue(f"{kind}_batch")
    result = batch.result("h10-unsafe-paths")
    answer = sorted(p for p, origin in result["model"]["files"].items() if origin.startswith("answer"))
    assert answer == ["lib/tap_stack.py", "tap.py"]
    assert not any(".." in p or p.startswith("/") for p in result["model"]["files"])
    assert result["score"]["value"] == 10
    markdown = (batch.out.parent / "batch" / "h10-unsafe-paths" / "MODEL_RESPONSE.md").read_text()
    reasons = sorted(s.reason for s in extract_files(markdown).skipped)
    # The paths never reach a workspace or a worker; the reason reaches the result, for a reviewer.
    notes = "\n".join(result["model"]["notes"])
    assert "was not written: unsafe path: ../../etc/passwd" in notes
    assert reasons == sorted(
        [
            "unsafe path: ../../etc/passwd",
            f"unsafe path: /tmp/iacgrade-hostile-{batch.token}-abs",
            "unsafe path: " + f"lib/../../../{batch.host_tmp}/written-by-markdown.py"[:77] + "...",
        ]
    )


# ---- the worker's clean-up, where root (these tests' user) would not meet a read-only folder


def test_forced_removal_never_changes_a_link_target(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("x")
    outside.chmod(0o600)
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "app-1").symlink_to(outside)
    # What rmtree calls when an app made `folder` read-only and the unlink failed.
    force_remove(os.unlink, str(folder / "app-1"), None)
    assert not (folder / "app-1").is_symlink()
    assert stat.S_IMODE(outside.stat().st_mode) == 0o600


def test_remove_tree_takes_links_and_read_only_folders(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target)
    assert remove_tree(str(link)) and target.is_dir()
    tree = tmp_path / "tree" / "entry"
    tree.mkdir(parents=True)
    (tree / "app-1").symlink_to(target)
    tree.chmod(0o555)
    assert remove_tree(str(tmp_path / "tree"))
    assert target.is_dir()
