"""AWS: monitoring that cannot work: alarms whose metric dimensions name no resource of the answer,
and log groups encrypted with a KMS key CloudWatch Logs may not use."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from iacgrade.graders.aws.iam import allows, policy_or_document, statements
from iacgrade.graders.aws.workloads import one
from iacgrade.graders.constraints import load
from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import Hit, rule
from iacgrade.graders.sites import resource_hit, site
from iacgrade.graders.terraform_model import (
    INTERPOLATION,
    TRAVERSAL,
    UNRESOLVED,
    Resource,
    Stack,
    is_token,
    strings,
)
from iacgrade.graders.wording import plural
from iacgrade.harness.core.findings import Category, Severity

CW_DOCS = "https://docs.aws.amazon.com/AmazonCloudWatch/latest"
# `logs.amazonaws.com` or `logs.<region>.amazonaws.com` (the region may be a token).
LOGS_PRINCIPAL = re.compile(r"^logs\.(?:(?P<region>[a-z0-9-]+)\.|\$\{[^}]*\}\.)?amazonaws\.com(?:\.cn)?$")


@rule(
    id="AWS026",
    name="alarm-dimension-names-nothing",
    title="Alarm Watches a Metric No Resource of the Stack Emits",
    # The alarm deploys; it just never has data, so it never fires.
    severity=Severity.MEDIUM,
    category=Category.RESOURCE_CONFIGURATION,
    rationale=(
        "The model gave a CloudWatch alarm a dimension value that names no resource it created (a "
        "hard-coded name that differs from the resource's, or an ARN or URL where the metric carries "
        "a name), so the alarm watches a metric that never has data."
    ),
    docs=(
        f"{CW_DOCS}/monitoring/cloudwatch_concepts.html#Dimension",
        f"{CW_DOCS}/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data",
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/aws-services-cloudwatch-metrics.html",
    ),
    impact=(
        "Monitoring Gap: The alarm stays INSUFFICIENT_DATA and never notifies anyone",
        "Operations: The failure it was meant to catch goes unnoticed",
    ),
    fix_minutes=5,
    needs="terraform",
    keywords=("alarm dimension", "CloudWatch alarm dimension", "wrong dimension", "metric dimension"),
)
def alarm_dimension_names_nothing(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a dimension of an `aws_cloudwatch_metric_alarm` (or of a metric in its
    `metric_query`) in an AWS namespace whose value is a literal matching the name of no
    resource of the answer of the kind the dimension names (when the answer creates such
    resources and their names are known), or a reference to an attribute that holds something
    else than the dimension carries (a queue's URL for `QueueName`, a function's ARN for
    `FunctionName`, a load balancer's ARN for `LoadBalancer`, which takes its `arn_suffix`).
    iacgrade/graders/aws/data/metric_dimensions.json lists the namespaces and dimensions judged.

    Why it matters: CloudWatch matches metrics by exact dimension values. A value no resource
    emits selects a metric with no data points: the alarm stays `INSUFFICIENT_DATA` and never
    fires.

    Bad: `dimensions={"FunctionName": "payment-processor"}` for a function named
    `payment-processor-dev`; `dimensions={"QueueName": queue.url}`.

    Good: `dimensions={"FunctionName": fn.function_name}`; `{"QueueName": queue.name}`;
    `{"LoadBalancer": alb.arn_suffix}`.

    References: CloudWatch dimensions; alarms and missing data; AWS services that publish
    CloudWatch metrics.
    """
    specs: dict[str, dict[str, Any]] = load("metric_dimensions.json")["namespaces"]
    for stack in ctx.tf.stacks.values():
        for alarm in stack.of_type("aws_cloudwatch_metric_alarm"):
            for namespace, key, why in _alarm_problems(ctx, stack, alarm, specs):
                yield resource_hit(
                    ctx,
                    alarm,
                    f"`{alarm.address}` watches `{namespace}` with dimension `{key}` {why}: the metric it "
                    "selects has no data, so the alarm stays INSUFFICIENT_DATA and never fires.",
                    attr="dimensions" if "dimensions" in alarm.config else "metric_query",
                )


def _alarm_problems(
    ctx: GradeContext, stack: Stack, alarm: Resource, specs: dict[str, dict[str, Any]]
) -> Iterator[tuple[str, str, str]]:
    """(namespace, dimension, what is wrong) for each dimension of the alarm naming nothing."""
    for namespace, dims in _metrics(stack, alarm):
        for key, value in sorted(dims.items()):
            spec = specs.get(namespace, {}).get(key)
            why = _dimension_problem(ctx, stack, value, spec) if spec is not None else ""
            if why:
                yield namespace, key, why


def _metrics(stack: Stack, alarm: Resource) -> Iterator[tuple[str, dict[str, Any]]]:
    namespace = stack.resolve(alarm.get("namespace"))
    dims = alarm.get("dimensions")
    if isinstance(namespace, str) and isinstance(dims, dict):
        yield namespace, dims
    for query in alarm.blocks("metric_query"):
        for metric in _as_blocks(query.get("metric")):
            ns = stack.resolve(metric.get("namespace"))
            found = metric.get("dimensions")
            if isinstance(ns, str) and isinstance(found, dict):
                yield ns, found


def _as_blocks(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _dimension_problem(ctx: GradeContext, stack: Stack, value: Any, spec: dict[str, Any]) -> str:
    """How a dimension value fails to name a resource of the kinds `spec` lists, or ""."""
    types: dict[str, list[str]] = spec["types"]
    if is_token(value):
        whole = INTERPOLATION.fullmatch(str(value))
        expr = whole.group(1).strip() if whole else ""
        if not TRAVERSAL.match(expr):
            return ""
        steps = expr.split(".")
        if len(steps) != 3 or steps[0] not in types:
            return ""
        attr = steps[2]
        wrong = spec.get("wrong", {}).get(attr)
        if not wrong:
            return ""
        right = " or ".join(f"`{steps[0]}.{steps[1]}.{a}`" for a in types[steps[0]][:1])
        return f"set to `{steps[0]}.{steps[1]}.{attr}`, {wrong}, where the metric carries {right}"
    if not isinstance(value, str) or not spec.get("literal"):
        return ""
    names: list[str] = []
    for other in ctx.tf.stacks.values():
        for res in other.resources:
            for attr in types.get(res.type, []):
                if attr not in res.config:
                    continue
                literal = other.literal(res, attr)
                if not isinstance(literal, str) or literal is UNRESOLVED or is_token(literal):
                    return ""  # a name known only at apply: it may be the value
                names.append(literal)
            if res.type in types and not any(a in res.config for a in types[res.type]):
                return ""  # a generated name
    if not names or value in names:
        return ""
    kinds = ", ".join(f"`{t}`" for t in types)
    shown = ", ".join(f"`{n}`" for n in sorted(set(names))[:4])
    return f"set to `{value}`, which names no {kinds} of the answer (it has {shown})"


@rule(
    id="AWS027",
    name="log-group-key-denies-logs",
    title="Log Group Encrypted With a KMS Key CloudWatch Logs May Not Use",
    severity=Severity.CRITICAL,
    category=Category.RESOURCE_CONFIGURATION,
    rationale=(
        "The model encrypted a CloudWatch Logs log group with a customer managed KMS key whose key "
        "policy does not allow the `logs.<region>.amazonaws.com` service principal to use it."
    ),
    docs=(
        f"{CW_DOCS}/logs/encrypt-log-data-kms.html",
        "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html",
    ),
    impact=(
        "Deployment Blocker: CreateLogGroup (or AssociateKmsKey) refuses the key",
        "Dependent Resources: Everything that logs to the group, or depends on it, is not created",
    ),
    fix_minutes=10,
    needs="terraform",
    keywords=(
        "KMS CloudWatch Logs",
        "CloudWatch Logs permission",
        "KMS key policy",
        "key policy",
        "logs service principal",
        "log group encryption",
    ),
)
def log_group_key_denies_logs(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: an `aws_kms_key` of the answer that an `aws_cloudwatch_log_group` names as
    `kms_key_id`, whose key policy (its `policy`, or an `aws_kms_key_policy` of it) has no Allow
    statement for the `logs.<region>.amazonaws.com` (or `logs.amazonaws.com`) service principal,
    or for everyone, covering `kms:GenerateDataKey`; a key with no policy at all gets the default
    key policy, which allows only the account's IAM principals. A principal naming another
    region than the key's counts as missing. A policy built at apply time is judged by whether
    it mentions `logs` at all.

    Why it matters: CloudWatch Logs uses the key as itself, not as the caller, so the key policy
    must allow it; otherwise creating the log group fails with "AccessDeniedException: The
    specified KMS key does not exist or is not allowed to be used with Arn
    'arn:aws:logs:...:log-group:...'", and the apply stops.

    Bad: `KmsKey(..., policy=json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS":
    "arn:aws:iam::<account>:root"}, "Action": "kms:*", "Resource": "*"}]}))` used by
    `CloudwatchLogGroup(..., kms_key_id=key.arn)`.

    Good: add a statement with `"Principal": {"Service": "logs.us-east-1.amazonaws.com"}`,
    `"Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
    "kms:Describe*"]`, conditioned on `kms:EncryptionContext:aws:logs:arn`.

    References: Encrypt log data in CloudWatch Logs using AWS KMS; the default key policy.
    """
    for stack in ctx.tf.stacks.values():
        groups: dict[str, list[Resource]] = {}
        for group in stack.of_type("aws_cloudwatch_log_group"):
            key = one(stack, group.get("kms_key_id"), "aws_kms_key")
            if key is not None:
                groups.setdefault(key.address, []).append(group)
        for address, users in groups.items():
            key = stack.resource(address)
            if key is None:
                continue
            policy_res, policy = _key_policy(stack, key)
            why = _denies_logs(stack, key, policy)
            if not why:
                continue
            yield _key_hit(ctx, stack, key, policy_res, users, why)


def _key_policy(stack: Stack, key: Resource) -> tuple[Resource, Any]:
    """The resource that sets the key's policy, and the policy (None: the default key policy)."""
    for res in stack.of_type("aws_kms_key_policy"):
        if key.address in stack.references(res.get("key_id")):
            return res, res.get("policy")
    return key, key.get("policy")


def _denies_logs(stack: Stack, key: Resource, policy: Any) -> str:
    """Why the key policy keeps CloudWatch Logs out, or ""."""
    if policy in (None, ""):
        return (
            "the key has no `policy`, so the default key policy applies, which allows only the "
            "account's IAM principals"
        )
    region = stack.region_of(key)
    doc = policy_or_document(stack, policy)
    if doc is None:
        text = " ".join(strings(policy))
        if "logs" in text.lower() or re.search(r'"(?:Principal|AWS)"\s*[:=]\s*"\*"', text):
            return ""
        return "its key policy names no `logs` service principal"
    other_regions: list[str] = []
    for st in statements(doc):
        if st.get("Effect") != "Allow":
            continue
        actions = [a for a in _list(st.get("Action")) if isinstance(a, str)]
        if not allows(actions, "kms:GenerateDataKey"):
            continue
        for principal in _principals(st.get("Principal")):
            if principal == "*":
                return ""
            match = LOGS_PRINCIPAL.match(principal)
            if match is None:
                continue
            named = match.group("region")
            if named and region and named != region:
                other_regions.append(principal)
                continue
            return ""
    if other_regions:
        return (
            f"its key policy allows `{other_regions[0]}`, a principal of another region than the "
            f"key's (`{region}`)"
        )
    return "its key policy allows no `logs.<region>.amazonaws.com` service principal to use it"


def _principals(value: Any) -> list[str]:
    """Service and wildcard principals of a statement (`"*"` and `{"AWS": "*"}` are everyone)."""
    if value == "*":
        return ["*"]
    if not isinstance(value, dict):
        return []
    found: list[str] = []
    for kind, ids in value.items():
        for p in _list(ids):
            if not isinstance(p, str):
                continue
            if p == "*" and kind in ("AWS", "*"):
                found.append("*")
            elif kind == "Service":
                found.append(p)
    return found


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _key_hit(
    ctx: GradeContext, stack: Stack, key: Resource, policy_res: Resource, users: list[Resource], why: str
) -> Hit:
    places: list[str] = []
    for group in users:
        loc = site(ctx, group, "kms_key_id").location
        at = f" ({loc.path}:{loc.line})" if loc.path and loc.line else ""
        places.append(f"`{group.address}`{at}")
    first = users[0]
    name = stack.literal_text(first, "name") or "<name>"
    region = stack.region_of(key) or "<region>"
    return resource_hit(
        ctx,
        policy_res,
        f"`{key.address}` encrypts {plural(len(users), 'log group')} {', '.join(places)}, but "
        f"{why}: CloudWatch Logs cannot use the key, so creating "
        f"{'the log group' if len(users) == 1 else 'each log group'} fails.",
        attr="policy" if "policy" in policy_res.config else None,
        error=(
            "AccessDeniedException: The specified KMS key does not exist or is not allowed to be used with "
            f"Arn 'arn:aws:logs:{region}:<account-id>:log-group:{name}'"
        ),
    )
