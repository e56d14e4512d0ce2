"""Checks of stored data: encryption and keys, backups and versioning, teardown, replication (REQ003,
REQ007, REQ008, REQ011)."""

from __future__ import annotations

import re
from typing import Any

from iacgrade.graders.context import GradeContext
from iacgrade.graders.requirements.checklist import Requirement
from iacgrade.graders.requirements.verdict import (
    Culprit,
    Tally,
    Verdict,
    absent,
    attached,
    blocks,
    dig,
    facts,
    is_set,
    met,
    named_like,
    of_types,
    shown,
    subject_types,
    unchecked,
    unmet,
)
from iacgrade.graders.terraform_model import Resource, Stack, is_token
from iacgrade.graders.wording import counted
from iacgrade.harness.core.findings import Severity

# --- REQ003 encryption ------------------------------------------------------------------------


def at_rest(ctx: GradeContext, req: Requirement) -> Verdict:
    """The stores the line names (every store for "all data") that AWS does not encrypt by default
    turn encryption on. S3, DynamoDB, CloudWatch Logs and Secrets Manager always encrypt."""
    table = facts()["at_rest"]
    tally = Tally()
    for rtype in subject_types(req.params.get("subjects", ()), table["subjects"], table["all"]["subjects"]):
        spec = table["types"][rtype]
        for stack, res in of_types(ctx, rtype):
            tally.seen += 1
            if not _encrypts(res, spec):
                tally.culprits.append(
                    Culprit(
                        f"{shown(res)} leaves its storage unencrypted (`{spec['attr']}` is not set)",
                        stack.name,
                        res,
                        spec["attr"],
                        reported_by=spec.get("reported_by", ""),
                    )
                )
    return tally.verdict(
        "stores AWS does not encrypt by default", met("every store the line names encrypts by default")
    )


def _encrypts(res: Resource, spec: dict[str, Any]) -> bool:
    """Whether a store of a kind AWS does not encrypt by default turns its encryption on."""
    value = res.get(spec["attr"], spec.get("default"))
    return value == spec["value"] if "value" in spec else is_set(value)


def customer_key(ctx: GradeContext, req: Requirement) -> Verdict:
    """The stores the line names (the data stores, for "all data") name a customer-managed KMS key."""
    kms = facts()["kms"]
    keys = of_types(ctx, "aws_kms_key", "aws_kms_replica_key")
    if not keys and not _key_lookups(ctx):
        return absent(
            ctx,
            "no stack creates an `aws_kms_key`: nothing is encrypted with a customer-managed key",
            ("aws_kms_key",),
        )
    subjects = req.params.get("subjects", ())
    if not subjects:
        return met(counted(len(keys), "customer-managed key"))
    tally = Tally()
    for rtype in subject_types(subjects, kms["subjects"], kms["all"]["subjects"]):
        spec = kms["types"][rtype]
        for stack, res in of_types(ctx, rtype):
            if spec.get("when") and not is_set(res.get(spec["when"])):
                continue
            tally.seen += 1
            if not _names_key(stack, res, spec["path"]):
                where = spec["path"][0] if spec["path"] else None
                tally.culprits.append(_keyless(res, stack.name, where))
    return tally.verdict("stores", met("no store of the kinds named"))


def _keyless(res: Resource, stack: str, where: str | None) -> Culprit:
    """A store without a customer-managed key; worse when it is a kind AWS does not encrypt by
    default and its encryption is off: then nothing encrypts its data at all. That is High, unless
    another rule (a checkov check) already reports the store unencrypted: the key is then what
    this finding adds, and it stays at the aspect's severity."""
    spec = facts()["at_rest"]["types"].get(res.type)
    if spec is not None and not _encrypts(res, spec):
        other = spec.get("reported_by", "")
        return Culprit(
            f"{shown(res)} is not encrypted at all (`{spec['attr']}` is not set"
            f"{f'; {other} reports it' if other else ''}), let alone with a customer-managed KMS key",
            stack,
            res,
            spec["attr"],
            severity=None if other else Severity.HIGH,
        )
    return Culprit(f"{shown(res)} is not encrypted with a customer-managed KMS key", stack, res, where)


