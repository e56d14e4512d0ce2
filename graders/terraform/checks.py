"""TF: Terraform-level problems in the synthesized JSON (backend arguments the target Terraform
rejects, references to nothing, stacks that export nothing)."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from graders.constraints import load, version_key
from graders.context import GradeContext
from graders.registry import Hit, rule
from graders.sites import site, stack_class_span
from graders.terraform_model import INTERPOLATION, Stack, strings
from harness.core.findings import Category, Location, Severity
from harness.core.profile import LATEST
from harness.platforms.cdktf_python.locate import Span, callee_name, iter_calls, quote, statement_span
from harness.platforms.names import CDKTF_PYTHON

TF_DOCS = "https://developer.hashicorp.com/terraform"


@rule(
    id="TF002",
    name="backend-argument-unsupported",
    title="Backend Argument Not Supported by the Target Terraform Version",
    severity=Severity.CRITICAL,
    category=Category.API_CONSISTENCY,
    rationale=(
        "The model configured the state backend with an argument the Terraform version the pipeline "
        "runs does not know (for example `use_lockfile`, added in Terraform 1.10)."
    ),
    docs=(f"{TF_DOCS}/language/backend/s3", f"{TF_DOCS}/cdktf/concepts/remote-backends"),
    impact=(
        "Deployment Blocker: `terraform init` fails before any plan (Extraneous JSON object property)",
        "CI/CD Failure: Every pipeline stage after synth stops",
    ),
    fix_minutes=5,
    needs="terraform",
    version=3,
)
def backend_argument_unsupported(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: an argument of the `s3` backend block that Terraform (at
    `Settings.terraform_version`, from the task's environment profile) does not accept: one
    added in a later release (`use_lockfile` needs 1.10) or one the backend never had (a typo,
    a provider-only argument).

    Why it matters: `terraform init` answers "Extraneous JSON object property" and nothing deploys.

    Bad: `S3Backend(self, bucket=..., key=..., region=...)` plus
    `self.add_override("terraform.backend.s3.use_lockfile", True)` on Terraform 1.9.

    Good: `dynamodb_table="terraform-locks"` for locking until the pipeline runs Terraform 1.10+.

    References: Terraform S3 backend; CDKTF remote backends.
    """
    data = load("terraform_backends.json")["s3"]
    known = set(data["arguments"])
    latest = ctx.settings.terraform_version == LATEST
    target = version_key(ctx.settings.terraform_version)
    for stack in ctx.tf.stacks.values():
        backend = stack.backend
        if backend is None or backend[0] != "s3":
            continue
        for arg in sorted(backend[1]):
            since = data["since"].get(arg)
            if since and not latest and target < version_key(since):
                reason = f"is new in Terraform {since}; the pipeline runs {ctx.settings.terraform_version}"
            elif arg not in known:
                reason = "is not an argument of the s3 backend"
            else:
                continue
            span = _backend_span(ctx, arg)
            yield Hit(
                message=f"Stack `{stack.name}` sets `{arg}` on its S3 backend, which {reason}.",
                location=Location(path=span.path, line=span.start, stack=stack.name)
                if span
                else Location(stack=stack.name),
                anchor=f"backend:{arg}",
                fix_anchor="call:S3Backend",
                evidence=quote(ctx.workspace.files, span) if span else "",
                # What HCL's JSON decoder prints for a property the backend's schema lacks
                # (cdktf hands Terraform JSON, not HCL).
                error=(
                    f"Error: Extraneous JSON object property\n\n  on cdk.tf.json, in terraform.backend.s3:\n"
                    f'No argument or block type is named "{arg}".'
                ),
                note=ctx.terraform_note,
            )


def _backend_span(ctx: GradeContext, arg: str) -> Span | None:
    """The override naming `arg`, else the `S3Backend(...)` call, else nothing."""
    fallback: Span | None = None
    for path, call in iter_calls(ctx.trees):
        name = callee_name(call)
        texts = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if name == "add_override" and any(arg in t for t in texts):
            return statement_span(ctx.trees[path], path, call.lineno)
        if name == "S3Backend" and fallback is None:
            fallback = statement_span(ctx.trees[path], path, call.lineno)
            for kw in call.keywords:
                if kw.arg == arg:
                    fallback = Span(path, kw.lineno, kw.end_lineno or kw.lineno)
    return fallback


