"""AWS: names: reserved names, physical names used twice, names without the environment suffix."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from iacgrade.graders.constraints import load
from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import Hit, rule
from iacgrade.graders.sites import construct_call, resource_hit, site, spans_text
from iacgrade.graders.terraform_model import Resource, Stack
from iacgrade.graders.wording import counted, plural
from iacgrade.harness.core.findings import Category, Severity
from iacgrade.harness.platforms.cdktf_python.locate import Span
from iacgrade.harness.platforms.names import CDKTF_PYTHON, CFN, TF_HCL

R53_DOCS = "https://docs.aws.amazon.com/Route53/latest"

# The attribute holding each resource type's physical name, and the scope AWS keeps it unique in:
# "global" (every account), "account" (IAM: all regions of one account), "region".
NAMED: dict[str, tuple[str, str]] = {
    "aws_s3_bucket": ("bucket", "global"),
    "aws_cognito_user_pool_domain": ("domain", "global"),
    "aws_iam_role": ("name", "account"),
    "aws_iam_policy": ("name", "account"),
    "aws_iam_user": ("name", "account"),
    "aws_iam_group": ("name", "account"),
    "aws_iam_instance_profile": ("name", "account"),
    "aws_lambda_function": ("function_name", "region"),
    "aws_dynamodb_table": ("name", "region"),
    "aws_sqs_queue": ("name", "region"),
    "aws_sns_topic": ("name", "region"),
    "aws_rds_cluster": ("cluster_identifier", "region"),
    "aws_db_instance": ("identifier", "region"),
    "aws_rds_cluster_instance": ("identifier", "region"),
    "aws_rds_global_cluster": ("global_cluster_identifier", "account"),
    "aws_db_subnet_group": ("name", "region"),
    "aws_elasticache_replication_group": ("replication_group_id", "region"),
    "aws_elasticache_subnet_group": ("name", "region"),
    "aws_ecs_cluster": ("name", "region"),
    "aws_lb": ("name", "region"),
    "aws_lb_target_group": ("name", "region"),
    "aws_cloudwatch_log_group": ("name", "region"),
    "aws_kms_alias": ("name", "region"),
    "aws_secretsmanager_secret": ("name", "region"),
    "aws_ssm_parameter": ("name", "region"),
    "aws_kinesis_stream": ("name", "region"),
    "aws_sfn_state_machine": ("name", "region"),
    "aws_cloudwatch_event_bus": ("name", "region"),
    "aws_dms_replication_instance": ("replication_instance_id", "region"),
    "aws_dms_replication_subnet_group": ("replication_subnet_group_id", "region"),
    "aws_ecr_repository": ("name", "region"),
    "aws_cloudwatch_metric_alarm": ("alarm_name", "region"),
    "aws_cloudwatch_dashboard": ("dashboard_name", "region"),
    "aws_backup_vault": ("name", "region"),
    "aws_eks_cluster": ("name", "region"),
    "aws_codebuild_project": ("name", "region"),
    "aws_athena_workgroup": ("name", "region"),
    "aws_glue_catalog_database": ("name", "region"),
    "aws_elasticsearch_domain": ("domain_name", "region"),
    "aws_opensearch_domain": ("domain_name", "region"),
}
GLOBAL_SCOPES = ("global", "account")


def _name(stack: Stack, res: Resource) -> str | None:
    """The resource's literal physical name, when the answer set one and it resolves."""
    return stack.literal_text(res, NAMED[res.type][0])


def _named(ctx: GradeContext) -> Iterator[tuple[Stack, Resource, str]]:
    for stack, res in ctx.tf.resources(*NAMED):
        name = _name(stack, res)
        if name is not None:
            yield stack, res, name


def _unsuffixed(ctx: GradeContext, res: Resource, name: str) -> bool:
    """The name lacks the environment suffix and the code does not derive it from one.

    A name the code builds from a suffix variable (`f"docs-{self.environment_suffix}"`) that
    synthesized without `dev` got another value from the entry point (Pr7112's main.py defaults
    to "prod-dr"): that is one defect of the entry, which SYN005/SYN006 report, not one per name.
    """
    if ctx.settings.environment_suffix.lower() in name.lower() or _fixed_by_aws(res, name):
        return False
    found = construct_call(ctx.trees, res.construct_id, ctx.stack_origin(res.stack))
    if found is None:
        return True
    kw = next((k for k in found[1].keywords if k.arg == NAMED[res.type][0]), None)
    if kw is None:
        return True
    read = {n.id for n in ast.walk(kw.value) if isinstance(n, ast.Name)}
    read |= {n.attr for n in ast.walk(kw.value) if isinstance(n, ast.Attribute)}
    return not any("suffix" in ident.lower() for ident in read)