def _key_lookups(ctx: GradeContext) -> bool:
    return any(r.type in ("aws_kms_key", "aws_kms_alias") for s in ctx.tf.stacks.values() for r in s.data)


def _names_key(stack: Stack, res: Resource, path: list[str]) -> bool:
    if res.type == "aws_s3_bucket":
        return _bucket_key(stack, res)
    values = list(dig({path[0]: res.get(path[0])}, *path)) if path else []
    return any(_is_customer_key(stack, v) for v in values)


def _bucket_key(stack: Stack, bucket: Resource) -> bool:
    configs = [
        c.config
        for c in attached(stack, bucket, "aws_s3_bucket_server_side_encryption_configuration", "bucket")
    ]
    configs += blocks(bucket.get("server_side_encryption_configuration"))
    return any(
        _is_customer_key(stack, key)
        for config in configs
        for key in dig(config.get("rule"), "apply_server_side_encryption_by_default", "kms_master_key_id")
    )


def _is_customer_key(stack: Stack, value: Any) -> bool:
    if not isinstance(value, str) or not value:
        return False
    if is_token(value):
        # A reference to the answer's key or alias (or a key looked up): customer managed.
        return any(a.split(".")[-2].startswith("aws_kms") for a in stack.references(value)) or "kms" in value
    return "alias/aws/" not in value


def key_rotation(ctx: GradeContext, req: Requirement) -> Verdict:
    keys = of_types(ctx, "aws_kms_key")
    if not keys:
        return absent(ctx, "no stack creates an `aws_kms_key` to rotate", ("aws_kms_key",))
    tally = Tally()
    for stack, key in keys:
        tally.seen += 1
        if key.get("enable_key_rotation") is not True:
            tally.culprits.append(
                Culprit(
                    f"{shown(key)} does not set `enable_key_rotation=True`",
                    stack.name,
                    key,
                    "enable_key_rotation",
                    reported_by="SEC:CKV_AWS_7",
                )
            )
    return tally.verdict("KMS keys", met())


# --- REQ007 backups, versioning -----------------------------------------------------------------


def backup_retention(ctx: GradeContext, req: Requirement) -> Verdict:
    """Databases keep automated backups N days (an AWS Backup plan N days, when the line is about one)."""
    days = int(req.params.get("days", 1))
    if req.params.get("varies"):
        return unchecked("the retention the line asks varies (by environment or kind)")
    if re.search(r"AWS Backup|backup plan", req.line_text, re.IGNORECASE):
        return _plan_retention(ctx, days)
    tally = Tally()
    for stack, db in of_types(ctx, "aws_db_instance", "aws_rds_cluster"):
        if db.get("replicate_source_db") or db.get("replication_source_identifier"):
            continue
        tally.seen += 1
        value = db.get("backup_retention_period", 1)
        if isinstance(value, int) and value < days:
            tally.culprits.append(
                Culprit(
                    f"{shown(db)} keeps automated backups {counted(value, 'day')}, not {days}",
                    stack.name,
                    db,
                    "backup_retention_period",
                )
            )
    return tally.verdict("databases", unchecked("no database to judge (AWS013 judges services)"))


def _plan_retention(ctx: GradeContext, days: int) -> Verdict:
    plans = of_types(ctx, "aws_backup_plan")
    if not plans:
        return absent(
            ctx, "no `aws_backup_plan`", ("aws_backup_plan",), reported_by=_service_named(ctx, "backup")
        )
    kept = [d for _s, p in plans for d in dig(p.get("rule"), "lifecycle", "delete_after")]
    if any(isinstance(d, int) and d >= days for d in kept) or not kept:
        return met(f"backup plan keeps {days}+ days" if kept else "backup plan keeps recovery points")
    stack, plan = plans[0]
    return unmet(
        [
            Culprit(
                f"{shown(plan)} deletes recovery points after {min(kept)} days, not {days}",
                stack.name,
                plan,
                "rule",
            )
        ]
    )


