"""Checks of what operates the stack: monitoring, tags, outputs, IAM (REQ004, REQ005, REQ006, REQ010)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from iacgrade.graders.context import GradeContext
from iacgrade.graders.requirements.checklist import Requirement
from iacgrade.graders.requirements.verdict import (
    Culprit,
    Tally,
    Verdict,
    absent,
    blocks,
    facts,
    met,
    of_types,
    shown,
    unchecked,
    unmet,
)
from iacgrade.graders.terraform_model import Resource, Stack, masked, strings
from iacgrade.graders.wording import counted

PROVIDER_MODULE = "cdktf_cdktf_provider_aws"

# --- REQ004 monitoring --------------------------------------------------------------------------


def alarms(ctx: GradeContext, req: Requirement) -> Verdict:
    """CloudWatch alarms exist, and one watches each service the line names after "alarms"."""
    found = of_types(ctx, "aws_cloudwatch_metric_alarm", "aws_cloudwatch_composite_alarm")
    if not found:
        return absent(
            ctx, "no stack creates an `aws_cloudwatch_metric_alarm`", ("aws_cloudwatch_metric_alarm",)
        )
    watched = {ns for _s, alarm in found for ns in _namespaces(alarm)}
    table = facts()["alarm_namespaces"]
    culprits: list[Culprit] = []
    for subject in req.params.get("targets", ()):
        spec = table.get(subject)
        if spec is None or watched & set(spec["namespaces"]):
            continue
        subjects = of_types(ctx, *spec["types"])
        if subjects:
            stack, res = subjects[0]
            culprits.append(
                Culprit(
                    f"no CloudWatch alarm watches "
                    f"{' or '.join(f'`{n}`' for n in spec['namespaces'])} metrics "
                    f"(of {shown(res)} and the like)",
                    stack.name,
                    res,
                )
            )
    if culprits:
        return unmet(culprits)
    return met(counted(len(found), "alarm"))


def _namespaces(alarm: Resource) -> set[str]:
    found = {alarm.get("namespace")} | {
        metric.get("namespace")
        for query in blocks(alarm.get("metric_query"))
        for metric in blocks(query.get("metric"))
    }
    return {n for n in found if isinstance(n, str)}


def alarm_actions(ctx: GradeContext, req: Requirement) -> Verdict:
    tally = Tally()
    for stack, alarm in of_types(ctx, "aws_cloudwatch_metric_alarm", "aws_cloudwatch_composite_alarm"):
        tally.seen += 1
        if not alarm.get("alarm_actions"):
            tally.culprits.append(
                Culprit(
                    f"{shown(alarm)} has no `alarm_actions`: it notifies no one when it fires",
                    stack.name,
                    alarm,
                )
            )
    return tally.verdict("alarms", unchecked("no alarm (the alarms requirement reports it)"))


def dashboard(ctx: GradeContext, req: Requirement) -> Verdict:
    found = of_types(ctx, "aws_cloudwatch_dashboard")
    if found:
        return met(counted(len(found), "dashboard"))
    return absent(ctx, "no stack creates an `aws_cloudwatch_dashboard`", ("aws_cloudwatch_dashboard",))


def log_retention(ctx: GradeContext, req: Requirement) -> Verdict:
    """Log groups keep logs N days (all of them, or one when the line is about one purpose); "set
    explicitly" when the line gives no number."""
    if req.params.get("varies"):
        return unchecked("the retention the line asks varies (by environment or kind)")
    days = req.params.get("days")
    upto = req.params.get("upto")
    groups = of_types(ctx, "aws_cloudwatch_log_group")
    if not groups:
        functions = of_types(ctx, "aws_lambda_function")
        if not functions:
            return unchecked("no log group and no function whose logs it would keep")
        stack, fn = functions[0]
        return unmet(
            [
                Culprit(
                    f"no `aws_cloudwatch_log_group` sets a retention: {shown(fn)} and the other "
                    "functions log to "
                    "groups Lambda creates, which keep logs forever",
                    stack.name,
                    fn,
                )
            ]
        )
    tally = Tally()
    for stack, group in groups:
        tally.seen += 1
        kept = stack.literal(group, "retention_in_days")
        ok = _retention_ok(kept, days, upto, bool(req.params.get("at_least")))
        if not ok:
            said = (
                "keeps logs forever (no `retention_in_days`)" if kept is None else f"keeps logs {kept} days"
            )
            want = f", not {days}" if days and not upto else (f", not {days}-{upto}" if days else "")
            tally.culprits.append(
                Culprit(f"{shown(group)} {said}{want}", stack.name, group, "retention_in_days")
            )
    if tally.culprits and req.params.get("one_purpose") and len(tally.culprits) < tally.seen:
        return met("a log group keeps the asked retention")
    return tally.verdict("log groups", unchecked("no log group"))


