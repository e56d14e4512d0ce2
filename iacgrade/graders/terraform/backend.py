"""TF: the synthesized Terraform JSON (backends, providers, outputs)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import Hit, rule
from iacgrade.graders.sites import stack_class_span
from iacgrade.harness.core.findings import Category, Location, Severity
from iacgrade.harness.platforms.cdktf_python.locate import quote
from iacgrade.harness.platforms.names import CDKTF_PYTHON

BACKEND_DOCS = (
    "https://developer.hashicorp.com/terraform/language/backend/s3",
    "https://developer.hashicorp.com/terraform/cdktf/concepts/remote-backends",
)


@rule(
    id="TF001",
    name="missing-remote-state-backend",
    title="Missing S3 Backend Configuration",
    severity=Severity.HIGH,
    category=Category.PRODUCTION_READINESS,
    rationale=(
        "The model didn't configure remote state: Terraform keeps state on the machine that ran it, "
        "unusable for CI/CD or a team. Local state blocks no deployment, so this is High; it is "
        "Critical where the environment profile requires remote state (the archive's pipeline does)."
    ),
    docs=BACKEND_DOCS,
    impact=(
        "Security Risk: State files contain sensitive data (passwords, keys); local storage exposes them",
        "Collaboration Blocker: Multiple developers/CI jobs would overwrite each other's state",
        "State Loss Risk: No versioning or backup of state without an S3 backend",
        "Locking Issue: Without a lock table, concurrent operations can corrupt state",
    ),
    fix_minutes=10,
    # 3: the S3 backend's encryption and locking moved to TF005 and TF006.
    version=3,
    # A missing backend is read as cdktf writes it (its own `local` fallback).
    platforms=(CDKTF_PYTHON,),
)
def missing_remote_state_backend(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a stack with no remote state backend, or a backend other than S3. An S3
    backend without encryption is TF005's, one without locking TF006's.

    Why it matters: the state holds every secret Terraform sees; kept locally it is lost with the
    CI runner and cannot be shared.

    Bad: a `TapStack` that creates resources but never calls `S3Backend(...)`.

    Good: `S3Backend(self, bucket=state_bucket, key=f"{suffix}/tap.tfstate", region=region,
    encrypt=True, dynamodb_table="terraform-locks")`.

    Severity: High; Critical for a missing backend when the environment profile requires remote
    state (`remote_state_required`, iacgrade/harness/data/profiles/).

    References: Terraform S3 backend; CDKTF remote backends.
    """
    if ctx.terraform:
        for stack, doc in sorted(ctx.terraform.items()):
            yield from _check_backend(ctx, stack, doc)
    elif not _source_has_call(ctx, "S3Backend"):
        span = stack_class_span(ctx, signature=True)
        yield Hit(
            message="No `S3Backend` appears anywhere in the answer's source, so state stays local.",
            location=Location(path=span.path, line=span.start) if span else Location(),
            anchor="backend:missing",
            fix_anchor="call:S3Backend",
            note="No Terraform JSON could be produced for this answer; this finding rests on its source.",
            **_missing(ctx),
        )


def _check_backend(ctx: GradeContext, stack: str, doc: dict[str, Any]) -> Iterator[Hit]:
    backends = (doc.get("terraform") or {}).get("backend") or {}
    if "s3" not in backends:
        where, evidence = _stack_site(ctx, stack)
        kind = next(iter(backends), "")
        if kind and not (kind == "local" and not _source_has_call(ctx, "LocalBackend")):
            message = f"Stack `{stack}` uses the `{kind}` backend: state stays where Terraform ran."
        else:
            # cdktf writes a `local` backend by itself when a stack configures none.
            message = (
                f"Stack `{stack}` configures no backend, so cdktf falls back to local state "
                f"(`terraform.{stack}.tfstate` next to the synthesized JSON)."
            )
        yield Hit(
            message=message,
            location=where,
            anchor="backend:missing",
            fix_anchor="call:S3Backend",
            evidence=evidence,
            note=ctx.terraform_note,
            **_missing(ctx),
        )