def _service_named(ctx: GradeContext, key: str) -> str:
    """AWS013 when the task's metadata names the service (it reports the service missing)."""
    services = [
        re.sub(r"[^a-z0-9]", "", str(s).lower()) for s in (ctx.metadata or {}).get("aws_services") or []
    ]
    return "AWS013" if any(key in s for s in services) else ""


def point_in_time(ctx: GradeContext, req: Requirement) -> Verdict:
    tally = Tally()
    for stack, table in of_types(ctx, "aws_dynamodb_table"):
        tally.seen += 1
        enabled = any(b.get("enabled") is True for b in blocks(table.get("point_in_time_recovery")))
        if not enabled:
            tally.culprits.append(
                Culprit(
                    f"{shown(table)} does not enable `point_in_time_recovery`",
                    stack.name,
                    table,
                    "point_in_time_recovery",
                )
            )
    return tally.verdict("DynamoDB tables", unchecked("no DynamoDB table to judge (AWS013 judges services)"))


def backup_plan(ctx: GradeContext, req: Requirement) -> Verdict:
    plans = of_types(ctx, "aws_backup_plan")
    if plans:
        return met(counted(len(plans), "AWS Backup plan"))
    return absent(
        ctx, "no `aws_backup_plan`", ("aws_backup_plan",), reported_by=_service_named(ctx, "backup")
    )


def versioning(ctx: GradeContext, req: Requirement) -> Verdict:
    """S3 buckets keep object versions (a bucket that is itself the target of access logs aside)."""
    tally = Tally()
    for stack, bucket in of_types(ctx, "aws_s3_bucket"):
        tally.seen += 1
        if not _versioned(stack, bucket):
            tally.culprits.append(
                Culprit(
                    f"{shown(bucket)} has no `aws_s3_bucket_versioning` with status `Enabled`",
                    stack.name,
                    bucket,
                )
            )
    return tally.verdict("S3 buckets", unchecked("no S3 bucket to judge (AWS013 judges services)"))


def _versioned(stack: Stack, bucket: Resource) -> bool:
    for config in attached(stack, bucket, "aws_s3_bucket_versioning", "bucket"):
        if any(str(s).lower() == "enabled" for s in dig(config.get("versioning_configuration"), "status")):
            return True
    return any(b.get("enabled") is True for b in blocks(bucket.get("versioning")))


# --- REQ008 teardown ----------------------------------------------------------------------------

# What AWS010 (iacgrade/graders/aws/general.py) reports already: the same resource is not reported twice.
_PROTECTION = (
    ("aws_db_instance", "deletion_protection"),
    ("aws_rds_cluster", "deletion_protection"),
    ("aws_docdb_cluster", "deletion_protection"),
    ("aws_neptune_cluster", "deletion_protection"),
    ("aws_dynamodb_table", "deletion_protection_enabled"),
    ("aws_lb", "enable_deletion_protection"),
    ("aws_alb", "enable_deletion_protection"),
)


