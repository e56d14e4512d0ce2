"""REQ rules: one per kind of requirement the task prompt states, each failure quoting the prompt's
line and pointing at the code where the requirement should be met.

The checklist (checklist.py) and the checks (evaluate.py) are shared with the report's
"Requirements" section (outcome.py); a rule yields the culprits of its kind's unmet requirements
that no other rule reports.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import Hit, rule
from iacgrade.graders.requirements.evaluate import judge
from iacgrade.graders.requirements.verdict import UNMET, Culprit
from iacgrade.graders.sites import resource_hit, stack_class_site
from iacgrade.harness.core.findings import Category, Location, Severity
from iacgrade.harness.platforms.cdktf_python.locate import quote, statement_span

# An aspect's own title and severity, where they are not its rule's: a missing feature is High,
# a setting Medium (as the dev corpus reviewers rate them, ISSUE14 survey §1b).
ASPECTS: dict[str, tuple[str, Severity]] = {
    "auto_failover": ("Cache Without the Automatic Failover the Prompt Asks For", Severity.MEDIUM),
    "health_checks": ("Route 53 Health Checks the Prompt Asks For Are Missing", Severity.HIGH),
    "failover_routing": ("Route 53 Failover Routing the Prompt Asks For Is Missing", Severity.HIGH),
    "customer_key": ("Customer-Managed KMS Key the Prompt Asks For Is Not Used", Severity.MEDIUM),
    "key_rotation": ("KMS Key Rotation the Prompt Asks For Is Missing", Severity.MEDIUM),
    "alarm_actions": ("CloudWatch Alarms Without the Notifications the Prompt Asks For", Severity.MEDIUM),
    "dashboard": ("CloudWatch Dashboard the Prompt Asks For Is Missing", Severity.MEDIUM),
    "log_retention": ("Log Retention Differs From the Prompt's", Severity.MEDIUM),
    "point_in_time": ("DynamoDB Point-in-Time Recovery the Prompt Asks For Is Off", Severity.MEDIUM),
    "backup_plan": ("AWS Backup Plan the Prompt Asks For Is Missing", Severity.MEDIUM),
    "versioning": ("S3 Versioning the Prompt Asks For Is Off", Severity.MEDIUM),
    "force_destroy": ("S3 Buckets Not Deleted With the Stack as the Prompt Asks", Severity.HIGH),
    "nat_per_az": ("Fewer NAT Gateways Than the Prompt's One per Zone", Severity.MEDIUM),
    "nat_single": ("NAT Gateway Count Differs From the Prompt's", Severity.MEDIUM),
    "no_nat": ("NAT Gateway Count Differs From the Prompt's", Severity.MEDIUM),
    "dynamodb_global": ("DynamoDB Global Table the Prompt Asks For Is Missing", Severity.HIGH),
}
# A prompt line is quoted whole up to this length, then cut.
QUOTE_CHARS = 200


def requirement_hits(ctx: GradeContext, kind: str) -> Iterator[Hit]:
    """A hit per culprit of each unmet requirement of `kind`, unless another rule reports it or an
    earlier requirement of the same aspect already did."""
    reported: set[tuple[str, str]] = set()
    for judged in judge(ctx, kind):
        if judged.verdict.status != UNMET:
            continue
        req = judged.requirement
        said = f'PROMPT.md line {req.line_no}: "{_cut(req.quote)}"'
        if judged.also:
            said += f" (also line{'s' if len(judged.also) > 1 else ''} {', '.join(map(str, judged.also))})"
        for culprit in judged.verdict.culprits:
            place = culprit.resource.address if culprit.resource else f"{culprit.stack}:{culprit.what}"
            if culprit.reported_by or (req.aspect, place) in reported:
                continue
            reported.add((req.aspect, place))
            title, severity = ASPECTS.get(req.aspect, (None, None))
            message = f"{said}. {culprit.what[0].upper()}{culprit.what[1:]}."
            anchor = f"requirement:{req.aspect}:L{req.line_no}"
            yield _hit(ctx, culprit, message, anchor, title, culprit.severity or severity)


def _hit(
    ctx: GradeContext,
    culprit: Culprit,
    message: str,
    anchor: str,
    title: str | None,
    severity: Severity | None,
) -> Hit:
    # One anchor per requirement: a reference that misses the requirement too (whichever of its
    # resources it misses it on) shares the failure. The construct still finds the reference's code.
    if culprit.resource is not None:
        hit = resource_hit(ctx, culprit.resource, message, attr=culprit.attr, error=culprit.error)
        return dataclasses.replace(hit, anchor=anchor, fix_anchor=hit.anchor, title=title, severity=severity)
    if culprit.provider is not None:
        where, evidence = _provider_site(ctx, culprit.stack, *culprit.provider)
    else:
        where, evidence = stack_class_site(ctx, culprit.stack)
    return Hit(
        message=message,
        location=where,
        anchor=anchor,
        fix_anchor="call:AwsProvider" if culprit.provider is not None else "",
        evidence=evidence,
        error=culprit.error,
        title=title,
        severity=severity,
        note=ctx.terraform_note,
    )


def culprit_place(ctx: GradeContext, culprit: Culprit) -> str:
    """Where a culprit points, as `path:line` (or its address when the source is not found)."""
    loc = _hit(ctx, culprit, "", "", None, None).location
    return f"{loc.path}:{loc.line}" if loc.path and loc.line else (loc.address or loc.stack or "")


def _provider_site(ctx: GradeContext, stack: str, path: str, line: str) -> tuple[Location, str]:
    """The `AwsProvider(...)` statement at `path:line`."""
    tree = ctx.trees.get(path)
    if tree is None:
        return stack_class_site(ctx, stack)
    span = statement_span(tree, path, int(line))
    location = Location(
        path=path, line=span.start, end_line=span.end if span.end != span.start else None, stack=stack
    )
    return location, quote(ctx.workspace.files, span)


def _cut(text: str) -> str:
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1].rstrip() + "…"


_PROMPT_DOC = "https://developer.hashicorp.com/terraform/cdktf"


@rule(
    id="REQ001",
    name="resources-outside-prompt-regions",
    title="Resources Deployed Outside the Regions the Prompt Names",
    severity=Severity.HIGH,
    category=Category.RESOURCE_CONFIGURATION,
    rationale="The model configured a provider for a region the task does not ask for.",
    docs=("https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html",),
    impact=("Requirements Gap: The architecture spans regions the task did not ask for, at their cost",),
    fix_minutes=15,
    needs="terraform",
    keywords=("single-region", "wrong region", "region mismatch", "instead of single", "unrequested region"),
    version=2,
)
def resources_outside_prompt_regions(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: an AWS provider (or a resource's own `region`) whose region the answer wrote
    and the prompt does not name. The prompt's regions are every region code its task text names
    (the generic "DO NOT hardcode `us-east-1`" text aside); a region the answer reads from the
    environment (`AWS_REGION`) is the grader's, not the answer's, and is not judged.

    Why it matters: the task asked for a single-region (or a given multi-region) architecture;
    another region adds cost and moving parts the reviewers count as a redesign.

    Bad: a prompt "All resources deployed in us-east-1 region" and
    `AwsProvider(self, "aws_secondary", region="us-west-2", alias="secondary")`.

    Good: providers only for the regions the prompt names.

    References: AWS Regions.
    """
    yield from requirement_hits(ctx, "region")


