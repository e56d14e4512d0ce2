"""AWS: account-level and cross-cutting checks of the synthesized stacks: regions and zones,
services the task asks for, secrets in the code, and settings that block teardown."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from typing import Any

from iacgrade.graders.constraints import all_regions, load
from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import Hit, rule
from iacgrade.graders.sites import provider_site, resource_hit, stack_class_site
from iacgrade.graders.terraform_model import UNRESOLVED, is_token
from iacgrade.graders.wording import plural
from iacgrade.harness.core.findings import Category, Severity
from iacgrade.harness.platforms.cdktf_python.pysource import find_stack_classes

PROVIDER_MODULE = "cdktf_cdktf_provider_aws"
AZ = re.compile(r"^([a-z]{2}(?:-[a-z]+)+-\d+)([a-z])$")


@rule(
    id="AWS011",
    name="invalid-region-or-zone",
    title="Invalid AWS Region or Availability Zone",
    severity=Severity.CRITICAL,
    category=Category.PARAMETER_VALIDATION,
    rationale=(
        "The model named a region that does not exist, or an availability zone of another region "
        "than the provider the resource is created with."
    ),
    docs=("https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html",),
    impact=("Deployment Blocker: The provider cannot be configured or the subnet/instance is rejected",),
    fix_minutes=3,
    version=2,
    needs="terraform",
)
def invalid_region_or_zone(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a provider or S3 backend `region` that is no AWS region (botocore's
    endpoint data), and a literal `availability_zone` that does not belong to the region of the
    resource's provider (`us-east-1a` on a `us-west-2` provider).

    Why it matters: Terraform fails with "invalid AWS Region", or EC2 answers
    "InvalidParameterValue: Value (us-east-1a) for parameter availabilityZone is invalid".

    Bad: `AwsProvider(self, "aws", region="us-east-3")`; a subnet with
    `availability_zone="us-east-1a"` under `provider=west`.

    Good: `availability_zone=Fn.element(azs.names, 0)` from `DataAwsAvailabilityZones`.

    References: AWS Regions and Availability Zones.
    """
    regions = all_regions()
    for stack in ctx.tf.stacks.values():
        for provider in stack.providers:
            region = provider.region
            if provider.name == "aws" and region and region not in regions:
                where, evidence = provider_site(ctx, provider, "region") or stack_class_site(ctx, stack.name)
                yield Hit(
                    message=f"Provider `{provider.ref}` of stack `{stack.name}` uses region `{region}`, "
                    "which is no AWS region.",
                    location=where,
                    anchor=f"region:{region}",
                    fix_anchor="call:AwsProvider",
                    evidence=evidence,
                    error=f"Error: invalid AWS Region: {region}",
                    note=ctx.terraform_note,
                )
        backend = stack.backend
        if backend and backend[0] == "s3":
            region = backend[1].get("region")
            if isinstance(region, str) and not is_token(region) and region not in regions:
                where, evidence = stack_class_site(ctx, stack.name)
                yield Hit(
                    message=f"The S3 backend of stack `{stack.name}` uses region `{region}`, no AWS region.",
                    location=where,
                    anchor=f"region:{region}",
                    fix_anchor="call:S3Backend",
                    evidence=evidence,
                    error=f"Error: invalid AWS Region: {region}",
                    note=ctx.terraform_note,
                )
        for res in stack.resources:
            zone = stack.literal(res, "availability_zone")
            region = stack.region_of(res)
            if not isinstance(zone, str) or zone is UNRESOLVED or not region:
                continue
            match = AZ.match(zone)
            if match and match.group(1) != region:
                yield resource_hit(
                    ctx,
                    res,
                    f"`{res.address}` is created in `{region}` but names availability zone `{zone}` of "
                    f"`{match.group(1)}`.",
                    attr="availability_zone",
                    error=f"InvalidParameterValue: Value ({zone}) for parameter availabilityZone is invalid. "
                    f"Subnets can only be created in the availability zones of {region}.",
                )


def _service_key(name: str) -> str:
    text = name.lower()
    for word in ("amazon", "aws"):
        text = text.replace(word, "")
    return re.sub(r"[^a-z0-9]", "", text)


