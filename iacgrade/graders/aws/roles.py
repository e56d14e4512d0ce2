"""AWS: roles that lack what their code evidently does: a Lambda function whose environment names
a table, bucket, queue, topic, secret, stream or function its role has no action of that service
on. (The permissions Lambda itself checks when the function and its triggers are created are
AWS014's, in iacgrade/graders/aws/lambdas.py.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from fnmatch import fnmatchcase

from iacgrade.graders.aws.iam import Grant, role_statements
from iacgrade.graders.aws.workloads import Use, environment, environment_uses, lambda_role, service_types
from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import Hit, rule
from iacgrade.graders.sites import repaired_among, resource_hit
from iacgrade.graders.terraform_model import Resource, Stack
from iacgrade.harness.core.findings import Category, Severity

# Resource policies that can grant a role access without the role's own policies.
RESOURCE_POLICIES = (
    "aws_s3_bucket_policy",
    "aws_sqs_queue_policy",
    "aws_sns_topic_policy",
    "aws_secretsmanager_secret_policy",
    "aws_lambda_permission",
    "aws_dynamodb_resource_policy",
    "aws_kinesis_resource_policy",
)
# What says what a role may do: a repaired call among them leaves the stack's roles unjudged.
IAM_TYPES = (
    "aws_iam_role",
    "aws_iam_role_policy",
    "aws_iam_role_policy_attachment",
    "aws_iam_policy",
    "aws_iam_policy_attachment",
    *RESOURCE_POLICIES,
)
ANYONE = re.compile(r'"(?:Principal|AWS)"\s*:\s*"\*"')


@rule(
    id="AWS025",
    name="role-lacks-service-its-code-uses",
    title="Lambda Role Has No Access to a Resource Its Environment Names",
    # The function deploys; every call to the named resource fails at run time.
    severity=Severity.HIGH,
    category=Category.RESOURCE_CONFIGURATION,
    rationale=(
        "The model handed the function a table, bucket, queue, topic, secret, stream or function "
        "through its environment, but gave its execution role no action of that service."
    ),
    docs=(
        "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html",
        "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html",
    ),
    impact=(
        "Runtime Failure: Every call to the named resource fails with AccessDeniedException",
        "Least Privilege: Grant the actions the code calls, on that resource's ARN",
    ),
    fix_minutes=10,
    needs="terraform",
    keywords=(
        "IAM permission",
        "missing permission",
        "missing IAM",
        "IAM policies",
        "AccessDenied",
        "not authorized to perform",
        "role permission",
    ),
)
def role_lacks_service_its_code_uses(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: an `aws_lambda_function` whose environment variables name a resource of the
    answer reached through an AWS API (a DynamoDB table, S3 bucket, SQS queue, SNS topic, Secrets
    Manager secret, Kinesis or Firehose stream, SSM parameter, state machine, event bus or Lambda
    function), by reference or by its literal name, while no policy of its execution role allows
    any action of that service and no resource policy of that resource names the role (or
    everyone). When a policy of the role cannot be read, nothing is concluded. The actions Lambda
    checks at create time (triggers, VPC, dead-letter target, tracing) are AWS014's.

    Why it matters: the function deploys, then the first call fails: "AccessDeniedException: User:
    arn:aws:sts::...:assumed-role/... is not authorized to perform: dynamodb:PutItem on resource
    ...".

    Bad: `environment={"variables": {"TABLE_NAME": table.name}}` on a function whose role has
    only `AWSLambdaBasicExecutionRole`.

    Good: an `IamRolePolicy` allowing `dynamodb:GetItem`, `dynamodb:PutItem`, `dynamodb:Query`
    on `table.arn`.

    References: Lambda execution role; actions, resources and condition keys of AWS services.
    """
    for stack in ctx.tf.stacks.values():
        if repaired_among(ctx, stack, *IAM_TYPES):
            continue
        for fn in stack.of_type("aws_lambda_function"):
            role = lambda_role(stack, fn)
            if role is None:
                continue
            grants = role_statements(stack, role)
            if grants is None:
                continue
            lacking = [
                u
                for u in _named_uses(stack, fn)
                if not _allows_service(grants, u.service)
                and not _resource_policy_grants(stack, u.resource, role)
            ]
            if not lacking:
                continue
            services = sorted({u.service for u in lacking})
            named = ", ".join(
                f"`{u.resource.address}` ({u.why.removeprefix('its environment ')})" for u in lacking
            )
            yield resource_hit(
                ctx,
                fn,
                f"`{fn.address}` is handed {named} in its environment, but runs as `{role.address}`, "
                f"whose policies allow no {', '.join(f'`{s}:`' for s in services)} action: every "
                f"call its code makes to {'it' if len(lacking) == 1 else 'them'} fails with "
                "AccessDeniedException.",
                attr="environment",
            )


def _named_uses(stack: Stack, fn: Resource) -> list[Use]:
    """What the environment names: by reference, or by a literal equal to a resource's name."""
    uses = environment_uses(stack, fn)
    seen = {u.resource.address for u in uses}
    types = service_types()
    for key, value in sorted(environment(fn).items()):
        if not isinstance(value, str) or len(value) < 3 or "${" in value:
            continue
        for res in stack.resources:
            entry = types.get(res.type)
            if entry is None or res is fn or res.address in seen:
                continue
            if any(stack.literal_text(res, attr) == value for attr in entry.get("names", [])):
                seen.add(res.address)
                uses.append(
                    Use(
                        res,
                        entry["service"],
                        entry["label"],
                        tuple(entry["endpoints"]),
                        f"its environment `{key}`",
                    )
                )
    return uses


def _allows_service(grants: list[Grant], service: str) -> bool:
    for grant in grants:
        for action in grant.actions:
            if fnmatchcase(service, action.split(":", 1)[0].lower()):
                return True
    return False


def _resource_policy_grants(stack: Stack, res: Resource, role: Resource) -> bool:
    """Whether a resource policy of `res` names `role` or everyone (it may grant what the role lacks)."""
    for policy in stack.resources:
        if policy.type not in RESOURCE_POLICIES or res.address not in stack.references(dict(policy.config)):
            continue
        text = str(dict(policy.config))
        if role.address in stack.references(dict(policy.config)) or ANYONE.search(text.replace("'", '"')):
            return True
    return False
