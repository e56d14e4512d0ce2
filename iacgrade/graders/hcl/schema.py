"""HCL001-HCL007: an HCL answer that does not parse, and what the provider schema says Terraform
would refuse (iacgrade/harness/platforms/tf_hcl/validate.py finds them; these rules report them).

The schema errors are the HCL counterparts of PY002-PY006 and TF004: `terraform validate` stops on
each, so all are Critical. They are predicted from the schema, not observed: no terraform runs.
"""

from __future__ import annotations

from collections.abc import Iterator

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import Hit, rule
from iacgrade.harness.core.findings import Category, ErrorKind, Location, Severity
from iacgrade.harness.core.source import Span, quote
from iacgrade.harness.core.synth import Diagnostic, SynthStatus
from iacgrade.harness.platforms.names import TF_HCL
from iacgrade.harness.platforms.tf_hcl.platform import PARSE_ERROR
from iacgrade.harness.platforms.tf_hcl.validate import TOOL

TF_DOCS = "https://developer.hashicorp.com/terraform"
AWS_DOCS = "https://registry.terraform.io/providers/hashicorp/aws/latest/docs"
_VALIDATE = ("Deployment Blocker: `terraform validate` and `terraform plan` fail",)


def _diagnostics(ctx: GradeContext, *codes: str) -> Iterator[Diagnostic]:
    synth = ctx.synth
    if synth is None or synth.status is not SynthStatus.OK:
        return
    yield from (d for d in synth.diagnostics if d.tool == TOOL and d.code in codes)


def _hit(ctx: GradeContext, diag: Diagnostic, title: str | None = None) -> Hit:
    span = Span(diag.file, diag.line, diag.end_line or diag.line) if diag.file and diag.line else None
    return Hit(
        message=diag.message,
        location=Location(
            path=diag.file or None,
            line=diag.line or None,
            end_line=diag.end_line or None,
            address=diag.address or None,
        ),
        anchor=f"resource:{diag.address}" if diag.address else f"hcl:{diag.file}:{diag.line}",
        evidence=quote(ctx.workspace.files, span) if span else "",
        error=diag.message,
        error_kind=ErrorKind.EXPECTED_DEPLOY,
        title=title,
    )