@rule(
    id="AWS013",
    name="required-service-missing",
    title="Required AWS Service Not Implemented",
    severity=Severity.MEDIUM,
    category=Category.PRODUCTION_READINESS,
    rationale=("The model left out a service the task asks for (its `aws_services`)."),
    docs=("https://registry.terraform.io/providers/hashicorp/aws/latest/docs",),
    impact=(
        "Requirements Gap: Part of the requested architecture is missing",
        "Integration Tests: Tests that look for the service fail",
    ),
    fix_minutes=30,
    needs="terraform",
    version=3,
)
def required_service_missing(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: each service of the task's `metadata.json` `aws_services` with no resource
    of its kind in any synthesized stack (a table maps service names to Terraform resource
    types; services that are APIs only, such as Rekognition, are not judged). The task's region
    is not judged here: the pipeline sets `AWS_REGION` when it synthesizes. When the JSON may be
    partial (the entry failed, the stacks come from a fallback or repaired run, or a stack class
    of the source built no stack), a service whose provider module the answer imports is not
    reported: the part the synth did not reach may create it. An answer that calls modules is not
    judged: their resources are not read.

    Why it matters: the answer does not build what was asked; the reviewers count it as missing
    functionality.

    Bad: a task listing `["Lambda", "SQS", "DynamoDB"]` whose answer has no `aws_sqs_queue`.

    Good: every listed service has its resources; the provider is configured for the task's
    region.

    References: the Terraform AWS provider's resource list.
    """
    if ctx.tf.module_calls():
        # What the modules create is not in the JSON: any missing service may be theirs.
        return
    services = load("service_resources.json")["services"]
    types = ctx.tf.declared_types()
    where, evidence = stack_class_site(ctx)
    metadata = ctx.metadata or _workspace_metadata(ctx)
    partial = _partial_synth(ctx)
    imported = _provider_modules(ctx) if partial else set()
    for name in metadata.get("aws_services") or []:
        key = _service_key(str(name))
        prefixes = services.get(key)
        if not prefixes:
            continue
        if not any(t == p or t.startswith(p) for t in types for p in prefixes):
            # A stack or construct the synth did not reach may create it: the source decides.
            if partial and any(m.startswith(p.removeprefix("aws_")) for m in imported for p in prefixes):
                continue
            yield Hit(
                message=f"The task asks for {name}, but no stack has a resource of it "
                f"({', '.join(f'`{p}*`' for p in prefixes[:3])}).",
                location=where,
                anchor=f"service:{key}",
                evidence=evidence,
                note=ctx.terraform_note,
            )


def _partial_synth(ctx: GradeContext) -> bool:
    """Whether the JSON may lack part of what the answer builds: the entry did not run to the
    end, the stacks came from a fallback or a repaired run, or a stack class of the source built
    no stack."""
    synth = ctx.synth
    if synth is None or not synth.ok or synth.from_fallback or synth.from_repair:
        return True
    built = {origin.get("class", "").rpartition(".")[2] for origin in synth.stack_classes.values()}
    if not synth.stack_classes:
        return False  # the worker did not say which classes built the stacks
    return any(cls.name not in built for cls in find_stack_classes(ctx.source))


def _provider_modules(ctx: GradeContext) -> set[str]:
    """Provider resource modules the answer imports (`s3_bucket` for
    `from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket`); data sources left out."""
    found: set[str] = set()
    for tree in ctx.trees.values():
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith(PROVIDER_MODULE):
                continue
            parts = (node.module or "").split(".")
            names = [parts[1]] if len(parts) > 1 else [a.name for a in node.names]
            found.update(n for n in names if not n.startswith("data_aws_"))
    return found


def _workspace_metadata(ctx: GradeContext) -> dict[str, Any]:
    """A `metadata.json` among the files, for contexts built without the task (rule fixtures)."""
    try:
        data = json.loads(ctx.workspace.files.get("metadata.json", "{}"))
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


# (resource type, attribute) holding a secret that must not be a literal in the code.
SECRET_ATTRS = (
    ("aws_db_instance", "password"),
    ("aws_rds_cluster", "master_password"),
    ("aws_docdb_cluster", "master_password"),
    ("aws_neptune_cluster", "master_password"),
    ("aws_redshift_cluster", "master_password"),
    ("aws_elasticache_replication_group", "auth_token"),
    ("aws_secretsmanager_secret_version", "secret_string"),
    ("aws_ssm_parameter", "value"),
    ("aws_iam_user_login_profile", "password"),
)
SECRETISH = re.compile(r"pass(word)?|secret|token|api[_-]?key|credential", re.IGNORECASE)


@rule(
    id="AWS016",
    name="hardcoded-secret",
    title="Hardcoded Credentials or Secrets",
    severity=Severity.HIGH,
    category=Category.PRODUCTION_READINESS,
    rationale=(
        "The model wrote a password or secret into the code, where it ends up in version control, "
        "in the synthesized JSON and in the Terraform state."
    ),
    docs=(
        "https://docs.aws.amazon.com/secretsmanager/latest/userguide/intro.html",
        "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html",
    ),
    impact=(
        "Security Risk: Anyone with read access to the repository has the database password",
        "Rotation: A secret in code cannot be rotated without a code change",
    ),
    fix_minutes=10,
    needs="terraform",
)
def hardcoded_secret(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a literal (not a variable, a generated password or a reference) in a
    database master password, an ElastiCache auth token, a Secrets Manager secret value, a
    `SecureString` SSM parameter or a login profile password; and literal values of Lambda
    environment variables whose name says secret (`DB_PASSWORD`, `API_KEY`, ...).

    Why it matters: the secret is in the repository and the state in clear text, and cannot be
    rotated without a deploy.

    Bad: `RdsCluster(..., master_password="ChangeMe123!")`

    Good: `manage_master_user_password=True`, or a `random_password` stored in Secrets Manager.

    References: AWS Secrets Manager; RDS integration with Secrets Manager.
    """
    for stack in ctx.tf.stacks.values():
        for rtype, attr in SECRET_ATTRS:
            for res in stack.of_type(rtype):
                value = res.get(attr)
                if rtype == "aws_ssm_parameter" and res.get("type") != "SecureString":
                    continue
                if isinstance(value, str) and value and not is_token(value):
                    yield resource_hit(
                        ctx,
                        res,
                        f"`{res.address}.{attr}` is a literal secret written in the code.",
                        attr=attr,
                    )
        for res in stack.of_type("aws_lambda_function"):
            for block in res.blocks("environment"):
                variables = block.get("variables") or {}
                if not isinstance(variables, dict):
                    continue
                bad = sorted(
                    k
                    for k, v in variables.items()
                    if SECRETISH.search(k)
                    and isinstance(v, str)
                    and len(v) >= 6
                    and not is_token(v)
                    and not v.startswith("arn:")
                    and "/" not in v
                )
                if bad:
                    yield resource_hit(
                        ctx,
                        res,
                        f"`{res.address}` passes a literal secret in "
                        f"{plural(len(bad), 'environment variable')} "
                        f"{', '.join(f'`{k}`' for k in bad)}.",
                        attr="environment",
                    )


# (resource type, attribute, value that blocks teardown)
PROTECTION = (
    ("aws_db_instance", "deletion_protection", True),
    ("aws_rds_cluster", "deletion_protection", True),
    ("aws_docdb_cluster", "deletion_protection", True),
    ("aws_neptune_cluster", "deletion_protection", True),
    ("aws_dynamodb_table", "deletion_protection_enabled", True),
    ("aws_lb", "enable_deletion_protection", True),
    ("aws_alb", "enable_deletion_protection", True),
)


@rule(
    id="AWS010",
    name="teardown-blocked",
    title="Resources Block Teardown of the Environment",
    severity=Severity.MEDIUM,
    category=Category.PRODUCTION_READINESS,
    rationale=(
        "The model enabled deletion protection, required a final snapshot without naming it, or kept "
        "a secret's recovery window, so `terraform destroy` of a test environment fails or the next "
        "deploy with the same names is refused."
    ),
    docs=(
        "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html",
        "https://docs.aws.amazon.com/secretsmanager/latest/userguide/manage_delete-restore-secret.html",
    ),
    impact=(
        "Cleanup Blocker: `terraform destroy` fails and leaves billable resources behind",
        "Redeploy Blocker: A secret scheduled for deletion keeps its name for up to 30 days",
    ),
    fix_minutes=3,
    needs="terraform",
)
def teardown_blocked(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: `deletion_protection` (RDS, Aurora, DocumentDB, Neptune, DynamoDB,
    load balancers) turned on; an `aws_db_instance` or `aws_rds_cluster` without
    `skip_final_snapshot=True` and without `final_snapshot_identifier`; `lifecycle.prevent_destroy`;
    a named Secrets Manager secret whose `recovery_window_in_days` is not 0.

    Why it matters: test environments are created and destroyed per change; destroy fails
    ("final_snapshot_identifier is required when skip_final_snapshot is false", "Cannot delete
    protected Cluster"), and a redeploy fails while a deleted secret keeps its name.

    Bad: `RdsCluster(..., deletion_protection=True)`; `DbInstance(...)` without
    `skip_final_snapshot`.

    Good: `deletion_protection=False, skip_final_snapshot=True`;
    `SecretsmanagerSecret(..., recovery_window_in_days=0)`.

    References: deleting RDS instances; deleting Secrets Manager secrets.
    """
    for stack in ctx.tf.stacks.values():
        for rtype, attr, bad in PROTECTION:
            for res in stack.of_type(rtype):
                if stack.literal(res, attr) == bad:
                    yield resource_hit(
                        ctx, res, f"`{res.address}` sets `{attr}={bad}`: destroy is refused.", attr=attr
                    )
        for res in stack.of_type("aws_db_instance", "aws_rds_cluster"):
            if res.get("replicate_source_db") or (
                res.get("global_cluster_identifier") and res.get("source_region")
            ):
                continue
            if res.get("skip_final_snapshot") is not True and not res.get("final_snapshot_identifier"):
                yield resource_hit(
                    ctx,
                    res,
                    f"`{res.address}` neither skips the final snapshot nor names one: destroy fails.",
                    attr="skip_final_snapshot",
                    error="Error: final_snapshot_identifier is required when skip_final_snapshot is false",
                )
        for res in stack.resources:
            lifecycle = res.get("lifecycle")
            if isinstance(lifecycle, dict) and lifecycle.get("prevent_destroy") is True:
                yield resource_hit(
                    ctx, res, f"`{res.address}` has `lifecycle.prevent_destroy`.", attr="lifecycle"
                )
        for res in stack.of_type("aws_secretsmanager_secret"):
            window = res.get("recovery_window_in_days")
            if res.get("name") and window != 0:
                yield resource_hit(
                    ctx,
                    res,
                    f"`{res.address}` keeps a {30 if window is None else window}-day recovery window: "
                    "after a destroy, its name cannot be reused until the window ends.",
                    attr="recovery_window_in_days" if window is not None else "name",
                    error="InvalidRequestException: You can't create this secret because a secret with this "
                    "name is already scheduled for deletion.",
                )
