"""The rule cases' saved synth results, made by the real synth: write them, and tell when they drift.

A case's `synth.json` is what the local sandbox answers for its `files/`, cut to what the rules
read (`STORED_FIELDS`): the worker's reply is deterministic (seeded draws, a fixed clock, no
machine paths), so synthesizing the files again must give the same. `tests/graders/test_rule_synth_drift.py`
checks that; this module rewrites them:

    python -m tests.rule_synth                 # every case that has a synth.json
    python -m tests.rule_synth AWS005/fails    # these cases (a case without one gets its first)
    make fixtures-synth [CASES="AWS005/fails"]

A case whose synth.json the real synth cannot produce (an error no runnable answer raises)
says so in its case.toml, `synth = "hand-made: <why>"`: it is never rewritten, and the drift
test skips it by name.
"""

from __future__ import annotations

import difflib
import json
import sys
from typing import Any

from iacgrade.harness.core.synth import SynthResult
from iacgrade.harness.pipeline.grade import GradeOptions, synth_plan
from iacgrade.harness.platforms.base import Reference
from iacgrade.harness.sandbox.base import Sandbox
from tests.rule_fixtures import Case, all_cases

SYNTH_FILE = "synth.json"
HAND_MADE = "hand-made"
# What rules read of a synth result (grep `synth\.` under graders/). Left out: the run's seed,
# clock, duration and worker, and the traceback and output tail, whose wording changes with the
# Python release; SYN001 quotes the tail and ENV001 looks for a refused pip in both, so a case that
# needs them is hand-made.
STORED_FIELDS = (
    "status",
    "strategy",
    "error_type",
    "message",
    "frame",
    "stacks",
    "stacks_strategy",
    "stack_classes",
    "packages",
    "repairs",
    "attempts",
    "blockers",
    "contract",
    "contract_checked",
    "tests",
)
# What a test run reports that changes from run to run: its duration and pytest's own output.
VOLATILE_TEST_FIELDS = {"seconds", "output_tail"}
DIFF_LINES = 60
NO_REFERENCE = Reference(workspace=None, failed=False)


def hand_made(case: Case) -> str:
    """Why the case's synth.json is written by hand; "" when the real synth made it."""
    reason = str(case.case().get("synth", ""))
    if reason and not reason.startswith(f"{HAND_MADE}: "):
        raise ValueError(f"{case.id}: case.toml says synth = {reason!r}; only '{HAND_MADE}: <why>' is known")
    return reason


def synth_cases() -> list[Case]:
    """The cases with a saved synth result."""
    return [c for c in all_cases() if (c.path / SYNTH_FILE).is_file()]


def synth_case(case: Case, sandbox: Sandbox) -> SynthResult:
    """What the pipeline's synth step gives for the case's files: its request, and what it adds to
    the sandbox's answer (the entry contract, the repairs described). A case is a model answer of
    a task without reference code, so its own entry point is held to the standard one, and its
    unit tests run as a model answer's do (a case without test files asks for none)."""
    ctx = case.context()
    options = GradeOptions(settings=ctx.settings)
    planned = synth_plan(ctx.workspace, options, NO_REFERENCE, run_tests=options.tests)
    return planned.finish(sandbox.synth(planned.request))


def stored(result: SynthResult) -> dict[str, Any]:
    """The part of a synth result a case keeps (defaults left out, so files stay short)."""
    return result.model_dump(
        mode="json",
        include=set(STORED_FIELDS),
        exclude={"tests": VOLATILE_TEST_FIELDS},
        exclude_defaults=True,
    )


def saved(case: Case) -> dict[str, Any]:
    """The case's synth.json, read the way the rules get it and cut the same way."""
    reply = json.loads((case.path / SYNTH_FILE).read_text(encoding="utf-8"))
    return stored(SynthResult.from_reply(reply))


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def drift(case: Case, fresh: SynthResult) -> str:
    """A unified diff from the saved synth.json to a fresh synth; "" when they agree."""
    before, after = render(saved(case)), render(stored(fresh))
    if before == after:
        return ""
    lines = list(
        difflib.unified_diff(
            before.splitlines(), after.splitlines(), f"{case.id}/{SYNTH_FILE}", "synthesized now", lineterm=""
        )
    )
    more = f"\n... {len(lines) - DIFF_LINES} more lines" if len(lines) > DIFF_LINES else ""
    return "\n".join(lines[:DIFF_LINES]) + more


def write(case: Case, result: SynthResult) -> None:
    (case.path / SYNTH_FILE).write_text(render(stored(result)), encoding="utf-8")


def main(argv: list[str]) -> int:
    from iacgrade.harness.sandbox.local import LocalSandbox

    by_id = {c.id: c for c in all_cases()}
    unknown = [name for name in argv if name not in by_id]
    if unknown:
        print(f"no such case: {', '.join(unknown)} (cases are RULE_ID/name)", file=sys.stderr)
        return 2
    cases = [by_id[name] for name in argv] if argv else synth_cases()
    box = LocalSandbox(slots=1)
    try:
        for case in cases:
            if reason := hand_made(case):
                print(f"kept   {case.id}: {reason}")
                continue
            result = synth_case(case, box)
            changed = bool(drift(case, result)) if (case.path / SYNTH_FILE).is_file() else True
            write(case, result)
            print(f"{'wrote ' if changed else 'same  '} {case.id}: {result.status.value} {result.error_type}")
    finally:
        box.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
