"""AWS: database and cache settings the service rejects at create time (RDS, Aurora, DMS,
ElastiCache, OpenSearch)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from iacgrade.graders.constraints import load, rds_doc, version_offered
from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import Hit, rule
from iacgrade.graders.sites import resource_hit
from iacgrade.graders.terraform_model import UNRESOLVED, Resource, Stack
from iacgrade.harness.core.findings import Category, Severity
from iacgrade.harness.platforms.names import CDKTF_PYTHON, CFN, TF_HCL

# Aurora MySQL is the only engine with backtrack; "aurora" is the MySQL 5.6-compatible legacy name.
BACKTRACK_ENGINES = ("aurora", "aurora-mysql")


@rule(
    id="AWS001",
    name="aurora-backtrack-unsupported",
    title="Aurora Backtrack Not Supported for This Cluster",
    severity=Severity.CRITICAL,
    category=Category.AWS_SERVICE_LIMITS,
    rationale=(
        "The model didn't verify AWS service limitations: backtrack exists only for regional Aurora "
        "MySQL clusters, not for clusters in a global database nor for other engines."
    ),
    docs=(
        rds_doc("AuroraUserGuide/AuroraMySQL.Managing.Backtrack.html"),
        rds_doc("AuroraUserGuide/aurora-global-database.limitations.html"),
    ),
    impact=(
        "Deployment Blocker: Prevents cluster creation (exit code 1)",
        "Feature Limitation: Must use alternative rollback mechanisms (PITR, snapshots)",
    ),
    fix_minutes=2,
    needs="terraform",
    # Reads the mapped template of a CloudFormation answer too (iacgrade/harness/platforms/cfn/mapping.py).
    platforms=(CDKTF_PYTHON, TF_HCL, CFN),
)
def aurora_backtrack_unsupported(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: `backtrack_window` > 0 on an `aws_rds_cluster` that has a
    `global_cluster_identifier` (it belongs to an Aurora global database), or whose engine
    (followed through references, e.g. to the global cluster) is not Aurora MySQL.

    Why it matters: RDS rejects the create call, so the cluster and everything that depends on it
    is never built.

    Bad: `RdsCluster(self, "primary", global_cluster_identifier=gc.id, backtrack_window=259200, ...)`

    Good: no `backtrack_window` on a global cluster member; rely on `backup_retention_period`
    (point-in-time recovery) instead.

    References: Aurora MySQL backtrack; Aurora global database limitations.
    """
    for stack, res in ctx.tf.resources("aws_rds_cluster"):
        window = stack.literal(res, "backtrack_window")
        if not isinstance(window, int | float) or window <= 0:
            continue
        engine = stack.literal(res, "engine") if "engine" in res.config else "aurora"
        if res.get("global_cluster_identifier"):
            yield resource_hit(
                ctx,
                res,
                f"`{res.address}` sets `backtrack_window={window:g}` but is a member of the Aurora global "
                f"database `{_ref_or_value(stack, res.get('global_cluster_identifier'))}`; RDS does not "
                "support backtrack on global databases.",
                attr="backtrack_window",
                error="InvalidParameterCombination: Backtrack is not supported for global databases.",
            )
        elif isinstance(engine, str) and engine not in BACKTRACK_ENGINES:
            yield resource_hit(
                ctx,
                res,
                f"`{res.address}` sets `backtrack_window={window:g}` on engine `{engine}`; only Aurora MySQL "
                "supports backtrack.",
                attr="backtrack_window",
                error=f"InvalidParameterCombination: Backtrack is not supported for engine {engine}.",
            )


def _ref_or_value(stack: Stack, value: Any) -> str:
    refs = sorted(stack.references(value))
    return refs[0] if refs else str(value)


# (resource type, engine attribute, default engine, version attribute, table)
_VERSIONED = (
    ("aws_rds_cluster", "engine", "aurora", "engine_version", "rds_cluster"),
    ("aws_rds_global_cluster", "engine", "aurora", "engine_version", "rds_cluster"),
    ("aws_db_instance", "engine", None, "engine_version", "rds_instance"),
    ("aws_elasticache_replication_group", "engine", "redis", "engine_version", "elasticache"),
    ("aws_elasticache_cluster", "engine", "memcached", "engine_version", "elasticache"),
    ("aws_dms_replication_instance", None, None, "engine_version", "dms"),
    ("aws_opensearch_domain", None, None, "engine_version", "opensearch"),
    ("aws_elasticsearch_domain", None, None, "elasticsearch_version", "opensearch"),
)

