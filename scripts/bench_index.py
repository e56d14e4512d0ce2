"""Measure the provider API index: the cold load a fresh grader pays, lookups, and (optionally) a build.

Each load runs in a fresh interpreter, as a grading process would, and times finding the
assemblies plus reading the cached index (the build is done first if the cache is empty).

    python scripts/bench_index.py            # 5 cold loads, median and max
    python scripts/bench_index.py --build    # also rebuild into a temporary cache and time it
    python scripts/bench_index.py --limit 1.0  # exit 1 when the median load is slower than this
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_PROBE = """
import json, time
start = time.perf_counter()
from iacgrade.harness.platforms.cdktf_python.provider_api import load_index
index = load_index()
loaded = time.perf_counter()
route_table = index.lookup("cdktf_cdktf_provider_aws.route_table", "RouteTable")
index.signature(route_table)
index.suggest_name("cdktf_cdktf_provider_aws.s3_bucket_versioning", "S3BucketVersioning")
done = time.perf_counter()
print(json.dumps({"load": loaded - start, "lookups": done - loaded, "types": index.count}))
"""


def probe(env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--build", action="store_true", help="also time a build into an empty cache")
    parser.add_argument(
        "--limit", type=float, default=None, help="fail when the median load exceeds this (s)"
    )
    args = parser.parse_args()
    env = dict(os.environ)
    if args.build:
        with tempfile.TemporaryDirectory() as cache:
            start = time.perf_counter()
            probe({**env, "IACGRADE_CACHE": cache})
            print(f"build (read assemblies, write cache): {time.perf_counter() - start:.1f} s")
    probe(env)  # make sure the cache exists before timing loads
    runs = [probe(env) for _ in range(args.runs)]
    loads = [r["load"] for r in runs]
    median = statistics.median(loads)
    print(
        f"index load (fresh process, {int(runs[0]['types'])} types): median {median * 1000:.0f} ms, "
        f"max {max(loads) * 1000:.0f} ms over {args.runs} runs; "
        f"first lookups {statistics.median(r['lookups'] for r in runs) * 1000:.1f} ms"
    )
    if args.limit is not None and median > args.limit:
        print(f"slower than the limit of {args.limit:.2f} s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