@rule(
    id="REQ002",
    name="multi-az-or-failover-missing",
    title="Multi-AZ or Failover the Prompt Asks For Is Missing",
    severity=Severity.HIGH,
    category=Category.PRODUCTION_READINESS,
    rationale="The model built in one availability zone, or without the failover the task asks for.",
    docs=(
        "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZ.html",
        "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-configuring.html",
    ),
    impact=(
        "Availability: A zone or region outage takes the service down",
        "Requirements Gap: The prompt's availability target is not met",
    ),
    fix_minutes=20,
    needs="terraform",
    keywords=("multi-az", "availability zone", "failover", "route 53 health check", "high availability"),
    version=2,
)
def multi_az_or_failover_missing(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: where the prompt asks for it, subnets of a VPC in fewer availability zones
    than the prompt names; an RDS instance without `multi_az`, an Aurora cluster with fewer than two
    instances, a cache replication group without Multi-AZ or automatic failover; no Route 53
    records with a PRIMARY and a SECONDARY `failover_routing_policy`; no Route 53 health check.

    Why it matters: the prompt's availability requirement is not met; a zone or region failure
    becomes an outage.

    Bad: "PostgreSQL database with Multi-AZ deployment" and `DbInstance(...)` without `multi_az`.

    Good: `DbInstance(..., multi_az=True)`; subnets in `azs.names[0..2]` for "3 availability zones".

    References: RDS Multi-AZ deployments; Route 53 DNS failover.
    """
    yield from requirement_hits(ctx, "availability")


@rule(
    id="REQ003",
    name="encryption-requirement-unmet",
    title="Encryption the Prompt Asks For Is Missing",
    severity=Severity.HIGH,
    category=Category.PRODUCTION_READINESS,
    rationale=(
        "The model left stores unencrypted, or on AWS managed "
        "keys where the task asks for customer-managed KMS keys."
    ),
    docs=("https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#customer-cmk",),
    impact=("Compliance: Data is not encrypted as the task's compliance requirements state",),
    fix_minutes=15,
    needs="terraform",
    keywords=("customer-managed", "customer managed", "encryption at rest", "cmk", "key rotation"),
    version=3,
)
def encryption_requirement_unmet(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: where the prompt asks for it, no `aws_kms_key` at all when the prompt asks for
    customer-managed keys; a store the prompt names (or every data store, for "all data") that does
    not name a customer-managed key (`kms_key_id`, `kms_master_key_id`, the bucket's
    `apply_server_side_encryption_by_default`); an EFS file system or Kinesis stream left
    unencrypted. Stores checkov already reports (RDS, Aurora, SNS, SQS, ElastiCache unencrypted;
    key rotation) are left to it.

    Why it matters: the task's compliance requirement (PCI, HIPAA) is not met; AWS managed keys
    cannot be rotated, shared or revoked by the customer.

    Bad: "Configure customer-managed KMS keys for S3 encryption" and a bucket with `AES256`.

    Good: `kms_master_key_id=key.arn` with `sse_algorithm="aws:kms"`.

    References: AWS KMS customer managed keys.
    """
    yield from requirement_hits(ctx, "encryption")


@rule(
    id="REQ004",
    name="monitoring-requirement-unmet",
    title="CloudWatch Monitoring the Prompt Asks For Is Missing",
    severity=Severity.MEDIUM,
    category=Category.PRODUCTION_READINESS,
    rationale="The model left out alarms, dashboards or log retention the task asks for.",
    docs=(
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html",
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Working-with-log-groups-and-streams.html",
    ),
    impact=("Operability: Failures go unnoticed, or logs are kept longer (and billed) than asked",),
    fix_minutes=10,
    needs="terraform",
    keywords=(
        "missing cloudwatch",
        "log retention",
        "log group",
        "dashboard",
        "alarm action",
        "missing alarm",
    ),
    version=2,
)
def monitoring_requirement_unmet(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: where the prompt asks for it, no CloudWatch alarm, or none on the metrics of
    a service the prompt names after "alarms" (`AWS/Lambda` for "alarms for Lambda errors"); alarms
    without `alarm_actions` when the prompt says they notify; no CloudWatch dashboard; log groups
    whose `retention_in_days` is not the prompt's (or no log group at all, so Lambda's own keep
    logs forever).

    Why it matters: the monitoring the task asks for is not there, or logs are kept for another
    period than its compliance rules say.

    Bad: "CloudWatch Logs MUST have 7-day retention" and `CloudwatchLogGroup(...,
    retention_in_days=14)`.

    Good: `retention_in_days=7`; a `CloudwatchMetricAlarm` on `AWS/Lambda` `Errors` with
    `alarm_actions=[topic.arn]`.

    References: CloudWatch alarms; CloudWatch Logs retention.
    """
    yield from requirement_hits(ctx, "monitoring")


@rule(
    id="REQ005",
    name="required-tags-missing",
    title="Tags the Prompt Requires Are Missing",
    severity=Severity.MEDIUM,
    category=Category.PRODUCTION_READINESS,
    rationale="The model did not apply the tag keys the task names to every taggable resource.",
    docs=("https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html",),
    impact=("Cost Allocation: Resources cannot be attributed or found by the tags the task requires",),
    fix_minutes=5,
    needs="terraform",
    keywords=("tagging", "required tag", "missing tag", "tags"),
    version=2,
)
def required_tags_missing(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a taggable resource (its provider class accepts `tags`) that carries neither
    in its own `tags` nor in its provider's `default_tags` a tag key the prompt names explicitly
    ("Tag all resources with Environment=production", "Required tags: CostCenter, Environment").
    Values are not compared: an answer that derives `Environment` from its environment is right.
    One failure per stack, at its class, counting the resources that lack the keys.

    Why it matters: cost allocation and compliance reports group by these keys.

    Bad: "Tag all resources with CostCenter=engineering" and no `CostCenter` anywhere.

    Good: `AwsProvider(..., default_tags=[{"tags": {"CostCenter": "engineering"}}])`.

    References: Tagging AWS resources.
    """
    yield from requirement_hits(ctx, "tags")


@rule(
    id="REQ006",
    name="required-outputs-missing",
    title="Outputs the Prompt Lists Are Missing",
    severity=Severity.MEDIUM,
    category=Category.PRODUCTION_READINESS,
    rationale="The model did not export outputs the task lists.",
    docs=("https://developer.hashicorp.com/terraform/cdktf/concepts/variables-and-outputs#output-values",),
    impact=("Integration Tests: Tests that read the listed outputs cannot find them",),
    fix_minutes=5,
    needs="terraform",
    keywords=("output", "TerraformOutput", "stack outputs"),
    version=2,
)
def required_outputs_missing(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: an output the prompt lists ("Outputs: VPC ID, all subnet IDs, and NAT
    Gateway ID") that no declared `TerraformOutput` gives, told by the kind of resource its value
    refers to (a VPC ID output refers to an `aws_vpc`). Items that name no resource kind
    ("kubeconfig command") are not judged; an answer with no output at all is TF003's.

    Why it matters: the integration tests and the consumers of the stack read these outputs.

    Bad: "Outputs: Lambda function ARNs, DynamoDB table name" and only a table output.

    Good: `TerraformOutput(self, "processor_arn", value=fn.arn)` for each item.

    References: CDKTF output values.
    """
    yield from requirement_hits(ctx, "outputs")


@rule(
    id="REQ007",
    name="backup-requirement-unmet",
    title="Backups or Versioning the Prompt Asks For Are Missing",
    severity=Severity.MEDIUM,
    category=Category.PRODUCTION_READINESS,
    rationale=(
        "The model kept backups shorter than asked, or "
        "left point-in-time recovery, a backup plan or versioning out."
    ),
    docs=(
        "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.html",
        "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/PointInTimeRecovery.html",
    ),
    impact=("Data Loss: Data cannot be restored as far back as the task requires",),
    fix_minutes=5,
    needs="terraform",
    keywords=("backup", "point-in-time", "pitr", "versioning", "retention period"),
    version=2,
)
def backup_requirement_unmet(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: where the prompt asks for it, a database whose `backup_retention_period` is
    shorter than the prompt's days (an AWS Backup plan's `delete_after`, when the prompt is about
    one); a DynamoDB table without `point_in_time_recovery`; no `aws_backup_plan`; an S3 bucket
    without versioning `Enabled`.

    Why it matters: the recovery the task requires is not possible.

    Bad: "Configure automated backups with 7-day retention" and `backup_retention_period=1`.

    Good: `backup_retention_period=7`; `point_in_time_recovery={"enabled": True}` as the struct.

    References: RDS automated backups; DynamoDB point-in-time recovery.
    """
    yield from requirement_hits(ctx, "backups")


@rule(
    id="REQ008",
    name="teardown-requirement-unmet",
    title="Resources Not Destroyable as the Prompt Asks",
    severity=Severity.HIGH,
    category=Category.PRODUCTION_READINESS,
    rationale=(
        "The model kept S3 buckets from being deleted with the stack, or "
        "turned on MFA delete, where the task asks for a destroyable stack."
    ),
    docs=(
        "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket#force_destroy",
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/MultiFactorAuthenticationDelete.html",
    ),
    impact=("Cleanup Blocker: `terraform destroy` fails and leaves billable resources behind",),
    fix_minutes=3,
    needs="terraform",
    keywords=(
        "force_destroy",
        "force destroy",
        "mfa delete",
        "mfa_delete",
        "destroyab",
        "teardown",
        "automatic deletion",
    ),
    version=2,
)
def teardown_requirement_unmet(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: an S3 bucket without `force_destroy=True` where the prompt asks for buckets
    deleted with the stack ("automatic deletion on stack destroy", "force_destroy=True"); S3
    versioning with `mfa_delete` on where the prompt asks for a destroyable stack. Deletion
    protection and final snapshots are AWS010's and are not reported again here.

    Why it matters: `terraform destroy` fails on a bucket that holds objects (BucketNotEmpty), and
    MFA delete needs the root user's MFA device, which CI does not have.

    Bad: "S3 buckets must be configured for automatic deletion on stack destroy" and
    `S3Bucket(self, "logs", bucket=...)`.

    Good: `S3Bucket(self, "logs", bucket=..., force_destroy=True)`.

    References: aws_s3_bucket force_destroy; S3 MFA delete.
    """
    yield from requirement_hits(ctx, "destroy")


@rule(
    id="REQ009",
    name="subnet-layout-differs-from-prompt",
    title="Subnets or NAT Gateways Differ From the Prompt's Layout",
    severity=Severity.HIGH,
    category=Category.RESOURCE_CONFIGURATION,
    rationale=(
        "The model left out public or private subnets, or built "
        "another number of NAT gateways than the task asks for."
    ),
    docs=("https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway.html",),
    impact=("Networking: Private workloads reach nothing, or one zone's NAT failure cuts off the others",),
    fix_minutes=15,
    needs="terraform",
    keywords=("nat gateway", "public subnet", "private subnet", "subnet"),
    version=2,
)
def subnet_layout_differs_from_prompt(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: where the prompt asks for it, no public subnet (none routes to an internet
    gateway or maps public IPs) or no private subnet; fewer NAT gateways than the private subnets
    have zones ("one NAT gateway per AZ"); not exactly one NAT gateway ("a single NAT gateway"), or
    any ("no NAT gateways"). The generic "If NAT required: only 1" text of some prompts is no
    requirement.

    Why it matters: the network layout the task describes is not there.

    Bad: "Create 3 NAT Gateways (one per AZ)" and one `NatGateway`.

    Good: a `NatGateway` in each public subnet, each private route table to its zone's.

    References: NAT gateways.
    """
    yield from requirement_hits(ctx, "subnets")


@rule(
    id="REQ010",
    name="iam-wildcards-despite-least-privilege",
    title="IAM Wildcards Where the Prompt Asks for Least Privilege",
    severity=Severity.MEDIUM,
    category=Category.PRODUCTION_READINESS,
    rationale=(
        "The model granted whole services or data actions on "
        "every resource where the task asks for least privilege."
    ),
    docs=("https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",),
    impact=("Security Risk: A compromised function reaches every bucket, table or queue of the account",),
    fix_minutes=10,
    needs="terraform",
    keywords=("least privilege", "least-privilege", "wildcard", "overly permissive", "overly broad"),
    version=2,
)
def iam_wildcards_despite_least_privilege(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: where the prompt asks for least privilege, an IAM policy statement allowing a
    whole service (`s3:*`), or a data action that takes a resource ARN (`dynamodb:PutItem`,
    `s3:GetObject`, `sqs:SendMessage`, ...) on `*`; an attached AWS managed `*FullAccess`,
    `PowerUserAccess` or `AdministratorAccess` policy. `*` actions are checkov's.

    Why it matters: the task asks for least privilege; these grants reach every resource of the
    service in the account.

    Bad: `{"Action": "dynamodb:*", "Resource": "*"}`.

    Good: `{"Action": ["dynamodb:PutItem"], "Resource": table.arn}`.

    References: IAM best practices: grant least privilege.
    """
    yield from requirement_hits(ctx, "least_privilege")


@rule(
    id="REQ011",
    name="replication-requirement-unmet",
    title="Cross-Region Replication the Prompt Asks For Is Missing",
    severity=Severity.HIGH,
    category=Category.RESOURCE_CONFIGURATION,
    rationale="The model did not replicate the buckets or tables the task asks to replicate across regions.",
    docs=(
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication.html",
        "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GlobalTables.html",
    ),
    impact=(
        "Disaster Recovery: The data is lost with its region",
        "Requirements Gap: The multi-region architecture is incomplete",
    ),
    fix_minutes=20,
    needs="terraform",
    keywords=("replication", "cross-region replication", "global table"),
    version=2,
)
def replication_requirement_unmet(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: an S3 bucket the prompt asks to replicate (named by a word of its name, else
    any bucket) that is the source of no `aws_s3_bucket_replication_configuration`; DynamoDB tables
    without a `replica` when the prompt asks for global tables.

    Why it matters: the disaster-recovery copy the task asks for does not exist.

    Bad: "S3 buckets with cross-region replication for transaction logs" and no
    `S3BucketReplicationConfiguration`.

    Good: an `S3BucketReplicationConfiguration` from the primary bucket to one in the secondary
    region, both versioned.

    References: S3 replication; DynamoDB global tables.
    """
    yield from requirement_hits(ctx, "replication")
