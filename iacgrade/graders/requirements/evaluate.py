"""Each requirement of the checklist judged on one answer's stacks.

A requirement the prompt repeats (its "Core Requirements", its "Constraints" and its "What to
deliver" often say the same) is judged once: requirements of one kind, aspect and values form a
group, quoted by its first line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from iacgrade.graders.context import GradeContext
from iacgrade.graders.requirements import network, operations, storage
from iacgrade.graders.requirements.checklist import Requirement, checklist
from iacgrade.graders.requirements.verdict import UNCHECKED, Verdict, unchecked

Check = Callable[[GradeContext, Requirement], Verdict]

CHECKS: dict[str, Check] = {
    "regions": network.regions,
    "zones": network.zones,
    "multi_az": network.multi_az,
    "auto_failover": network.auto_failover,
    "failover_routing": network.failover_routing,
    "health_checks": network.health_checks,
    "public_private": network.public_private,
    "nat_per_az": network.nat_per_az,
    "nat_single": network.nat_single,
    "no_nat": network.no_nat,
    "at_rest": storage.at_rest,
    "customer_key": storage.customer_key,
    "key_rotation": storage.key_rotation,
    "backup_retention": storage.backup_retention,
    "point_in_time": storage.point_in_time,
    "backup_plan": storage.backup_plan,
    "versioning": storage.versioning,
    "destroyable": storage.destroyable,
    "force_destroy": storage.force_destroy,
    "s3_replication": storage.s3_replication,
    "dynamodb_global": storage.dynamodb_global,
    "alarms": operations.alarms,
    "alarm_actions": operations.alarm_actions,
    "dashboard": operations.dashboard,
    "log_retention": operations.log_retention,
    "tags": operations.tags,
    "outputs": operations.outputs,
    "no_wildcards": operations.no_wildcards,
}


@dataclass(frozen=True)
class Judged:
    """A requirement (the first line of its group), the other lines that repeat it, and its verdict."""

    requirement: Requirement
    also: tuple[int, ...]
    verdict: Verdict


# Aspects whose check reads the subjects (or the words) of the line: other lines are another
# requirement. The other aspects judge the same thing whatever store a line names beside it.
SUBJECT_ASPECTS = frozenset(
    {"multi_az", "at_rest", "customer_key", "alarms", "s3_replication", "dynamodb_global"}
)


def group_key(req: Requirement) -> tuple[object, ...]:
    """What makes two lines the same requirement: kind, aspect and the values its check reads."""
    values = tuple(
        sorted(
            (k, repr(v)) for k, v in req.params.items() if k != "subjects" or req.aspect in SUBJECT_ASPECTS
        )
    )
    return (req.kind, values)


def judge(ctx: GradeContext, kind: str | None = None) -> list[Judged]:
    """Every requirement group of the prompt (of one kind, when given) with its verdict."""
    groups: dict[tuple[object, ...], list[Requirement]] = {}
    for req in checklist(ctx.prompt):
        if kind is None or req.kind == kind:
            groups.setdefault(group_key(req), []).append(req)
    out: list[Judged] = []
    # The most specific line first: "S3 buckets with replication for transaction logs" speaks for
    # the requirement before a paragraph that names the whole architecture.
    for reqs in sorted(
        groups.values(), key=lambda g: (len(g[0].params.get("subjects", ())) > 2, g[0].line_no)
    ):
        first = reqs[0]
        out.append(Judged(first, tuple(r.line_no for r in reqs[1:]), verdict_of(ctx, first)))
    return out


def verdict_of(ctx: GradeContext, req: Requirement) -> Verdict:
    if not ctx.terraform:
        return unchecked("no Terraform JSON: the answer did not synthesize by any strategy")
    check = CHECKS.get(req.aspect)
    if check is None:
        return Verdict(UNCHECKED, f"no check for {req.aspect}")
    return check(ctx, req)