def _fixed_by_aws(res: Resource, name: str) -> bool:
    """A name AWS itself requires to the letter (DMS finds `dms-vpc-role` by that name): a
    suffix would break the service."""
    if res.type != "aws_iam_role":
        return False
    fixed = load("reserved_names.json")["fixed_iam_role_names"]
    return name in fixed["names"] or name.startswith(tuple(fixed["prefixes"]))


@rule(
    id="AWS004",
    name="reserved-domain-name",
    title="Route53 Hosted Zone Reserved Domain",
    severity=Severity.CRITICAL,
    category=Category.AWS_SERVICE_LIMITS,
    rationale=(
        "The model used a reserved domain name (example.com and its siblings, reserved for "
        "documentation) without checking AWS restrictions: Route 53 refuses hosted zones for it."
    ),
    docs=(
        f"{R53_DOCS}/APIReference/API_CreateHostedZone.html",
        "https://www.rfc-editor.org/rfc/rfc2606",
    ),
    impact=(
        "Deployment Blocker: Prevents hosted zone creation (exit code 1)",
        "Training Quality Impact: High - demonstrates need to avoid reserved domain names",
    ),
    fix_minutes=5,
    needs="terraform",
    # Reads the mapped template of a CloudFormation answer too (iacgrade/harness/platforms/cfn/mapping.py).
    platforms=(CDKTF_PYTHON, TF_HCL, CFN),
)
def reserved_domain_name(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: an `aws_route53_zone` (or a `data.aws_route53_zone` lookup) whose name is
    `example.com`, `example.net`, `example.org` or under them, or is a bare top-level domain.

    Why it matters: Route 53 answers `InvalidDomainName: <name> is reserved by AWS!` (or refuses
    a TLD), so the zone and every record in it fail; a lookup of such a zone finds nothing.

    Bad: `Route53Zone(self, "zone", name=f"app-{suffix}.example.com")`

    Good: a domain the account administers, taken from configuration
    (`os.environ.get("ROUTE53_DOMAIN", f"app-{suffix}.internal")`).

    References: Route 53 CreateHostedZone; RFC 2606 (reserved top-level and example domains).
    """
    reserved = load("reserved_names.json")["domains"]["names"]
    for stack in ctx.tf.stacks.values():
        for res in [
            *stack.of_type("aws_route53_zone"),
            *(d for d in stack.data if d.type == "aws_route53_zone"),
        ]:
            name = stack.literal(res, "name")
            if not isinstance(name, str) or not name:
                continue
            domain = name.rstrip(".").lower()
            hit_domain = next((r for r in reserved if domain == r or domain.endswith("." + r)), None)
            if hit_domain is None and "." not in domain:
                hit_domain = domain
                why = "a top-level domain, which Route 53 does not host"
            else:
                why = f"under `{hit_domain}`, which AWS reserves"
            if hit_domain is None:
                continue
            yield resource_hit(
                ctx,
                res,
                f"`{res.address}` is named `{name}`, {why}.",
                attr="name",
                error=f"InvalidDomainName: {domain} is reserved by AWS!",
            )


@rule(
    id="AWS009",
    name="global-name-without-environment-suffix",
    title="Globally Unique Name Without Environment Suffix",
    severity=Severity.HIGH,
    category=Category.PRODUCTION_READINESS,
    rationale=(
        "The model gave a resource whose name is unique across all accounts (S3) or across the "
        "account's regions (IAM) a fixed name, without the environment suffix that keeps parallel "
        "deployments apart."
    ),
    docs=(
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html",
    ),
    impact=(
        "Deployment Blocker (second environment): the name is taken, so the next deployment fails",
        "Multi-Environment Support: Cannot deploy PR, staging and production side by side",
    ),
    fix_minutes=5,
    needs="terraform",
    version=2,
    # The suffix is the CDKTF tasks' convention (ENVIRONMENT_SUFFIX in the app's environment).
    platforms=(CDKTF_PYTHON,),
)
def global_name_without_environment_suffix(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: an S3 bucket, Cognito domain or IAM role, policy, user, group or instance
    profile whose literal name does not contain the environment suffix the answer was
    synthesized with (`ENVIRONMENT_SUFFIX`, `Settings.environment_suffix`). A name the code
    builds from a suffix variable is not flagged: if it lacks `dev`, the entry point passed
    another value, which the entry-contract rules (SYN005, SYN006) report once.

    Why it matters: bucket names are global to all of AWS and IAM names to the account; a second
    deployment (another PR, another region) fails with `BucketAlreadyExists` or
    `EntityAlreadyExists`.

    Bad: `S3Bucket(self, "data", bucket="company-data-lake")`

    Good: `bucket=f"company-data-lake-{environment_suffix}"` (or `bucket_prefix=`).

    References: S3 bucket naming rules; IAM name uniqueness.
    """
    suffix = ctx.settings.environment_suffix.lower()
    for _stack, res, name in _named(ctx):
        if (
            NAMED[res.type][1] in GLOBAL_SCOPES
            and res.type != "aws_rds_global_cluster"
            and _unsuffixed(ctx, res, name)
        ):
            attr = NAMED[res.type][0]
            yield resource_hit(
                ctx,
                res,
                f"`{res.address}` is named `{name}`, without the environment suffix `{suffix}`: the name is "
                f"unique {'across all of AWS' if NAMED[res.type][1] == 'global' else 'in the account'}.",
                attr=attr,
            )


@rule(
    id="AWS020",
    name="name-without-environment-suffix",
    title="Resource Names Without Environment Suffix",
    severity=Severity.MEDIUM,
    category=Category.PRODUCTION_READINESS,
    rationale=(
        "The model hard-coded resource names instead of deriving them from the environment suffix, so "
        "two environments in one region collide."
    ),
    docs=("https://docs.aws.amazon.com/whitepapers/latest/tagging-best-practices/naming-conventions.html",),
    impact=(
        "Multi-Environment Support: A second environment in the same region fails on name conflicts",
        "Resource Naming: Risk of naming conflicts without environment suffix",
    ),
    fix_minutes=10,
    needs="terraform",
    version=2,
)
def name_without_environment_suffix(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: named regional resources (Lambda functions, tables, queues, clusters, log
    groups, ...) whose literal name lacks the environment suffix; one finding per stack listing
    them (S3 and IAM names are AWS009's). Names built from a suffix variable are left to the
    entry-contract rules, as in AWS009.

    Why it matters: names are unique per region and account; a second environment deployed
    beside the first fails with "already exists".

    Bad: `LambdaFunction(self, "fn", function_name="order-processor", ...)`

    Good: `function_name=f"order-processor-{environment_suffix}"`.

    References: AWS tagging and naming conventions.
    """
    suffix = ctx.settings.environment_suffix.lower()
    by_stack: dict[str, list[tuple[Resource, str]]] = {}
    for stack, res, name in _named(ctx):
        if NAMED[res.type][1] == "region" and _unsuffixed(ctx, res, name):
            by_stack.setdefault(stack.name, []).append((res, name))
    for stack_name, found in sorted(by_stack.items()):
        first = found[0][0]
        listed = ", ".join(f"`{r.address}` (`{n}`)" for r, n in found[:6])
        more = f" and {len(found) - 6} more" if len(found) > 6 else ""
        s = site(ctx, first, NAMED[first.type][0])
        yield Hit(
            message=f"{counted(len(found), 'named resource')} of stack `{stack_name}` "
            f"{'lacks' if len(found) == 1 else 'lack'} the environment suffix "
            f"`{suffix}`: {listed}{more}.",
            location=s.location,
            anchor="naming:environment-suffix",
            fix_anchor=s.anchor,
            evidence=s.evidence,
            note=ctx.terraform_note,
        )


@rule(
    id="AWS015",
    name="duplicate-physical-name",
    title="Two Resources With the Same Physical Name",
    severity=Severity.CRITICAL,
    category=Category.RESOURCE_CONFIGURATION,
    rationale=(
        "The model gave two resources of one kind the same name in the same namespace (an account, a "
        "region, or all of S3), so the second cannot be created."
    ),
    docs=("https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html",),
    impact=("Deployment Blocker: The second create call fails with an 'already exists' error",),
    fix_minutes=5,
    needs="terraform",
)
def duplicate_physical_name(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: two resources of the same type, in any of the answer's stacks, whose
    literal names are equal within the namespace AWS keeps them unique in (S3: everywhere; IAM:
    the account; others: the provider's region).

    Why it matters: the second create fails (`BucketAlreadyOwnedByYou`, `EntityAlreadyExists`,
    `ResourceConflictException`), typically in multi-region stacks that reuse one name.

    Bad: an `IamRole(name="replication-role")` in the us-east-1 stack and another in us-west-2.

    Good: put the region or purpose in the name: `f"replication-role-{region}-{suffix}"`.

    References: IAM quotas and name requirements.
    """
    seen: dict[tuple[str, str, str], tuple[Stack, Resource]] = {}
    for stack, res, name in _named(ctx):
        scope = NAMED[res.type][1]
        where = "*" if scope in GLOBAL_SCOPES else (stack.region_of(res) or "?")
        key = (res.type, where, name)
        if key not in seen:
            seen[key] = (stack, res)
            continue
        first_stack, first = seen[key]
        spans = [_span_of(ctx, r) for r in (first, res)]
        s = site(ctx, res, NAMED[res.type][0])
        yield Hit(
            message=f"`{res.address}` (stack `{stack.name}`) and `{first.address}` "
            f"(stack `{first_stack.name}`) "
            f"are both named `{name}`.",
            location=s.location,
            anchor=s.anchor,
            evidence=spans_text(ctx, [sp for sp in spans if sp]) if all(spans) else s.evidence,
            error=f"the name `{name}` already exists ({res.type})",
            note=ctx.terraform_note,
        )


def _span_of(ctx: GradeContext, res: Resource) -> Span | None:
    loc = site(ctx, res, NAMED[res.type][0]).location
    return Span(loc.path, loc.line, loc.end_line or loc.line) if loc.path and loc.line else None


@rule(
    id="AWS018",
    name="reserved-name-used",
    title="Reserved Name Used",
    severity=Severity.CRITICAL,
    category=Category.AWS_SERVICE_LIMITS,
    rationale=(
        "The model used a name the service reserves for itself: a Lambda environment variable the "
        "runtime sets (AWS_REGION, ...) or a master user name the database engine reserves."
    ),
    docs=(
        "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime",
        "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.Constraints",
    ),
    impact=("Deployment Blocker: The function or database is rejected at create time",),
    fix_minutes=3,
    needs="terraform",
)
def reserved_name_used(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a Lambda `environment.variables` key the Lambda runtime reserves
    (`AWS_REGION`, `AWS_DEFAULT_REGION`, `AWS_ACCESS_KEY_ID`, `_HANDLER`, ...), and an RDS or
    DocumentDB `master_username` the engine reserves (`rdsadmin`; `admin` on PostgreSQL).

    Why it matters: Lambda answers "InvalidParameterValueException: Lambda was unable to
    configure your environment variables because the environment variables you have provided
    contains reserved keys"; RDS answers "MasterUsername admin cannot be used as it is a reserved
    word used by the engine".

    Bad: `environment={"variables": {"AWS_REGION": region}}`; `master_username="admin"` on
    `aurora-postgresql`.

    Good: read the region from the runtime's own `AWS_REGION`; use `dbadmin`.

    References: Lambda defined runtime environment variables; RDS naming constraints.
    """
    reserved_keys = set(load("lambda.json")["reserved_environment_keys"])
    for _stack, res in ctx.tf.resources("aws_lambda_function"):
        for block in res.blocks("environment"):
            variables = block.get("variables") or {}
            bad = sorted(k for k in variables if k in reserved_keys) if isinstance(variables, dict) else []
            if bad:
                yield resource_hit(
                    ctx,
                    res,
                    f"`{res.address}` sets the reserved {plural(len(bad), 'environment variable')} "
                    f"{', '.join(f'`{k}`' for k in bad)}.",
                    attr="environment",
                    error=(
                        "InvalidParameterValueException: Lambda was unable to configure your environment "
                        "variables because the environment variables you have provided contains reserved "
                        "keys that are currently not supported for modification. Reserved keys used in this "
                        "request: "
                        f"{','.join(bad)}"
                    ),
                )
    users = load("reserved_names.json")["rds_master_usernames"]
    for stack, res in ctx.tf.resources("aws_rds_cluster", "aws_db_instance", "aws_docdb_cluster"):
        attr = "username" if res.type == "aws_db_instance" and "username" in res.config else "master_username"
        user = stack.literal(res, attr)
        engine = stack.literal(res, "engine") if res.type != "aws_docdb_cluster" else "docdb"
        if not isinstance(user, str):
            continue
        taken = set(users["all_engines"]) | set(users["by_engine"].get(str(engine), []))
        if user.lower() in taken:
            yield resource_hit(
                ctx,
                res,
                f"`{res.address}` uses master user name `{user}`, reserved by `{engine}`.",
                attr=attr,
                error=f"InvalidParameterValue: MasterUsername {user} cannot be used as it is a reserved word "
                "used by the engine",
            )