@rule(
    id="TF003",
    name="stack-without-outputs",
    title="Missing Stack Outputs",
    severity=Severity.MEDIUM,
    category=Category.PRODUCTION_READINESS,
    rationale=(
        "The model created infrastructure but exported nothing (`TerraformOutput`): endpoints, ARNs "
        "and names that tests and other stacks need are not available after deploy."
    ),
    docs=(f"{TF_DOCS}/cdktf/concepts/variables-and-outputs#output-values",),
    impact=(
        "Integration Tests: Cannot discover deployed resources from stack outputs",
        "Operability: Consumers must look resources up by hand",
    ),
    fix_minutes=10,
    needs="terraform",
    version=4,
)
def stack_without_outputs(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a synthesized stack that creates resources but declares no output (the
    `cross-stack-output-*` outputs cdktf adds by itself do not count).

    Why it matters: integration tests and dependent stacks read outputs (`cfn-outputs`,
    `terraform output -json`); a stack without them forces hard-coded names.

    Bad: a `TapStack` with a VPC, a database and a bucket, and no `TerraformOutput`.

    Good: `TerraformOutput(self, "bucket_name", value=bucket.bucket)` for each thing a consumer needs.

    References: CDKTF variables and outputs.
    """
    # Said in the answer's own terms: a cdktf construct, or the HCL block.
    output = "`TerraformOutput`" if ctx.platform == CDKTF_PYTHON else "`output` block"
    for stack in ctx.tf.stacks.values():
        if stack.resources and not stack.declared_outputs:
            span = stack_class_span(ctx, stack.name)
            # No count in the message: one answer with several such stacks is one failure
            # listed at each stack (harness.pipeline.merge.merge_places).
            yield Hit(
                message=(f"Stack `{stack.name}` creates resources and declares no {output} of its own."),
                location=Location(path=span.path, line=span.start, stack=stack.name)
                if span
                else Location(stack=stack.name),
                anchor="outputs:missing",
                fix_anchor="call:TerraformOutput",
                evidence=quote(ctx.workspace.files, span) if span else "",
                note=ctx.terraform_note,
            )


@rule(
    id="TF004",
    name="reference-to-undeclared-object",
    title="Reference to an Undeclared Resource or Provider",
    severity=Severity.CRITICAL,
    category=Category.API_CONSISTENCY,
    rationale=(
        "The model referred to a resource, data source, variable or provider alias that the stack does "
        "not declare (a hand-written `${...}` string, an override, or a provider left out)."
    ),
    docs=(f"{TF_DOCS}/language/expressions/references", f"{TF_DOCS}/language/providers/configuration"),
    impact=("Deployment Blocker: `terraform plan` fails (Reference to undeclared resource)",),
    fix_minutes=5,
    needs="terraform",
    # HCL answers get HCL007, which reads the expressions as written rather than as synthesized.
    platforms=(CDKTF_PYTHON,),
)
def reference_to_undeclared_object(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a resource whose `provider` names an alias no provider block declares, or
    whose attributes hold `${type.name...}`, `${data.type.name...}` or `${var.name}` for a
    resource, data source or variable that is not in the same stack.

    Why it matters: Terraform stops at plan with "Reference to undeclared resource" or
    "Provider configuration not present".

    Bad: `bucket=f"${{aws_s3_bucket.logs.id}}"` written by hand when no bucket `logs` exists;
    `provider="aws.west"` with no `AwsProvider(alias="west")`.

    Good: pass the construct's own attribute (`logs_bucket.id`) and the provider object.

    References: Terraform references to named values; provider configuration.
    """
    for stack in ctx.tf.stacks.values():
        declared_types = {r.type for r in stack.resources}
        providers = {p.ref for p in stack.providers}
        for res in [*stack.resources, *stack.data]:
            problems: list[str] = []
            ref = res.config.get("provider")
            if isinstance(ref, str) and "." in ref and ref not in providers:
                problems.append(f"provider `{ref}`")
            problems.extend(_dangling(stack, res.config, declared_types))
            if problems:
                s = site(ctx, res)
                yield Hit(
                    message=f"`{res.address}` refers to {', '.join(sorted(set(problems)))}, not declared in "
                    f"stack `{stack.name}`.",
                    location=s.location,
                    anchor=s.anchor,
                    evidence=s.evidence,
                    error="Error: Reference to undeclared resource",
                    note=ctx.terraform_note,
                )


def _dangling(stack: Stack, config: object, declared_types: set[str]) -> list[str]:
    out: list[str] = []
    for text in strings({k: v for k, v in dict(config).items() if k != "//"}):  # type: ignore[call-overload]
        for expr in INTERPOLATION.findall(text):
            for token in expr.replace("[", " ").replace("(", " ").replace(",", " ").split():
                parts = token.split(".")
                if parts[0] == "var" and len(parts) >= 2 and parts[1] not in stack.variables:
                    out.append(f"variable `{parts[1]}`")
                elif parts[0] == "data" and len(parts) >= 3 and stack.resource(".".join(parts[:3])) is None:
                    out.append(f"`{'.'.join(parts[:3])}`")
                elif (
                    len(parts) >= 3
                    and (parts[0] in declared_types or parts[0].startswith("aws_"))
                    and stack.resource(".".join(parts[:2])) is None
                ):
                    out.append(f"`{'.'.join(parts[:2])}`")
    return out