@rule(
    id="HCL001",
    name="hcl-does-not-parse",
    title="HCL That Does Not Parse",
    severity=Severity.CRITICAL,
    category=Category.API_CONSISTENCY,
    rationale="A `.tf` file of the root module is not valid HCL: Terraform reads none of the module.",
    docs=(f"{TF_DOCS}/language/syntax/configuration",),
    impact=("Deployment Blocker: `terraform init` fails to read the configuration",),
    fix_minutes=5,
    needs="synth",
    platforms=(TF_HCL,),
)
def hcl_does_not_parse(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a `.tf` file of the root module that python-hcl2 cannot parse (an answer cut
    off mid-block, Markdown escapes such as `\\*` left in the code, a missing `=` or brace), at
    the line the parser stopped.

    Why it matters: Terraform parses every file of the module before doing anything; one broken
    file stops `init`, `validate` and `plan`.

    Bad: `max_allocated_storage = var.size \\* 2`; a block whose closing brace never comes.

    Good: `max_allocated_storage = var.size * 2`; every block closed.

    References: Terraform configuration syntax.
    """
    synth = ctx.synth
    if synth is None or synth.status is not SynthStatus.ERROR or synth.error_type != PARSE_ERROR:
        return
    frame = synth.frame
    span = Span(frame.file, frame.line, frame.line) if frame and frame.line else None
    yield Hit(
        message=f"The HCL does not parse: {synth.message}",
        location=Location(
            path=frame.file if frame else None, line=frame.line if frame and frame.line else None
        ),
        anchor=f"hcl:{frame.file}" if frame else "hcl",
        evidence=quote(ctx.workspace.files, span) if span else "",
        error=synth.message,
        error_kind=ErrorKind.OBSERVED,
    )


@rule(
    id="HCL008",
    name="answer-without-hcl",
    title="The answer contains no Terraform code",
    severity=Severity.CRITICAL,
    category=Category.PRODUCTION_READINESS,
    rationale="The answer describes infrastructure in prose but gives no `.tf` file to validate or apply.",
    impact=("Deployment Blocker: There is nothing to plan or apply",),
    fix_minutes=60,
    needs="always",
    platforms=(TF_HCL,),
)
def answer_without_hcl(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a model answer with no HCL block that names or implies a `.tf` file: only
    prose, a shell session, a diagram, or a snippet of one argument.

    Why it matters: the task asks for Terraform code; a description of it cannot be validated,
    planned or applied.

    Bad: a summary of the resources the answer "created", with no ```hcl block.

    Good: the answer gives `main.tf` (and its variables and outputs) as code.

    References: the task's prompt.
    """
    if ctx.side == "model" and not ctx.workspace.has_code:
        yield Hit(
            message="The answer has no Terraform code: nothing can be planned or applied.", anchor="no-code"
        )


@rule(
    id="HCL002",
    name="unknown-resource-type",
    title="Unknown Resource or Data Source Type",
    severity=Severity.CRITICAL,
    category=Category.API_CONSISTENCY,
    rationale="The model used a resource or data source type the AWS provider does not have.",
    docs=(AWS_DOCS,),
    impact=_VALIDATE,
    fix_minutes=10,
    needs="synth",
    platforms=(TF_HCL,),
)
def unknown_resource_type(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: `resource "aws_..."` or `data "aws_..."` whose type is not in the AWS
    provider's schema (the provider version the platform pins), with the closest real type.

    Why it matters: Terraform stops at validate with "The provider hashicorp/aws does not
    support resource type".

    Bad: `resource "aws_s3_bucket_encryption" "x"`.

    Good: `resource "aws_s3_bucket_server_side_encryption_configuration" "x"`.

    References: the AWS provider's resource index.
    """
    for diag in _diagnostics(ctx, "unknown-type"):
        yield _hit(ctx, diag)


@rule(
    id="HCL003",
    name="unknown-argument",
    title="Unknown Argument or Block",
    severity=Severity.CRITICAL,
    category=Category.API_CONSISTENCY,
    rationale="The model set an argument or nested block the resource type does not take.",
    docs=(AWS_DOCS,),
    impact=_VALIDATE,
    fix_minutes=5,
    needs="synth",
    platforms=(TF_HCL,),
)
def unknown_argument(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: an argument or block in a resource or data source (or one of its nested
    blocks) that its schema does not have, with the closest name it has. Terraform's own
    meta-arguments (`count`, `for_each`, `depends_on`, `provider`, `lifecycle`, `provisioner`,
    `connection`, `dynamic`) are never flagged.

    Why it matters: "An argument named ... is not expected here" stops validate.

    Bad: `resource "aws_instance" "web" { instance_types = "t3.micro" }`.

    Good: `instance_type = "t3.micro"`.

    References: the AWS provider documentation of the resource.
    """
    for diag in _diagnostics(ctx, "unknown-argument"):
        yield _hit(ctx, diag)


@rule(
    id="HCL004",
    name="missing-required-argument",
    title="Missing Required Argument",
    severity=Severity.CRITICAL,
    category=Category.API_CONSISTENCY,
    rationale="The model left out an argument or block the resource type requires.",
    docs=(AWS_DOCS,),
    impact=_VALIDATE,
    fix_minutes=5,
    needs="synth",
    platforms=(TF_HCL,),
)
def missing_required_argument(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a resource, data source or nested block without an argument or block its
    schema marks required.

    Why it matters: "The argument ... is required, but no definition was found" stops validate.

    Bad: `resource "aws_s3_bucket_versioning" "v" { bucket = aws_s3_bucket.b.id }` (no
    `versioning_configuration` block).

    Good: add `versioning_configuration { status = "Enabled" }`.

    References: the AWS provider documentation of the resource.
    """
    for diag in _diagnostics(ctx, "missing-required"):
        yield _hit(ctx, diag)


@rule(
    id="HCL005",
    name="block-attribute-confusion",
    title="Block Written as an Argument, or an Argument as a Block",
    severity=Severity.CRITICAL,
    category=Category.API_CONSISTENCY,
    rationale="The model wrote a nested block with `=` and a map, or an argument as a block.",
    docs=(f"{TF_DOCS}/language/syntax/configuration#blocks",),
    impact=_VALIDATE,
    fix_minutes=5,
    needs="synth",
    platforms=(TF_HCL,),
)
def block_attribute_confusion(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: `versioning = { enabled = true }` where the schema has a `versioning`
    block, and `tags { ... }` where it has a `tags` argument. A list of objects assigned to a
    block name is not flagged (the provider accepts that form for some blocks, as
    `ingress = [...]`).

    Why it matters: Terraform stops at validate ("Unsupported argument; An argument named ... is
    not expected here. Did you mean to define a block").

    Bad: `versioning = { enabled = true }`; `tags { Name = "x" }`.

    Good: `versioning { enabled = true }`; `tags = { Name = "x" }`.

    References: Terraform configuration syntax, blocks and arguments.
    """
    for diag in _diagnostics(ctx, "block-as-attribute", "attribute-as-block"):
        yield _hit(ctx, diag)


@rule(
    id="HCL006",
    name="wrong-literal-type",
    title="Literal of the Wrong Type",
    severity=Severity.CRITICAL,
    category=Category.PARAMETER_VALIDATION,
    rationale="The model gave an argument a literal Terraform cannot convert to its type.",
    docs=(f"{TF_DOCS}/language/expressions/type-constraints#conversion-of-primitive-types",),
    impact=_VALIDATE,
    fix_minutes=5,
    needs="synth",
    platforms=(TF_HCL,),
)
def wrong_literal_type(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a literal (no expression in it) whose kind the argument cannot take: a
    list or map for a string, a word for a number or bool, a string for a list or map.
    Terraform's own conversions pass ("5" for a number, "true" for a bool).

    Why it matters: "Inappropriate value for attribute" stops validate.

    Bad: `subnet_ids = "subnet-123"`; `port = "http"`.

    Good: `subnet_ids = ["subnet-123"]`; `port = 80`.

    References: Terraform type conversion.
    """
    for diag in _diagnostics(ctx, "wrong-type"):
        yield _hit(ctx, diag)


@rule(
    id="HCL007",
    name="undeclared-reference",
    title="Reference to an Undeclared Object",
    severity=Severity.CRITICAL,
    category=Category.API_CONSISTENCY,
    rationale="The model referred to a variable, local, resource, data source or module it never declared.",
    docs=(f"{TF_DOCS}/language/expressions/references",),
    impact=("Deployment Blocker: `terraform validate` fails (Reference to undeclared ...)",),
    fix_minutes=5,
    needs="synth",
    platforms=(TF_HCL,),
)
def undeclared_reference(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: `var.x`, `local.x`, `module.x`, `data.type.name`, `aws_type.name` or a
    provider alias (`provider = aws.west`) that the root module does not declare, with the
    closest declared name, and a `provider` given as an expression (`local.providers[each.key]`),
    which Terraform refuses as an invalid provider reference. Modules' own outputs are not checked
    (modules are not expanded); provider aliases only when the module configures that provider
    (the tasks keep theirs in a provider.tf of their own).

    Why it matters: Terraform stops at validate with "Reference to undeclared input variable"
    (or resource, local value, module, provider configuration).

    Bad: `bucket = aws_s3_bucket.log.id` when the bucket is `aws_s3_bucket.logs`.

    Good: `bucket = aws_s3_bucket.logs.id`.

    References: Terraform references to named values.
    """
    for diag in _diagnostics(ctx, "undeclared"):
        yield _hit(ctx, diag)
