"""Per-answer cost of grading CloudFormation answers, as a batch worker pays it.

One long-lived process: cfn-lint's rules and checkov's server are loaded once (their load time is
reported apart), then every answer of the corpus (the model's and the reference's side of each
task) is graded cold, with no result cache: extraction, layout, cfn-lint and the mapping (the
platform's in-process synth), and every rule, checkov included.

    python scripts/bench_cfn.py                        # ../shared/corpus/dev-cfn-yaml
    python scripts/bench_cfn.py --limit 0.5            # exit 1 when the median is slower
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

from iacgrade.graders.context import GradeContext  # noqa: E402
from iacgrade.graders.registry import load_rules, run_rules  # noqa: E402
from iacgrade.graders.security.scan import run_checkov_files, scan_files_ahead  # noqa: E402
from iacgrade.harness.core.tasks import load_task  # noqa: E402
from iacgrade.harness.pipeline.materialise import build_workspace  # noqa: E402
from iacgrade.harness.platforms.base import SynthSettings  # noqa: E402
from iacgrade.harness.platforms.cfn import lint  # noqa: E402
from iacgrade.harness.platforms.registry import platform_for  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "dev-cfn-yaml"
WARM_TEMPLATE = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=CORPUS)
    parser.add_argument("--limit", type=float, default=0.0, help="fail when the median s/answer exceeds this")
    args = parser.parse_args()
    t0 = time.perf_counter()
    load_rules()
    lint.warm()
    lint_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_checkov_files({"lib/TapStack.yml": WARM_TEMPLATE}, "cloudformation")
    checkov_load = time.perf_counter() - t0
    costs: list[float] = []
    parts: dict[str, list[float]] = {"synth": [], "rules": []}
    for task_dir in sorted(p for p in args.corpus.iterdir() if p.is_dir()):
        task = load_task(task_dir)
        platform = platform_for(task.metadata)
        if platform is None:
            continue
        region = {"AWS_REGION": lint.DEFAULT_REGION}
        for side in ("model", "ideal"):
            start = time.perf_counter()
            ws = build_workspace(task, side, platform)
            synth = None
            scan = platform.scan_input(ws) if ws.has_code else None
            if scan is not None:
                # As the pipeline does (iacgrade/harness/pipeline/grade.py): checkov overlaps cfn-lint.
                scan_files_ahead(scan.files, scan.framework)
            if ws.has_code:
                synth = platform.plan_synth(ws, SynthSettings(env=region, timeout=60), None).in_process()
            synthed = time.perf_counter()
            run_rules(GradeContext(ws, synth, task.metadata, prompt=task.prompt))
            done = time.perf_counter()
            costs.append(done - start)
            parts["synth"].append(synthed - start)
            parts["rules"].append(done - synthed)
    report = {
        "answers": len(costs),
        "load_seconds": {"cfn-lint and rules": round(lint_load, 2), "checkov": round(checkov_load, 2)},
        "seconds_per_answer": {
            "median": round(statistics.median(costs), 3),
            "p90": round(percentile(costs, 0.9), 3),
        },
        "parts_median": {k: round(statistics.median(v), 3) for k, v in parts.items()},
    }
    print(json.dumps(report, indent=2))
    if args.limit and report["seconds_per_answer"]["median"] > args.limit:
        print(
            f"median {report['seconds_per_answer']['median']} s/answer exceeds {args.limit} s",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
