"""Per-answer cost of grading Terraform HCL answers, in one long-lived process as a batch worker is.

For each model answer of the HCL corpus: extraction and layout, parsing and schema validation
(the platform's in-process synth), then every rule that applies, checkov's scan included. No
result cache is read; checkov starts on the answer's files as soon as they are laid out, as the
pipeline starts it, and overlaps parsing and validation. python-hcl2's grammar, the provider
schema and the warm checkov server are loaded once before timing starts, as they are in a worker
that has graded one answer.

    python scripts/bench_hcl.py                       # ../shared/corpus/dev-tf-hcl
    python scripts/bench_hcl.py --corpus DIR --out bench/hcl.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from iacgrade.graders.context import GradeContext  # noqa: E402 - the repository goes on the path first
from iacgrade.graders.registry import load_rules, run_rules  # noqa: E402
from iacgrade.graders.security.scan import run_checkov_files, scan_files_ahead  # noqa: E402
from iacgrade.harness.core.tasks import discover, load_task  # noqa: E402
from iacgrade.harness.pipeline.materialise import build_workspace  # noqa: E402
from iacgrade.harness.platforms.registry import platform_for  # noqa: E402
from iacgrade.harness.platforms.tf_hcl.model import parse_text  # noqa: E402
from iacgrade.harness.platforms.tf_hcl.platform import synthesize  # noqa: E402
from iacgrade.harness.platforms.tf_hcl.schema import load_schema  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "dev-tf-hcl"
TARGET_SECONDS = 0.5


def _warm_up() -> float:
    start = time.perf_counter()
    parse_text('resource "aws_s3_bucket" "b" {}\n')
    load_schema()
    load_rules()
    run_checkov_files({"main.tf": 'resource "aws_s3_bucket" "b" {}\n'}, "terraform")
    return time.perf_counter() - start


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "hcl.json")
    args = parser.parse_args()
    warm = _warm_up()
    rows: list[dict[str, object]] = []
    for task_dir in discover([args.corpus]):
        task = load_task(task_dir)
        platform = platform_for(task.metadata)
        if platform is None:
            continue
        t0 = time.perf_counter()
        ws = build_workspace(task, "model", platform)
        scan = platform.scan_input(ws) if ws.has_code else None
        if scan is not None:  # as the pipeline does: checkov overlaps parsing and validation
            scan_files_ahead(scan.files, scan.framework)
        t1 = time.perf_counter()
        synth = synthesize(ws.files) if ws.has_code else None
        t2 = time.perf_counter()
        ctx = GradeContext(ws, synth, metadata=task.metadata, prompt=task.prompt)
        run = run_rules(ctx)
        t3 = time.perf_counter()
        rows.append(
            {
                "task": task.id,
                "extract_s": round(t1 - t0, 4),
                "parse_validate_s": round(t2 - t1, 4),
                "rules_s": round(t3 - t2, 4),
                "total_s": round(t3 - t0, 4),
                "findings": len(run.findings),
            }
        )
    totals = [float(r["total_s"]) for r in rows]  # type: ignore[arg-type]
    parse = [float(r["parse_validate_s"]) for r in rows]  # type: ignore[arg-type]
    summary = {
        "answers": len(rows),
        "warm_up_s": round(warm, 3),
        "median_s": round(statistics.median(totals), 3),
        "p90_s": round(_percentile(totals, 0.9), 3),
        "parse_validate_median_s": round(statistics.median(parse), 3),
        "parse_validate_p90_s": round(_percentile(parse, 0.9), 3),
        "target_s": TARGET_SECONDS,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"summary": summary, "answers": rows}, indent=2) + "\n", encoding="utf-8")
    print(
        f"HCL: {summary['answers']} answers, per answer median {summary['median_s']} s, "
        f"p90 {summary['p90_s']} s (parse+validate median {summary['parse_validate_median_s']} s, "
        f"p90 {summary['parse_validate_p90_s']} s); target {TARGET_SECONDS} s; "
        f"warm-up {summary['warm_up_s']} s"
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
