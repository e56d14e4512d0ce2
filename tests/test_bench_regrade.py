"""The re-grade benchmark (`make bench`): it fills its cache, times copies of the tasks graded
from it, and checks every copy's result against the filled run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.paths import REPO


def test_regrade_benchmark_times_copies_graded_from_the_cache(tmp_path: Path) -> None:
    # Tasks built in process (HCL, CloudFormation): no sandbox is needed to fill the cache.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("tf-hcl-logs-bucket", "cfn-orders-queue"):
        (corpus / name).symlink_to(REPO / "tasks" / name)
    out = tmp_path / "regrade.json"
    command = [sys.executable, str(REPO / "scripts" / "bench_regrade.py"), "--corpus", str(corpus)]
    command += ["--tasks", "6", "--cache-dir", str(tmp_path / "cache"), "--output", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    figures = json.loads(out.read_text())
    assert figures["tasks"] == 2 and figures["gradings"] == 6
    assert figures["results_match_fill"] is True
    assert figures["regrade_seconds"] > 0 and figures["projected_1000_seconds"] > 0
    assert "tasks/s" in done.stdout and "1,000 tasks" in done.stdout
    assert list((tmp_path / "cache").rglob("synth/*/*.json"))