def destroyable(ctx: GradeContext, req: Requirement) -> Verdict:
    """Nothing refuses `terraform destroy`: deletion protection and final snapshots (AWS010 reports
    those), and S3 MFA delete, which only the root user with its MFA device can use."""
    culprits: list[Culprit] = []
    for rtype, attr in _PROTECTION:
        for stack, res in of_types(ctx, rtype):
            if stack.literal(res, attr) is True:
                culprits.append(
                    Culprit(f"{shown(res)} sets `{attr}=True`", stack.name, res, attr, reported_by="AWS010")
                )
    for stack, db in of_types(ctx, "aws_db_instance", "aws_rds_cluster"):
        if db.get("replicate_source_db") or (db.get("global_cluster_identifier") and db.get("source_region")):
            continue
        if db.get("skip_final_snapshot") is not True and not db.get("final_snapshot_identifier"):
            culprits.append(
                Culprit(
                    f"{shown(db)} requires a final snapshot it does not name",
                    stack.name,
                    db,
                    reported_by="AWS010",
                )
            )
    for stack, config in of_types(ctx, "aws_s3_bucket_versioning"):
        if any(
            str(m).lower() == "enabled" for m in dig(config.get("versioning_configuration"), "mfa_delete")
        ):
            culprits.append(
                Culprit(
                    f"{shown(config)} turns on `mfa_delete`: only the root user with its MFA device "
                    "can delete "
                    "object versions, so destroy fails",
                    stack.name,
                    config,
                    "versioning_configuration",
                    error="AccessDenied: Mfa Authentication must be used for this request",
                )
            )
    return unmet(culprits) if culprits else met("no deletion protection, final snapshot or MFA delete")


def force_destroy(ctx: GradeContext, req: Requirement) -> Verdict:
    tally = Tally()
    for stack, bucket in of_types(ctx, "aws_s3_bucket"):
        tally.seen += 1
        if stack.literal(bucket, "force_destroy") is not True:
            tally.culprits.append(
                Culprit(
                    f"{shown(bucket)} does not set `force_destroy=True`: "
                    "destroy fails while it holds objects",
                    stack.name,
                    bucket,
                    "force_destroy",
                    error="BucketNotEmpty: The bucket you tried to delete is not empty",
                )
            )
    return tally.verdict("S3 buckets", unchecked("no S3 bucket to judge"))


# --- REQ011 replication -------------------------------------------------------------------------


def s3_replication(ctx: GradeContext, req: Requirement) -> Verdict:
    """Some bucket replicates to another region. With none, the culprits are the buckets the line
    names (by a word of their name), else those not named as copies (`secondary`, `replica`)."""
    buckets = of_types(ctx, "aws_s3_bucket")
    if not buckets:
        return unchecked("no S3 bucket to judge (AWS013 judges services)")
    configs = of_types(ctx, "aws_s3_bucket_replication_configuration")
    legacy = [b for _s, b in buckets if blocks(b.get("replication_configuration"))]
    if configs or legacy:
        return met(counted(len(configs) + len(legacy), "replication configuration"))
    copies = set(facts()["replicas"]["words"])
    originals = [
        (s, b)
        for s, b in buckets
        if not copies & set(re.split(r"[^a-z0-9]+", f"{b.construct_id} {b.get('bucket')}".lower()))
    ]
    named = [(s, b) for s, b in originals if named_like(b, req.line_text)] if _specific(req) else []
    return unmet(
        [
            Culprit(
                f"{shown(b)} has no `S3BucketReplicationConfiguration` "
                "(`aws_s3_bucket_replication_configuration`): "
                "its objects are not replicated to another region",
                s.name,
                b,
            )
            for s, b in (named or originals or buckets)
        ]
    )


def _specific(req: Requirement) -> bool:
    """A line about a few things ("S3 buckets with replication for transaction logs"), not a
    paragraph naming the whole architecture, whose words would pick any resource."""
    return len(req.params.get("subjects", ())) <= 2


def dynamodb_global(ctx: GradeContext, req: Requirement) -> Verdict:
    tables = of_types(ctx, "aws_dynamodb_table")
    if of_types(ctx, "aws_dynamodb_global_table", "aws_dynamodb_table_replica"):
        return met("global table replicas")
    if not tables:
        return unchecked("no DynamoDB table to judge (AWS013 judges services)")
    if any(blocks(t.get("replica")) for _s, t in tables):
        return met("tables with `replica` blocks")
    named = [(s, t) for s, t in tables if _specific(req) and named_like(t, req.line_text)] or tables
    return unmet(
        [
            Culprit(
                f"{shown(t)} has no `replica` in another region: it is not a global table",
                s.name,
                t,
                "replica",
            )
            for s, t in named
        ]
    )