@rule(
    id="TF005",
    name="s3-backend-without-encryption",
    title="S3 backend without encryption",
    severity=Severity.HIGH,
    category=Category.PRODUCTION_READINESS,
    rationale="The model stored state in S3 without encryption at rest.",
    docs=BACKEND_DOCS,
    impact=("Security Risk: State files hold sensitive data (passwords, keys), readable when unencrypted",),
    fix_minutes=2,
    needs="terraform",
)
def s3_backend_without_encryption(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a stack whose S3 backend does not set `encrypt = true`.

    Why it matters: the state holds every secret Terraform sees (database passwords, keys);
    without `encrypt` the object is stored as the bucket's defaults leave it.

    Bad: `S3Backend(self, bucket=state_bucket, key="tap.tfstate", region=region)`.

    Good: the same with `encrypt=True`.

    Severity: High.

    References: Terraform S3 backend (`encrypt`); CDKTF remote backends.
    """
    for stack, s3, where, evidence in _s3_backends(ctx):
        if s3.get("encrypt") is not True:
            yield Hit(
                message=f"Stack `{stack}` stores state in S3 without `encrypt = true`.",
                location=where,
                anchor="backend:no-encrypt",
                fix_anchor="call:S3Backend",
                evidence=evidence,
                note=ctx.terraform_note,
            )


@rule(
    id="TF006",
    name="s3-backend-without-locking",
    title="S3 backend without state locking",
    severity=Severity.HIGH,
    category=Category.PRODUCTION_READINESS,
    rationale="The model stored state in S3 with no lock, so two runs can write it at once.",
    docs=BACKEND_DOCS,
    impact=("Locking Issue: Without a lock, concurrent operations can corrupt state",),
    fix_minutes=5,
    needs="terraform",
)
def s3_backend_without_locking(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a stack whose S3 backend has neither `dynamodb_table` nor `use_lockfile`.

    Why it matters: without a lock two pipelines (or a developer and CI) apply at once and
    the later write leaves a state that no longer matches what exists.

    Bad: `S3Backend(self, bucket=state_bucket, key="tap.tfstate", region=region, encrypt=True)`.

    Good: the same with `dynamodb_table="terraform-locks"`, or with `use_lockfile` on Terraform
    1.10 or later (TF002 checks that the pinned Terraform accepts it).

    Severity: High.

    References: Terraform S3 backend (state locking); CDKTF remote backends.
    """
    for stack, s3, where, evidence in _s3_backends(ctx):
        if not s3.get("dynamodb_table") and not s3.get("use_lockfile"):
            yield Hit(
                message=f"Stack `{stack}` has an S3 backend with no `dynamodb_table` and no `use_lockfile`.",
                location=where,
                anchor="backend:no-lock",
                fix_anchor="call:S3Backend",
                evidence=evidence,
                note=ctx.terraform_note,
            )


def _stack_site(ctx: GradeContext, stack: str) -> tuple[Location, str]:
    """Where a stack's backend findings point (the class that built it) and the quoted signature."""
    span = stack_class_span(ctx, stack, signature=True)
    where = Location(path=span.path, line=span.start, stack=stack) if span else Location(stack=stack)
    return where, quote(ctx.workspace.files, span) if span else ""


def _s3_backends(ctx: GradeContext) -> Iterator[tuple[str, dict[str, Any], Location, str]]:
    """(stack, S3 backend block, site, evidence) of every stack that stores state in S3."""
    for stack, doc in sorted((ctx.terraform or {}).items()):
        backends = (doc.get("terraform") or {}).get("backend") or {}
        # `backend "s3" {}` in HCL is a partial configuration: bucket, encryption and locking come
        # from `terraform init -backend-config`, which no answer shows (cdktf always writes them).
        if backends.get("s3"):
            where, evidence = _stack_site(ctx, stack)
            yield stack, backends["s3"] or {}, where, evidence


def _missing(ctx: GradeContext) -> dict[str, Any]:
    """What a missing backend costs in the task's environment."""
    if ctx.settings.remote_state_required:
        return {
            "severity": Severity.CRITICAL,
            "root_cause": (
                "The model didn't configure remote state, which the deploy environment requires: the "
                "pipeline hands the app a state bucket, and state kept on the CI runner is lost with it."
            ),
        }
    return {"root_cause": "The model didn't configure remote state: Terraform keeps state where it ran."}


def _source_has_call(ctx: GradeContext, callee: str) -> bool:
    return any(callee in text for text in ctx.source.values())
