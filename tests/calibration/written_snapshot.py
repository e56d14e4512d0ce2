"""What the written-analysis parser reads from a corpus, as a snapshot the tests compare against.

Each task maps to its document's shape and its items as `[line, severity, title]`, so a change to
the parser shows, task by task, which items it adds, drops or re-rates. Regenerate after a
deliberate change with `python -m tests.calibration.written_snapshot` and read the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

from iacgrade.harness.calibration.written import find_written_analysis, parse_written
from tests.paths import CFN_CORPUS, DEV_CORPUS, TF_HCL_CORPUS

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
CORPORA = {"dev": DEV_CORPUS, "dev-tf-hcl": TF_HCL_CORPUS, "dev-cfn-yaml": CFN_CORPUS}

Snapshot = dict[str, dict[str, object]]


def snapshot(corpus: Path) -> Snapshot:
    """The parsed items of every task's written analysis in `corpus`, by task id."""
    out: Snapshot = {}
    for task_dir in sorted(p for p in corpus.iterdir() if p.is_dir()):
        path = find_written_analysis(task_dir)
        if path is None:
            continue
        parsed = parse_written(path.read_text(encoding="utf-8", errors="replace"))
        out[task_dir.name] = {
            "shape": parsed.shape,
            "items": [[i.line, i.severity.value if i.severity else None, i.title] for i in parsed.items],
        }
    return out


def snapshot_path(name: str) -> Path:
    return SNAPSHOTS / f"written-{name}.json"


def load(name: str) -> Snapshot:
    loaded: Snapshot = json.loads(snapshot_path(name).read_text(encoding="utf-8"))
    return loaded


def write(name: str) -> Path:
    path = snapshot_path(name)
    path.write_text(_dumps(snapshot(CORPORA[name])), encoding="utf-8")
    return path


def _dumps(snap: Snapshot) -> str:
    """JSON with one line per item, so a diff of two snapshots reads item by item."""
    tasks = []
    for task_id, entry in snap.items():
        items = entry["items"]
        assert isinstance(items, list)
        rows = ",\n".join(f"   {json.dumps(i, ensure_ascii=False)}" for i in items)
        body = f"\n{rows}\n  " if rows else ""
        shape = json.dumps(entry["shape"])
        tasks.append(f' {json.dumps(task_id)}: {{\n  "shape": {shape},\n  "items": [{body}]\n }}')
    return "{\n" + ",\n".join(tasks) + "\n}\n"


if __name__ == "__main__":
    for corpus_name in CORPORA:
        print(write(corpus_name))