ENGINE_VERSION_DOCS = (
    rds_doc("AuroraUserGuide/AuroraMySQL.Updates.Versions.html"),
    rds_doc("AuroraUserGuide/AuroraPostgreSQL.Updates.html"),
    rds_doc("UserGuide/Concepts.DBEngineVersions.html"),
    "https://docs.aws.amazon.com/dms/latest/userguide/CHAP_ReleaseNotes.html",
    "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/engine-versions.html",
    "https://docs.aws.amazon.com/opensearch-service/latest/developerguide/what-is.html#choosing-version",
)


@rule(
    id="AWS002",
    name="engine-version-not-offered",
    title="Engine Version Not Offered by AWS",
    severity=Severity.CRITICAL,
    category=Category.PARAMETER_VALIDATION,
    rationale=(
        "The model specified an engine version the service does not offer (or no longer lets new "
        "resources use) instead of checking the versions AWS lists."
    ),
    docs=ENGINE_VERSION_DOCS,
    impact=(
        "Deployment Blocker: Prevents creation of the database, cache or replication instance",
        "Training Quality Impact: High - demonstrates need to verify valid parameter values",
    ),
    fix_minutes=2,
    needs="terraform",
    version=2,
    # Reads the mapped template of a CloudFormation answer too (iacgrade/harness/platforms/cfn/mapping.py).
    platforms=(CDKTF_PYTHON, TF_HCL, CFN),
)
def engine_version_not_offered(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: an `engine_version` that the service does not offer for the engine: RDS and
    Aurora (clusters, global clusters, instances), ElastiCache, DMS replication instances and
    OpenSearch/Elasticsearch domains. A DMS version is also flagged when, at the task's date,
    AWS no longer creates new instances with it. Prefixes AWS completes (`8.0`, `15`) pass;
    versions newer than the data are not judged.

    Why it matters: the create call fails (`InvalidParameterCombination: Cannot find version ...`,
    `No replication engine found with version ...`), so nothing that depends on it deploys.

    Bad: `DmsReplicationInstance(..., engine_version="3.5.2")` after 30 March 2025;
    `RdsCluster(engine="aurora-postgresql", engine_version="15.2")`.

    Good: omit `engine_version` (AWS picks its default) or use a version the service lists.

    References: the engine version pages of Aurora, RDS, DMS, ElastiCache and OpenSearch.
    """
    versions = load("engine_versions.json")
    curated = load("engine_versions_curated.json")
    today = ctx.judged_at
    for rtype, engine_attr, default_engine, version_attr, table in _VERSIONED:
        for stack, res in ctx.tf.resources(rtype):
            version = stack.literal(res, version_attr)
            if version is None or version is UNRESOLVED or version == "":
                continue
            version = str(version)
            engine = (
                stack.literal(res, engine_attr)
                if engine_attr and engine_attr in res.config
                else default_engine
            )
            if table == "dms":
                problem = _dms_problem(version, curated["dms"], today)
            elif table == "opensearch":
                full = version if "_" in version else f"Elasticsearch_{version}"
                problem = _listed_problem(full, curated["opensearch"]["versions"], "OpenSearch Service")
            else:
                if not isinstance(engine, str):
                    continue
                offered = versions[table].get(engine)
                if offered is None:
                    continue
                if table == "elasticache":
                    offered = offered + [v.rsplit(".", 1)[0] + ".x" for v in offered]
                    base = ".".join(version.split(".")[:2])
                    version_ok = version_offered(version, offered) or version_offered(base, offered)
                else:
                    version_ok = version_offered(version, offered)
                problem = ""
                if version_ok is False:
                    problem = f"`{engine}` version `{version}`, which AWS does not offer"
            if problem:
                yield resource_hit(
                    ctx,
                    res,
                    f"`{res.address}` asks for {problem}.",
                    attr=version_attr,
                    error=_error_for(table, engine, version),
                    docs=(_version_doc(table, engine),),
                )


def _version_doc(table: str, engine: Any) -> str:
    """The one version list of ENGINE_VERSION_DOCS that concerns this engine."""
    aurora_mysql, aurora_postgres, rds, dms, elasticache, opensearch = ENGINE_VERSION_DOCS
    if table in ("dms", "elasticache", "opensearch"):
        return {"dms": dms, "elasticache": elasticache, "opensearch": opensearch}[table]
    engine = str(engine or "")
    if engine == "aurora-postgresql":
        return aurora_postgres
    return aurora_mysql if engine.startswith("aurora") else rds


def _dms_problem(version: str, dms: dict[str, Any], today: Any) -> str:
    known = dms["versions"]
    if version in dms.get("retired_before_2024", []):
        return f"DMS replication engine `{version}`, which AWS no longer creates instances with"
    if version not in known:
        offered = version_offered(version, sorted(known))
        return "" if offered is None else f"DMS replication engine `{version}`, which does not exist"
    cutoff = known[version].get("no_new_instances")
    if cutoff and str(today) > cutoff:
        return (
            f"DMS replication engine `{version}`, with which AWS creates no new instances after {cutoff} "
            f"(judged at {today})"
        )
    return ""


def _listed_problem(version: str, listed: list[str], service: str) -> str:
    if version in listed:
        return ""
    family, _, number = version.partition("_")
    same_family = [v.partition("_")[2] for v in listed if v.startswith(family + "_")]
    offered = version_offered(number, same_family) if same_family else False
    return "" if offered is None else f"{service} engine `{version}`, which AWS does not offer"


def _error_for(table: str, engine: Any, version: str) -> str:
    if table == "dms":
        return f"No replication engine found with version: {version}"
    if table == "opensearch":
        return f"ValidationException: Invalid engine version: {version}"
    if table == "elasticache":
        return f"InvalidParameterCombination: Cannot find version {version} for {engine}"
    return f"InvalidParameterCombination: Cannot find version {version} for {engine}"


@rule(
    id="AWS003",
    name="db-instance-class-not-offered",
    title="DB Instance Class Not Supported by the Engine",
    severity=Severity.CRITICAL,
    category=Category.AWS_SERVICE_LIMITS,
    rationale=(
        "The model picked an instance class the engine is not offered on (for example a micro or "
        "small burstable class for Aurora PostgreSQL)."
    ),
    docs=(
        rds_doc("AuroraUserGuide/Concepts.DBInstanceClass.SupportAurora.html"),
        rds_doc("UserGuide/Concepts.DBInstanceClass.Support.html"),
    ),
    impact=(
        "Deployment Blocker: RDS rejects the instance (InvalidParameterCombination)",
        "Cost Impact: Choosing a valid class changes the monthly cost; size it on purpose",
    ),
    fix_minutes=3,
    needs="terraform",
)
def db_instance_class_not_offered(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: `instance_class` of an `aws_db_instance` or `aws_rds_cluster_instance`
    (engine taken from the instance or, through its `cluster_identifier` reference, from the
    cluster) and `db_cluster_instance_class` of an `aws_rds_cluster`, when no region offers that
    class for that engine (data: RDS orderable instance options via cfn-lint).

    Why it matters: RDS refuses to create the instance, and a cluster without instances serves
    nothing.

    Bad: `RdsClusterInstance(..., engine="aurora-postgresql", instance_class="db.t3.micro")`

    Good: `instance_class="db.t4g.medium"` or `"db.serverless"` with a Serverless v2 scaling
    configuration.

    References: supported DB instance classes for Aurora and for RDS.
    """
    classes = load("rds_instance_classes.json")["classes"]
    for stack, res in ctx.tf.resources("aws_db_instance", "aws_rds_cluster_instance", "aws_rds_cluster"):
        attr = "db_cluster_instance_class" if res.type == "aws_rds_cluster" else "instance_class"
        cls = stack.literal(res, attr)
        engine = _engine_of(stack, res)
        if not isinstance(cls, str) or not isinstance(engine, str) or engine not in classes:
            continue
        if cls in classes[engine]:
            continue
        yield resource_hit(
            ctx,
            res,
            f"`{res.address}` uses `{cls}`, which RDS does not offer for `{engine}` in any region.",
            attr=attr,
            error=(
                "InvalidParameterCombination: RDS does not support creating a DB instance with the "
                f"following combination: DBInstanceClass={cls}, Engine={engine}."
            ),
        )


def _engine_of(stack: Stack, res: Resource) -> Any:
    engine = stack.literal(res, "engine")
    if isinstance(engine, str):
        return engine
    if res.type == "aws_rds_cluster":
        return "aurora" if "engine" not in res.config else engine
    # An instance without its own engine literal: follow `cluster_identifier` to the cluster.
    for address in sorted(stack.references(res.get("cluster_identifier"))):
        cluster = stack.resource(address)
        if cluster is not None and cluster.type == "aws_rds_cluster":
            return _engine_of(stack, cluster)
    return engine