def _retention_ok(kept: Any, days: int | None, upto: int | None, at_least: bool) -> bool:
    if not isinstance(kept, int):
        return False
    if days is None:
        return True
    if upto:
        return days <= kept <= upto
    return kept >= days if at_least else kept == days


# --- REQ005 tags --------------------------------------------------------------------------------


def tags(ctx: GradeContext, req: Requirement) -> Verdict:
    """Each taggable resource carries the keys (its own `tags` or its provider's `default_tags`).
    Values are not compared: an answer that derives `Environment` from its environment is right.
    One culprit per stack, at its class, where `default_tags` would put the keys on everything."""
    wanted = [str(k) for k in req.params.get("tags", {})]
    if not wanted:
        return unchecked("no tag key named")
    seen = 0
    culprits: list[Culprit] = []
    for stack in ctx.tf.stacks.values():
        lacking: dict[str, list[Resource]] = {}
        count = 0
        for res in stack.resources:
            keys = _tag_keys(stack, res) if _taggable(ctx, res.type) else None
            if keys is None:
                continue  # untaggable, or tags computed at apply (`merge(var.tags, ...)`)
            count += 1
            have = {k.lower() for k in keys}
            for key in (k for k in wanted if k.lower() not in have):
                lacking.setdefault(key, []).append(res)
        seen += count
        if lacking:
            worst = max(len(v) for v in lacking.values())
            examples = next(v for v in lacking.values() if len(v) == worst)[:3]
            culprits.append(
                Culprit(
                    f"{worst} of the {count} taggable resources of stack `{stack.name}` lack the tag"
                    f"{'s' if len(lacking) > 1 else ''} {', '.join(f'`{k}`' for k in lacking)} "
                    f"({', '.join(shown(r) for r in examples)}{', ...' if worst > len(examples) else ''}): "
                    "neither their `tags` nor the provider's `default_tags` set "
                    f"{'them' if len(lacking) > 1 else 'it'}",
                    stack.name,
                )
            )
    if not seen:
        return unchecked("no taggable resource")
    if culprits:
        return unmet(culprits)
    return met(f"all {seen} taggable resources")


def _tag_keys(stack: Stack, res: Resource) -> set[str] | None:
    keys: set[str] = set()
    for value in (res.get("tags"), res.get("tags_all")):
        if value is None:
            continue
        resolved = stack.resolve(value)
        if not isinstance(resolved, dict):
            return None
        keys |= {str(k) for k in resolved}
    provider = stack.provider_for(res)
    if provider is not None:
        for block in blocks(provider.config.get("default_tags")):
            if isinstance(block.get("tags"), dict):
                keys |= {str(k) for k in block["tags"]}
    # Tags set in a `tag` block list (aws_autoscaling_group).
    keys |= {str(b.get("key")) for b in blocks(res.get("tag")) if b.get("key")}
    return keys


def _taggable(ctx: GradeContext, rtype: str) -> bool:
    index = ctx.provider_api
    if index is None:
        return False
    return _accepts_tags(index, rtype)


@cache
def _accepts_tags(index: Any, rtype: str) -> bool:
    module = f"{PROVIDER_MODULE}.{rtype.removeprefix('aws_')}"
    for name, type_id in index.modules.get(module, {}).items():
        if not isinstance(type_id, int) or not name[:1].isupper():
            continue
        signature = index.signature(type_id) if index.info(type_id).kind == "c" else None
        if signature is not None and "scope" in signature.accepted and "tags" in signature.accepted:
            return True
    return False


# --- REQ006 outputs -----------------------------------------------------------------------------


def outputs(ctx: GradeContext, req: Requirement) -> Verdict:
    """Each output the line lists is declared: an output whose value refers to a resource of the
    kind the item names (a VPC ID output refers to an `aws_vpc`)."""
    declared = [
        (stack, value) for stack in ctx.tf.stacks.values() for value in stack.declared_outputs.values()
    ]
    culprits: list[Culprit] = []
    checked = 0
    seen: set[tuple[str, ...]] = set()
    for item in req.params.get("items", ()):
        types = _output_types(str(item))
        # An item of no known kind, or of a kind the answer does not create (it is missing, not
        # its output), or one the line named already ("VPC ID and CIDR"), is not judged.
        have = [found for rtype in types for found in of_types(ctx, rtype)]
        if not have or types in seen:
            continue
        seen.add(types)
        checked += 1
        if any(_refers_to_type(stack, out.get("value"), types) for stack, out in declared):
            continue
        stack, res = have[0]
        culprits.append(
            Culprit(
                f"no `TerraformOutput` gives the {item} ({shown(res)})",
                stack.name,
                res,
                reported_by="TF003" if not declared else "",
            )
        )
    if not checked:
        return unchecked("no output the line lists can be told from the JSON")
    if culprits:
        return unmet(culprits)
    return met(f"{counted(checked, 'output')} declared")


