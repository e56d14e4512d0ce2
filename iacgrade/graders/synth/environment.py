"""ENV: what the sandbox does not give an answer at synth time (AWS, network, a build step)."""

from __future__ import annotations

from collections.abc import Iterator

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import Hit, rule
from iacgrade.graders.synth.environment_causes import EnvCause, environment_cause
from iacgrade.harness.core.findings import Category, ErrorKind, Location, Severity
from iacgrade.harness.platforms.cdktf_python.locate import anchor_in, quote, statement_span

ENV_DOCS = (
    "https://developer.hashicorp.com/terraform/cdktf/cli-reference/commands#synth",
    "https://developer.hashicorp.com/terraform/cdktf/concepts/assets",
    "https://boto3.amazonaws.com/v1/documentation/api/latest/guide/credentials.html",
)
# Every ENV001 of one answer shares this anchor: the model and the reference that both need their
# environment at synth time share the finding, whatever each one needed.
ANCHOR = "environment"


@rule(
    id="ENV001",
    name="synth-needs-environment",
    title="Synthesis needs AWS, network or a build step the sandbox does not give",
    severity=Severity.LOW,
    category=Category.PRODUCTION_READINESS,
    rationale=(
        "The app stops at synth time on something the sandbox does not give: AWS credentials or API "
        "access, the network, a package download, or a build output its own task makes before synth. "
        "That is the environment's gap, not an error in the code; synthesis that needs none of them is "
        "reproducible anywhere."
    ),
    docs=ENV_DOCS,
    impact=(
        "Grading Gap: the rules that read Terraform JSON saw only what synthesized without it",
        "Reproducibility: `cdktf synth` needs credentials, network or a prior build step to run",
    ),
    fix_minutes=5,
    needs="synth",
    keywords=("credentials", "network access", "pip install", "boto3", "build step", "package the lambda"),
)
def synth_needs_environment(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: an answer whose synth stops on something the sandbox does not give, instead
    of an error of its code (SYN001 leaves these here):
    - boto3/botocore without credentials, profile or region (`NoCredentialsError`,
      `ProfileNotFound`, `NoRegionError`), or unable to reach AWS (`EndpointConnectionError`): the
      sandbox gives boto3 plainly fake keys and no network;
    - a `ClientError` that only says the keys are fake (`InvalidClientTokenId`,
      `UnrecognizedClientException`, `AuthFailure`, ...);
    - a host that cannot be resolved or reached (`socket.gaierror`, `urllib.error.URLError`, ...);
    - `pip install` at synth time (a `CalledProcessError` of a pip command, or the sandbox's pip
      refusing downloads): every sandbox refuses it the same way;
    - a file the app reads that is missing, when a step written in the task's own files (a README,
      Makefile, package.json, shell or build script, the answer's prose) names it beside a build
      word (`zip`, `pip install`, `make`, `npm run`, build, package...). A file nothing in the task
      makes stays SYN001: the answer forgot it;
    - a prebuilt provider package that is published (iacgrade/graders/aws/data/prebuilt_providers.json) but
      not in the sandbox's toolchain (`No module named 'cdktf_cdktf_provider_kubernetes'`).
    A `botocore` error the SDK raises itself (`ParamValidationError`) stays SYN001: that is a real
    misuse of the API.

    Why it matters: the grade must not call an answer broken for what the grading machine lacks.
    Synthesis still stopped, so the rules that read Terraform JSON saw only what a fallback synth
    produced; the finding says so. Synth that needs no AWS call, download or prior build is
    reproducible in any pipeline, hence a Low finding.

    Bad: `boto3.client("sts").get_caller_identity()["Account"]` in the stack's constructor;
    `subprocess.run(["pip", "install", "-r", "requirements.txt", "-t", build], check=True)`;
    `TerraformAsset(self, "code", path="lambda_function.zip", ...)` with the zip made by
    `zip -r lambda_function.zip lambda/` in the README and absent from the project.

    Good: `DataAwsCallerIdentity(self, "me").account_id`; a Lambda layer built by the pipeline before
    synth, or its folder committed; `TerraformAsset(path="lib/lambda", type=AssetType.ARCHIVE)`.

    References: CDKTF `synth` and assets; boto3 credentials.
    """
    synth = ctx.synth
    cause = environment_cause(synth, ctx.workspace.files, ctx.workspace.docs)
    if synth is None or cause is None:
        return
    error = f"{synth.error_type}: {synth.message}".strip(": ") if synth.error_type else synth.message
    frame = synth.frame
    span = None
    if frame is not None and frame.file in ctx.workspace.files:
        tree = ctx.trees.get(frame.file)
        span = statement_span(tree, frame.file, frame.line) if tree is not None else None
    yield Hit(
        title=cause.title,
        message=_message(cause, _first_line(error), bool(synth.stacks), synth.stacks_strategy),
        location=Location(
            path=span.path, line=span.start, end_line=span.end if span.end != span.start else None
        )
        if span
        else Location(
            path=frame.file if frame else ctx.workspace.entry or None, line=frame.line if frame else None
        ),
        anchor=ANCHOR,
        # The reference's code for the culprit construct, when the stop is at one (a TerraformAsset).
        fix_anchor=anchor_in(ctx.trees, span) if span else "",
        evidence=quote(ctx.workspace.files, span) if span else "",
        error="\n".join(error.strip().splitlines()[:12]),
        error_kind=ErrorKind.OBSERVED,
        root_cause=_root_cause(cause),
    )


def _message(cause: EnvCause, error: str, has_json: bool, strategy: str) -> str:
    if cause.kind == "build-output":
        step = " ".join(cause.step.split())
        needs = (
            f"The answer reads `{cause.path}` at synth time, a build output that a step of the task makes "
            f"before synthesis (`{step}`); the snapshot does not hold it and the sandbox runs no build step"
        )
    else:
        needs = f"The answer needs {cause.needs} at synth time, which the sandbox does not give"
    seen = (
        f"the rules that read Terraform JSON saw only what synthesized without it (strategy `{strategy}`)"
        if has_json
        else "the rules that read Terraform JSON saw no Terraform at all"
    )
    return f"{needs}; {seen}. Observed error: `{error}`."


def _root_cause(cause: EnvCause) -> str:
    if cause.kind == "build-output":
        return (
            "The app reads a build output at synth time; the task makes it in a step run before "
            "synthesis, which the grading sandbox does not run."
        )
    if cause.kind == "toolchain":
        return (
            "The app imports a prebuilt provider package that the grading toolchain does not install; "
            "the package exists, so a deploy environment that installs it synthesizes past this import."
        )
    if cause.kind == "pip":
        return "The app installs packages while it synthesizes; the sandbox has no network to download them."
    if cause.kind == "network":
        return "The app reaches the network while it synthesizes; the sandbox has none."
    return (
        "The app calls AWS while it synthesizes; the sandbox has no AWS account (its keys are fake) "
        "and no network."
    )


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 200 else line[:197] + "..."
