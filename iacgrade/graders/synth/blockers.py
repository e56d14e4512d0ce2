"""SYN004: the synth blockers an answer's first error hid, met in the worker's repair rounds.

A reviewer who fixes the first synth error runs again and meets the next. The worker does that
mechanically (iacgrade/harness/platforms/cdktf_python/worker/worker_lib/) and records every blocker it got
past, in the
order met; this rule turns each statement that blocked into one finding. Where a PY rule names the same
statement statically, the report folds the two into one failure (iacgrade/harness/pipeline/merge.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import Hit, rule
from iacgrade.harness.core.findings import Category, ErrorKind, Location, Severity
from iacgrade.harness.core.synth import Blocker
from iacgrade.harness.platforms.cdktf_python.locate import statement_span

# Blockers other rules report with more to say, or that are not the answer's mistake:
# a build output the snapshot lacks is the Lambda-package rules' (AWS007) and the environment's.
NOT_REPORTED = frozenset({"missing-file"})

KIND_TITLES = {
    "unknown-keyword": "Unknown keyword argument met past the first blocker",
    "value-shape": "Value of the wrong shape met past the first blocker",
    "missing-argument": "Required argument missing past the first blocker",
    "extra-argument": "Too many positional arguments past the first blocker",
    "undefined-name": "Undefined name met past the first blocker",
    "missing-attribute": "Missing attribute met past the first blocker",
    "missing-name": "Import of a missing name met past the first blocker",
    "missing-module": "Import of a missing module met past the first blocker",
    "not-subscriptable": "Provider list indexed like a Python list",
    "no-provider": "Stack without a provider for its resources",
}


@rule(
    id="SYN004",
    name="synth-blocker-behind-first-error",
    title="A synth blocker the first error hid",
    severity=Severity.CRITICAL,
    category=Category.API_CONSISTENCY,
    rationale=(
        "Synthesis stops at the first error, so a run shows one blocker at a time. Once that one is "
        "repaired, the next statement that raises stops synthesis just the same: each is a "
        "deployment blocker in its own right, Critical."
    ),
    docs=(
        "https://developer.hashicorp.com/terraform/cdktf/cli-reference/commands#synth",
        "https://constructs.dev/packages/@cdktf/provider-aws",
    ),
    impact=(
        "Deployment Blocker: synthesis stops here once the earlier blockers are fixed",
        "CI/CD Failure: each fix-and-rerun cycle uncovers the next one",
        "Training Quality Impact: High - the answer was never run to completion",
    ),
    fix_minutes=5,
    needs="synth",
)
def synth_blocker_behind_first_error(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: each statement of the answer that stops synthesis once the blockers before it
    are repaired: an unknown keyword, a value of the wrong shape (a list for a block, a bool for a
    string), a dict the jsii kernel refuses, a missing required argument, an undefined name or
    attribute, a name or module that cannot be imported, a stack with no provider. The worker
    finds them in repair rounds: it runs the answer, repairs the blocker mechanically (drops the
    keyword, coerces the value, gives a typed placeholder), and runs again, without changing the
    answer's files.

    Why it matters: a reviewer meets these one fix-and-rerun cycle at a time; every one of them
    blocks the deployment until it is fixed.

    Bad: `Route53Record(..., weighted_routing_policy=[{"weight": 50}])` after an earlier
    `ImportError` -> `TypeError: type of argument weighted_routing_policy must be ...; got list`.

    Good: `weighted_routing_policy=Route53RecordWeightedRoutingPolicy(weight=50)`.

    References: CDKTF `synth`; the provider's Python API (constructs.dev, @cdktf/provider-aws).
    """
    synth = ctx.synth
    if synth is None or not synth.blockers:
        return
    groups: dict[tuple[str, int, int], list[Blocker]] = {}
    first = synth.frame
    for blocker in synth.blockers:
        if blocker.kind in NOT_REPORTED:
            continue
        start, end = _span(ctx, blocker)
        if first is not None and first.file == blocker.file and start <= first.line <= end:
            continue  # the answer's own first error: SYN001 reports it
        groups.setdefault((blocker.file, start, end), []).append(blocker)
    for (path, start, end), blockers in groups.items():
        head = blockers[0]
        repairs = "; ".join(dict.fromkeys(b.action for b in blockers))
        where = f"`{path}:{start}`" if path else "the toolchain"
        errors = list(dict.fromkeys(b.message for b in blockers))
        yield Hit(
            message=(
                f"Once the blockers before it are repaired, synthesis stops at {where}: "
                f"`{_first_line(errors[0])}`"
                + (f" (and {len(errors) - 1} more at the same statement)" if len(errors) > 1 else "")
                + f". To see the rest of the answer, iacgrade repaired it as follows: {repairs}."
            ),
            location=Location(path=path or None, line=start or None, end_line=end if end != start else None),
            anchor=f"blocker:{path}:{start}",
            evidence=ctx.lines(path, start, end) if path else "",
            error="\n".join(errors),
            error_kind=ErrorKind.OBSERVED,  # each one stopped a repair round's synth
            title=KIND_TITLES.get(head.kind),
        )


def _span(ctx: GradeContext, blocker: Blocker) -> tuple[int, int]:
    tree = ctx.trees.get(blocker.file)
    if tree is None or not blocker.line:
        return blocker.line, blocker.line
    span = statement_span(tree, blocker.file, blocker.line)
    return span.start, span.end


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 240 else line[:237] + "..."