def _output_types(item: str) -> tuple[str, ...]:
    for entry in facts()["outputs"]["item"]:
        if re.search(entry["pattern"], item, re.IGNORECASE):
            return tuple(entry["types"])
    return ()


def _refers_to_type(stack: Stack, value: Any, types: tuple[str, ...]) -> bool:
    for text in strings(value):
        for head in re.findall(r"\$\{[^}]*?\b(?:data\.)?(aws_[a-z0-9_]+)\.", text):
            if head in types:
                return True
    return False


# --- REQ010 least privilege ---------------------------------------------------------------------

_POLICY_ATTRS = (
    ("aws_iam_policy", "policy"),
    ("aws_iam_role_policy", "policy"),
    ("aws_iam_user_policy", "policy"),
    ("aws_iam_group_policy", "policy"),
)


def no_wildcards(ctx: GradeContext, req: Requirement) -> Verdict:
    """IAM policies grant no whole service (`s3:*`) and no data action on every resource
    (`dynamodb:PutItem` on `*`); no AWS managed *FullAccess policy is attached. `*` actions are
    checkov's (CKV_AWS_1, CKV_AWS_62, CKV_AWS_63)."""
    iam = facts()["iam"]
    scoped = {a.lower() for a in iam["scoped_actions"]}
    tally = Tally()
    for stack, res, statements in _policies(ctx):
        tally.seen += 1
        problems: list[str] = []
        checkov = False
        for st in statements:
            if str(st.get("Effect", st.get("effect", "Allow"))).lower() != "allow":
                continue
            actions = _as_list(st.get("Action", st.get("actions")))
            resources = _as_list(st.get("Resource", st.get("resources")))
            if "*" in actions:
                checkov = True
            problems += [f"`{a}`" for a in actions if re.fullmatch(r"[a-z0-9-]+:\*", a)]
            if "*" in resources:
                problems += [f"`{a}` on `*`" for a in actions if a.lower() in scoped]
        if problems:
            tally.culprits.append(
                Culprit(
                    f"{shown(res)} grants {', '.join(dict.fromkeys(problems))}",
                    stack.name,
                    res,
                    "policy" if res.get("policy") else None,
                )
            )
        elif checkov:
            tally.culprits.append(
                Culprit(f"{shown(res)} grants `*` actions", stack.name, res, reported_by="SEC:CKV_AWS_63")
            )
    broad = re.compile(iam["broad_policies"])
    for stack, res in of_types(ctx, "aws_iam_role_policy_attachment", "aws_iam_policy_attachment"):
        arn = res.get("policy_arn")
        if isinstance(arn, str) and "arn:aws:iam::aws:policy/" in arn and broad.search(arn):
            tally.seen += 1
            tally.culprits.append(
                Culprit(f"{shown(res)} attaches `{arn.rsplit('/', 1)[-1]}`", stack.name, res, "policy_arn")
            )
    return tally.verdict("IAM policies", unchecked("no IAM policy"))


def _policies(ctx: GradeContext) -> Iterator[tuple[Stack, Resource, list[dict[str, Any]]]]:
    for rtype, attr in _POLICY_ATTRS:
        for stack, res in of_types(ctx, rtype):
            yield stack, res, _statements(res.get(attr))
    for stack, role in of_types(ctx, "aws_iam_role"):
        for block in blocks(role.get("inline_policy")):
            yield stack, role, _statements(block.get("policy"))
    for stack in ctx.tf.stacks.values():
        for doc in stack.data:
            if doc.type == "aws_iam_policy_document":
                yield stack, doc, blocks(doc.get("statement"))


def _statements(policy: Any) -> list[dict[str, Any]]:
    if isinstance(policy, str):
        try:
            policy = json.loads(masked(policy))
        except json.JSONDecodeError:
            return []
    if not isinstance(policy, dict):
        return []
    found = policy.get("Statement")
    return blocks(found)


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []
