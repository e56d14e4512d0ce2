"""AWS: IAM policy documents (valid JSON, valid structure, actions that exist) and what a role
is granted, for rules that check a role against what its resource is wired to do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from iacgrade.graders.constraints import load
from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import Hit, rule
from iacgrade.graders.sites import resource_hit
from iacgrade.graders.terraform_model import MASK, UNRESOLVED, Resource, Stack, is_token, masked
from iacgrade.graders.wording import plural
from iacgrade.harness.core.findings import Category, Severity
from iacgrade.harness.platforms.names import TF_HCL
from iacgrade.harness.platforms.tf_hcl.model import decoded_json

IAM_DOCS = "https://docs.aws.amazon.com/IAM/latest/UserGuide"
# (resource type, attribute holding a policy JSON, kind): identity policies may not name a
# principal, trust and resource policies must.
POLICY_ATTRS = (
    ("aws_iam_policy", "policy", "identity"),
    ("aws_iam_role_policy", "policy", "identity"),
    ("aws_iam_user_policy", "policy", "identity"),
    ("aws_iam_group_policy", "policy", "identity"),
    ("aws_iam_role", "assume_role_policy", "trust"),
    ("aws_s3_bucket_policy", "policy", "resource"),
    ("aws_sqs_queue_policy", "policy", "resource"),
    ("aws_sns_topic_policy", "policy", "resource"),
    ("aws_kms_key", "policy", "resource"),
)
MANAGED_POLICY_ACTIONS: dict[str, list[str]] = {
    # What the AWS managed policies Lambda answers attach grant (from their published documents).
    "AWSLambdaBasicExecutionRole": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
    "AWSLambdaSQSQueueExecutionRole": [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    ],
    "AWSLambdaDynamoDBExecutionRole": [
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    ],
    "AWSLambdaKinesisExecutionRole": [
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
        "kinesis:ListStreams",
        "kinesis:SubscribeToShard",
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    ],
    "AWSLambdaVPCAccessExecutionRole": [
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    ],
    "AWSXRayDaemonWriteAccess": [
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:GetSamplingStatisticSummaries",
    ],
    "AWSXrayWriteOnlyAccess": [
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:GetSamplingStatisticSummaries",
    ],
    "AdministratorAccess": ["*"],
    "PowerUserAccess": ["*"],
}


def parse_policy(stack: Stack, value: Any) -> dict[str, Any] | str | None:
    """The policy as a dict; None when it cannot be known before apply (a whole-value token such
    as `${data.aws_iam_policy_document.x.json}` or `${jsonencode(...)}`); the JSON error text
    when it is not JSON. An interpolation inside the document (`"${replace(...)}/*"`) stands for
    the string Terraform evaluates it to: it is masked before parsing and stays a token."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    if masked(text) == MASK:
        resolved = stack.resolve(text)
        if isinstance(resolved, str) and resolved is not UNRESOLVED and not is_token(resolved):
            text = resolved
        else:
            return None
    try:
        doc = json.loads(masked(text))
    except json.JSONDecodeError as exc:
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    return doc if isinstance(doc, dict) else "the document is not a JSON object"


def statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    st = doc.get("Statement")
    if isinstance(st, dict):
        return [st]
    return [s for s in st if isinstance(s, dict)] if isinstance(st, list) else []


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@rule(
    id="AWS012",
    name="iam-policy-invalid",
    title="Invalid IAM Policy Document",
    severity=Severity.CRITICAL,
    category=Category.PARAMETER_VALIDATION,
    rationale=(
        "The model wrote a policy document IAM cannot accept or that grants nothing: invalid JSON, "
        "a statement without Effect or Action, a principal in an identity policy, or actions that do "
        "not exist."
    ),
    docs=(
        f"{IAM_DOCS}/reference_policies_grammar.html",
        f"{IAM_DOCS}/reference_policies_elements_action.html",
        "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html",
    ),
    impact=(
        "Deployment Blocker: MalformedPolicyDocument stops the policy (and what depends on it)",
        "Runtime Failure: An action that does not exist grants nothing; calls fail with AccessDenied",
    ),
    fix_minutes=5,
    needs="terraform",
    version=3,
)
def iam_policy_invalid(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: policy documents of IAM policies, role policies, trust policies and
    resource policies (S3, SQS, SNS, KMS) that are not JSON, have no `Statement`, a statement
    without a valid `Effect` or without `Action`/`NotAction`, a `Principal` in an identity policy
    or none in a trust policy (Critical); and actions whose service prefix or name does not exist
    in the IAM action list (High; Critical in an S3 bucket policy, which S3 validates).

    Why it matters: IAM answers `MalformedPolicyDocument`; an action that does not exist is
    accepted by IAM but grants nothing, so the workload fails at run time with AccessDenied.

    Bad: `policy=json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:GetObjects",
    "Resource": "*"}]})`

    Good: `"Action": ["s3:GetObject"]` with `"Version": "2012-10-17"`.

    References: IAM JSON policy grammar; IAM actions; the Service Authorization Reference.
    """
    actions = {k: set(v) for k, v in load("iam_actions.json")["actions"].items()}
    for stack in ctx.tf.stacks.values():
        for rtype, attr, kind in POLICY_ATTRS:
            for res in stack.of_type(rtype):
                yield from _check_policy(ctx, stack, res, attr, res.get(attr), kind, actions)
        for res in stack.of_type("aws_iam_role"):
            for block in res.blocks("inline_policy"):
                if "policy" in block:
                    yield from _check_policy(
                        ctx, stack, res, "inline_policy", block["policy"], "identity", actions
                    )


def _check_policy(
    ctx: GradeContext,
    stack: Stack,
    res: Resource,
    attr: str,
    value: Any,
    kind: str,
    actions: dict[str, set[str]],
) -> Iterator[Hit]:
    if ctx.workspace.platform == TF_HCL:
        # HCL's usual `policy = jsonencode({...})`, read as the document it evaluates to.
        value = decoded_json(value)
    doc = parse_policy(stack, value)
    if doc is None:
        return
    if isinstance(doc, str):
        yield resource_hit(
            ctx,
            res,
            f"`{res.address}.{attr}` is not valid JSON: {doc}.",
            attr=attr,
            error="MalformedPolicyDocument: Syntax errors in policy.",
        )
        return
    problems: list[str] = []
    unknown: list[str] = []
    if not statements(doc):
        problems.append("it has no `Statement`")
    for i, st in enumerate(statements(doc), start=1):
        if st.get("Effect") not in ("Allow", "Deny"):
            problems.append(f"statement {i} has Effect `{st.get('Effect')}` (must be Allow or Deny)")
        if "Action" not in st and "NotAction" not in st:
            problems.append(f"statement {i} has no Action")
        if kind == "identity" and ("Principal" in st or "NotPrincipal" in st):
            problems.append(f"statement {i} names a Principal, which an identity policy cannot")
        if kind == "trust" and "Principal" not in st:
            problems.append(f"statement {i} of the trust policy names no Principal")
        for action in _as_list(st.get("Action")) + _as_list(st.get("NotAction")):
            verdict = _action_problem(action, actions)
            if verdict == "malformed":
                problems.append(f"action `{action}` is not `service:Action`")
            elif verdict:
                unknown.append(f"`{action}` ({verdict})")
    if problems:
        yield resource_hit(
            ctx,
            res,
            f"`{res.address}.{attr}`: {'; '.join(problems)}.",
            attr=attr,
            error=f"MalformedPolicyDocument: {problems[0]}",
        )
    elif unknown:
        strict = res.type == "aws_s3_bucket_policy"
        yield resource_hit(
            ctx,
            res,
            f"`{res.address}.{attr}` names {plural(len(unknown), 'an action', 'actions')} IAM does not have: "
            f"{', '.join(unknown[:6])}.",
            attr=attr,
            severity=None if strict else Severity.HIGH,
            title=None if strict else "IAM Policy Names Actions That Do Not Exist",
            error="MalformedPolicy: Policy has invalid action" if strict else "",
        )


def _action_problem(action: Any, actions: dict[str, set[str]]) -> str:
    if not isinstance(action, str) or is_token(action):
        return ""
    if action == "*":
        return ""
    prefix, sep, name = action.partition(":")
    if not sep or not prefix or not name or ":" in name:
        return "malformed"
    known = actions.get(prefix.lower())
    if known is None:
        return "unknown service prefix"
    pattern = name.lower()
    if any(fnmatchcase(a, pattern) for a in known):
        return ""
    return "no such action"


# -- what a role is allowed to do ------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """One Allow statement a role holds: its actions, and its `Resource` as written (a managed
    policy's grants are on `*`)."""

    actions: tuple[str, ...]
    resources: tuple[Any, ...]


def role_statements(stack: Stack, role: Resource) -> list[Grant] | None:
    """The Allow statements the stack's policies give `role`, or None when some policy cannot be
    read before apply (then nothing can be concluded)."""
    grants: list[Grant] = []
    if any(is_token(b) for b in _as_list(role.get("inline_policy"))):
        return None  # a template's `Fn::If` among the role's policies: which ones apply is unknown
    docs: list[Any] = [b.get("policy") for b in role.blocks("inline_policy")]
    arns: list[Any] = list(_as_list(role.get("managed_policy_arns")))
    for res in stack.resources:
        if role.address not in stack.references(res.get("role")) and role.address not in stack.references(
            res.get("roles")
        ):
            continue
        # A template's managed policy names the roles it is attached to (Terraform's has no `roles`).
        if res.type in ("aws_iam_role_policy", "aws_iam_policy"):
            docs.append(res.get("policy"))
        elif res.type in ("aws_iam_role_policy_attachment", "aws_iam_policy_attachment"):
            arns.append(res.get("policy_arn"))
    for arn in arns:
        refs = [a for a in stack.references(arn) if a.startswith("aws_iam_policy.")]
        if refs:
            policy = stack.resource(refs[0])
            docs.append(policy.get("policy") if policy else None)
            continue
        name = str(stack.resolve(arn)).rsplit("/", 1)[-1] if isinstance(arn, str) else ""
        if name not in MANAGED_POLICY_ACTIONS:
            return None
        grants.append(Grant(tuple(MANAGED_POLICY_ACTIONS[name]), ("*",)))
    for value in docs:
        doc = policy_or_document(stack, value)
        if doc is None:
            return None
        for st in statements(doc):
            if st.get("Effect") == "Allow":
                allowed = [a for a in _as_list(st.get("Action")) if isinstance(a, str)]
                if any(is_token(a) for a in allowed):
                    return None  # an action known only after apply could grant anything
                grants.append(Grant(tuple(allowed), tuple(_as_list(st.get("Resource")))))
    return grants


def role_grants(stack: Stack, role: Resource) -> list[str] | None:
    """Action patterns Allowed to `role` by the policies the stack attaches to it, or None when
    some policy cannot be read before apply (then nothing can be concluded)."""
    grants = role_statements(stack, role)
    return None if grants is None else [a for g in grants for a in g.actions]


def policy_or_document(stack: Stack, value: Any) -> dict[str, Any] | None:
    """A policy JSON, or the statements of a `data.aws_iam_policy_document` it refers to, written
    as a policy's (`Effect`, `Action`, `Resource`, `Principal`); None when neither can be read."""
    refs = [a for a in stack.references(value) if a.startswith("data.aws_iam_policy_document.")]
    if refs and isinstance(value, str) and value.strip().startswith("${"):
        data = stack.resource(refs[0])
        if data is None:
            return None
        return {
            "Statement": [
                {
                    "Effect": s.get("effect", "Allow"),
                    "Action": s.get("actions", []),
                    "Resource": s.get("resources", []),
                    "Principal": {
                        str(p.get("type")): p.get("identifiers", [])
                        for p in _as_list(s.get("principals"))
                        if isinstance(p, dict)
                    },
                }
                for s in data.blocks("statement")
            ]
        }
    doc = parse_policy(stack, value)
    return doc if isinstance(doc, dict) else None


def allows(granted: list[str], action: str) -> bool:
    """Whether one of the granted patterns (`sqs:*`, `*`, `sqs:Receive*`) covers `action`."""
    target = action.lower()
    return any(fnmatchcase(target, g.lower()) for g in granted if not is_token(g))
