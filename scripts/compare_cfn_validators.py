"""cfn-lint against cloudformation-validate on a CloudFormation corpus: which to validate with.

For each task: the model's template (as the platform extracts it) and the reference's are run
through both validators in this process, each loaded once. Reported per validator:
- errors on references (the references were deployed: an error there is a false Critical);
- model answers with an error;
- recall of the reviewers' written Critical items (lib/MODEL_FAILURES.md, as `iacgrade
  calibrate` parses them): an item counts as found when an error names a resource or property
  the item's text or quoted code names;
- seconds per template (median, p90), load time apart.

    python scripts/compare_cfn_validators.py ../shared/corpus/dev-cfn-yaml

cloudformation-validate is not a dependency of iacgrade: install it to run this comparison
(`pip install cloudformation-validate`).
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from iacgrade.harness.calibration.written import WrittenItem, parse_written
from iacgrade.harness.core.findings import Severity
from iacgrade.harness.core.tasks import load_task
from iacgrade.harness.pipeline.materialise import build_workspace
from iacgrade.harness.platforms.cfn import lint
from iacgrade.harness.platforms.cfn.templates import templates_of
from iacgrade.harness.platforms.registry import platform_for


@dataclass(frozen=True)
class Error:
    address: str
    prop: str
    code: str


Validator = Callable[[str, str], list[Error]]


def cfn_lint_errors(path: str, text: str) -> list[Error]:
    found, parse = lint.lint(path, text)
    return [
        Error(d.address, d.detail.get("path", "").rsplit("/", 1)[-1], d.code)
        for d in [*found, *parse]
        if d.level == "error"
    ]


def validate_errors() -> Validator:
    from cloudformation_validate import CompositeEngine, TemplateContent  # type: ignore[import-not-found]

    engine = CompositeEngine()

    def run(path: str, text: str) -> list[Error]:
        report = engine.validate_template(TemplateContent(text, path))
        out = []
        for d in report.diagnostics:
            if d.severity.name not in ("ERROR", "FATAL"):
                continue
            entity = getattr(d, "entity", None)
            prop = str(getattr(d, "property_path", "") or "")
            out.append(
                Error(str(getattr(entity, "logical_id", "") or ""), prop.rsplit(".", 1)[-1], d.rule_id)
            )
        return out

    return run


def recalled(item: WrittenItem, errors: list[Error]) -> bool:
    text = " ".join([item.text, *item.inline_code, *item.quoted_code])
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9]{2,}", text))
    return any((e.address and e.address in words) or (e.prop and e.prop in words) for e in errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    args = parser.parse_args()
    t0 = time.perf_counter()
    lint.warm()
    validators: dict[str, tuple[Validator, float]] = {"cfn-lint": (cfn_lint_errors, time.perf_counter() - t0)}
    t0 = time.perf_counter()
    try:
        validators["cloudformation-validate"] = (validate_errors(), time.perf_counter() - t0)
    except ImportError as exc:
        print(f"cloudformation-validate is not installed: {exc}")
    stats = {name: {"ref": 0, "refs": set(), "model": 0, "hit": 0, "times": []} for name in validators}
    critical = 0
    for task_dir in sorted(p for p in args.corpus.iterdir() if p.is_dir()):
        try:
            task = load_task(task_dir)
        except Exception as exc:  # noqa: BLE001 - a task that does not load is reported, not fatal
            print(f"{task_dir.name}: not loaded ({exc})")
            continue
        platform = platform_for(task.metadata)
        if platform is None:
            continue
        items = [
            i for i in parse_written(task.written_analysis or "").items if i.severity is Severity.CRITICAL
        ]
        critical += len(items)
        for side in ("ideal", "model"):
            ws = build_workspace(task, side, platform)
            paths = templates_of(ws) if ws.has_code else []
            for name, (validate, _) in validators.items():
                errors: list[Error] = []
                for path in paths:
                    start = time.perf_counter()
                    errors += validate(path, ws.files[path])
                    stats[name]["times"].append(time.perf_counter() - start)
                if side == "ideal" and errors:
                    stats[name]["ref"] += len(errors)
                    stats[name]["refs"].add(task.id)
                if side == "model":
                    stats[name]["model"] += bool(errors)
                    stats[name]["hit"] += sum(recalled(i, errors) for i in items)
    print(f"written Critical items: {critical}")
    print(
        "| validator | errors on references (tasks) | model answers with an error | Critical items found |"
        " s/template median | p90 | load s |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, s in stats.items():
        times = sorted(s["times"])
        p90 = times[int(len(times) * 0.9)] if times else 0.0
        refs = f"{s['ref']} ({len(s['refs'])}: {', '.join(sorted(s['refs']))})"
        speed = f"{statistics.median(times):.3f} | {p90:.3f} | {validators[name][1]:.2f}"
        print(f"| {name} | {refs} | {s['model']} | {s['hit']}/{critical} | {speed} |")


if __name__ == "__main__":
    main()
