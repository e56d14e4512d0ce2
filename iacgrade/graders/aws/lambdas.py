"""AWS: Lambda functions that cannot be created or cannot run: the deployment package, the
handler, the runtime, and the permissions the function's triggers need."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import Any

from iacgrade.graders.aws.iam import allows, role_grants
from iacgrade.graders.aws.packages import (
    PackageUse,
    archive_data,
    function_package,
    handler_members,
    package_key,
    raw_path,
    stack_dir,
)
from iacgrade.graders.constraints import load
from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import Hit, rule
from iacgrade.graders.sites import resource_hit
from iacgrade.graders.synth.environment_causes import build_step
from iacgrade.graders.terraform_model import UNRESOLVED, Resource, Stack
from iacgrade.harness.core.findings import Category, Severity
from iacgrade.harness.platforms.names import CDKTF_PYTHON, CFN, TF_HCL

LAMBDA_DOCS = "https://docs.aws.amazon.com/lambda/latest/dg"
FILE_FUNCTION = re.compile(r"file(?:base64)?(?:sha256|md5|sha1|sha512)?\(\s*\"([^\"]+)\"\s*\)")
# The function call and its path, for the error Terraform prints when the file is missing.
FILE_CALL = re.compile(r"(file(?:base64)?(?:sha256|md5|sha1|sha512)?)\(\s*\"([^\"]+)\"\s*\)")
SYNTH_TIME_ARCHIVING = ("zipfile", "make_archive", "TerraformAsset", "DataArchiveFile", "archive_file")


def _package_problem(ctx: GradeContext, stack: Stack, path: str) -> str:
    """Why `path` (as Terraform will open it) is no package after synth, or ""."""
    local = package_key(stack, path)
    listed = (ctx.synth.packages if ctx.synth else None) or {}
    package = listed.get(local)
    if package is not None and package.exists:
        if package.kind == "file" and not path.endswith(".py"):
            return f"`{_shown(stack, path)}` is a plain file, not a zip archive"
        return ""
    if package is not None and package.kind == "unreadable":
        return f"`{_shown(stack, path)}` is not a readable zip archive"
    files = ctx.workspace.files
    if local in files or local.startswith(f"{stack_dir(stack)}/assets/"):
        return ""
    # Without the worker's listing, or when the stacks came from a fallback strategy that did not
    # run the answer's own build steps, an archive built while synthesizing may land anywhere.
    unlisted = package is None or bool(ctx.synth and ctx.synth.from_fallback)
    archiving = any(word in text for text in ctx.source.values() for word in SYNTH_TIME_ARCHIVING)
    if unlisted and archiving and (posixpath.isabs(path) or path.startswith("..")):
        return ""
    near = [p for p in files if posixpath.basename(p) == posixpath.basename(local)]
    hint = f" (the project has `{near[0]}`: the path is wrong from `{stack_dir(stack)}/`)" if near else ""
    shown = _shown(stack, path)
    if shown == local:
        return f"`{local}` is no file of the project after synth{hint}"
    return f"`{shown}` resolves to `{local}`, which no file of the project provides after synth{hint}"


def _shown(stack: Stack, path: str) -> str:
    """The path as the answer wrote it, with the synthesizing machine's folders left out."""
    return package_key(stack, path) if posixpath.isabs(path) else path


def _missing_error(stack: Stack, res: Resource, path: str, why: str, shown: str) -> str:
    """What Terraform prints first: a hash function reading the missing file fails at plan,
    before the provider tries to load the package."""
    if why.startswith("`filename` is the Python") or "zip archive" in why:
        return "InvalidParameterValueException: Could not unzip uploaded file."
    hashed = res.get("source_code_hash")
    for function, read in FILE_CALL.findall(hashed) if isinstance(hashed, str) else []:
        if package_key(stack, read) == package_key(stack, path):
            return (
                f'Error: Error in function call\n  Call to function "{function}" failed: '
                f"open {_shown(stack, read)}: no such file or directory."
            )
    return f'Error: unable to load "{shown}": no such file or directory'


def _no_build_reaches(stack: Stack, path: str) -> bool:
    """No build step of the project can supply `path`: relative, it resolves inside the stack's
    synth output (`cdktf.out/stacks/<stack>/`), which synth recreates; or the answer itself calls
    it a placeholder."""
    inside = package_key(stack, path).startswith(stack_dir(stack) + "/")
    return inside or "placeholder" in posixpath.basename(path).lower()


def _path_is_wrong(why: str) -> bool:
    return "the path is wrong" in why or "is the Python file" in why or "zip archive" in why


@rule(
    id="AWS007",
    name="lambda-package-missing",
    title="Lambda Deployment Package Missing",
    severity=Severity.CRITICAL,
    category=Category.RESOURCE_CONFIGURATION,
    rationale=(
        "The model pointed the function at a deployment package that does not exist where Terraform "
        "runs (`cdktf.out/stacks/<stack>/`), or at a `.py` file where a zip is required."
    ),
    docs=(
        f"{LAMBDA_DOCS}/python-package.html",
        "https://developer.hashicorp.com/terraform/cdktf/concepts/assets",
    ),
    impact=(
        "Deployment Blocker: terraform cannot read the package (no such file or directory)",
        "Packaging: The zip must be built (TerraformAsset or archive_file) as part of synth",
    ),
    fix_minutes=15,
    needs="terraform",
    version=4,
    # Asset paths are resolved as cdktf lays them out (cdktf.out/stacks/<stack>/).
    platforms=(CDKTF_PYTHON,),
)
def lambda_package_missing(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: an `aws_lambda_function` (or `aws_lambda_layer_version`) whose `filename`
    is a `.py` file, a file that is not a zip archive, or a path that, taken relative to
    `cdktf.out/stacks/<stack>/`, was no file after synth (the worker lists every package the
    JSON names once the app has run, so a zip the answer builds while synthesizing counts); the
    same for a path inside `source_code_hash` (`${filebase64sha256("...")}`) and for
    `source_file`/`source_dir` of an `archive_file`. One finding per package, naming every
    function that uploads it.

    Why it matters: `terraform plan` fails ("unable to load ...: no such file or directory");
    a `.py` uploaded as a package is rejected ("Could not unzip uploaded file"). A wrong path
    (the file exists elsewhere in the project), a `.py`, a relative path (it resolves inside the
    stack's synth output, which no build step of the project fills) or a package the answer
    calls a placeholder is Critical; any other package that no file of the answer provides is
    High, since a build step outside the answer may supply it; none when the answer writes down
    the step that builds it there (a `zip` in its deploy instructions).

    Bad: `LambdaFunction(..., filename="lambda_function.zip")` with no zip built anywhere;
    `filename="../../../lib/lambda/handler.py"`.

    Good: `asset = TerraformAsset(self, "code", path="lib/lambda", type=AssetType.ARCHIVE)` and
    `filename=asset.path, source_code_hash=asset.asset_hash`.

    References: Lambda .zip deployment packages for Python; CDKTF assets.
    """
    # One finding per package: functions that upload the same missing zip share one cause.
    problems: dict[tuple[str, str], tuple[str, str, str, str, Stack, list[Resource]]] = {}
    for stack, res in ctx.tf.resources("aws_lambda_function", "aws_lambda_layer_version"):
        if archive_data(stack, res) is not None:
            continue  # Terraform builds it at plan time; its inputs are checked below
        filename = raw_path(stack, res, "filename")
        found: tuple[str, str, str] | None = None
        if filename:
            if filename.endswith(".py"):
                found = (
                    "filename",
                    f"`filename` is the Python file `{_shown(stack, filename)}`, not a .zip package",
                    filename,
                )
            else:
                why = _package_problem(ctx, stack, filename)
                found = ("filename", why, filename) if why else None
        hashed = res.get("source_code_hash")
        for path in FILE_FUNCTION.findall(hashed) if isinstance(hashed, str) and found is None else []:
            if filename and package_key(stack, path) == package_key(stack, filename):
                continue
            why = _package_problem(ctx, stack, path)
            if why:
                found = ("source_code_hash", f"`source_code_hash` reads {why}", path)
                break
        if found is not None:
            shown = _shown(stack, filename or "")
            key = (package_key(stack, filename or ""), found[1])
            problems.setdefault(key, (*found, shown, stack, []))[5].append(res)
    for attr, why, path, shown, stack, users in problems.values():
        no_build = _path_is_wrong(why) or _no_build_reaches(stack, path)
        if not no_build and build_step(package_key(stack, path), ctx.workspace.files, ctx.workspace.docs):
            # The answer's own steps (a `zip` it writes down) make the package where Terraform
            # reads it: absent from the snapshot, not from the deployment.
            continue
        names = ", ".join(f"`{r.address}`" for r in users)
        yield resource_hit(
            ctx,
            users[0],
            f"{names}: {why}.",
            attr=attr,
            # A package simply absent may be built by a step outside the answer; a wrong path,
            # a file that is no zip, a path inside the synth output or a placeholder fails even
            # when it is.
            severity=None if no_build else Severity.HIGH,
            error=_missing_error(stack, users[0], path, why, shown),
        )
    listed = (ctx.synth.packages if ctx.synth else None) or {}
    for stack in ctx.tf.stacks.values():
        for data in (d for d in stack.data if d.type == "archive_file"):
            for attr in ("source_file", "source_dir"):
                path = raw_path(stack, data, attr)
                if path is None:
                    continue
                local = package_key(stack, path)
                package = listed.get(local)
                exists = (package is not None and package.exists) or any(
                    p == local or p.startswith(local.rstrip("/") + "/") or local.endswith("/" + p)
                    for p in ctx.workspace.files
                )
                if not exists:
                    yield resource_hit(
                        ctx,
                        data,
                        f"`{data.address}.{attr}` is `{_shown(stack, path)}`, i.e. `{local}` from where "
                        "Terraform runs; no file of the project is there after synth.",
                        attr=attr,
                        error=(
                            "Error: error archiving file: could not archive missing file: "
                            + _shown(stack, path)
                        ),
                    )


@rule(
    id="AWS008",
    name="lambda-handler-not-in-package",
    title="Lambda Handler Not Found in the Code",
    # The function deploys; what fails is every invocation, so it is not a deployment blocker.
    severity=Severity.HIGH,
    category=Category.RESOURCE_CONFIGURATION,
    rationale=(
        "The model's `handler` names a module or function that the Lambda code it wrote does not "
        "define, so every invocation fails."
    ),
    docs=(f"{LAMBDA_DOCS}/python-handler.html",),
    impact=(
        "Runtime Failure: Every invocation fails with Runtime.ImportModuleError or HandlerNotFound",
        "Integration Tests: Any test that invokes the function fails",
    ),
    fix_minutes=5,
    needs="terraform",
    version=4,
)
def lambda_handler_not_in_package(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a Python Lambda whose `handler` (`module.function`) names a module that is
    not a member of the deployment package as it was after synth (a zip the answer built, a
    cdktf asset, an `archive_file` input, an uploaded S3 object's source), or a function that
    the member does not define at top level (by `def`, assignment or import). One finding per
    package and handler, naming every function that shares them. A package that does not exist
    at synth is not judged here (AWS007 reports it), nor one the worker did not list.

    Why it matters: the function deploys but every invocation fails with
    `Runtime.ImportModuleError: Unable to import module 'index'` or
    `Runtime.HandlerNotFound`.

    Bad: `handler="index.handler"` with a package holding only `processor.py`, which defines
    `lambda_handler`.

    Good: `handler="processor.lambda_handler"`; or a zip built at synth with
    `zipf.write("lib/lambda/processor.py", "index.py")` and `handler="index.lambda_handler"`;
    or `handler = lambda_handler` at the top of `index.py` for `handler="index.handler"`.

    References: Lambda handler in Python.
    """
    problems: dict[tuple[str, str], tuple[str, str, list[Resource]]] = {}
    for stack, res in ctx.tf.resources("aws_lambda_function"):
        runtime = str(res.get("runtime") or "")
        handler = res.get("handler")
        if not runtime.startswith("python") or not isinstance(handler, str) or "." not in handler:
            continue
        use = function_package(ctx, stack, res)
        # An absent package is AWS007's; an empty one is what cdktf leaves for an asset whose
        # source the snapshot lacks (a build output): neither says what the real package holds.
        if use is None or use.package is None or not use.package.exists or not use.package.members:
            continue
        found = _handler_problem(use, handler)
        if found is not None:
            problems.setdefault((use.key, handler), (*found, []))[2].append(res)
    for (_key, handler), (why, error, users) in problems.items():
        names = ", ".join(f"`{r.address}`" for r in users)
        yield resource_hit(
            ctx,
            users[0],
            f'{names} {"have" if len(users) > 1 else "has"} `handler="{handler}"`, but {why}.',
            attr="handler",
            error=error,
        )


def _handler_problem(use: PackageUse, handler: str) -> tuple[str, str] | None:
    """(why, error) when the package cannot serve `handler`, else None."""
    assert use.package is not None
    module, _, function = handler.rpartition(".")
    members = set(use.package.members)
    member = next((m for m in handler_members(module) if m in members), None)
    if member is None:
        held = [m for m in use.package.members if m.endswith(".py")] or use.package.members
        listed = ", ".join(f"`{m}`" for m in held[:5]) or "nothing"
        more = f" and {len(held) - 5} more" if len(held) > 5 else ""
        return (
            f"the package `{use.shown}` has no `{handler_members(module)[0]}` (it holds {listed}{more})",
            f"Runtime.ImportModuleError: Unable to import module '{module}': No module named '{module}'",
        )
    names = use.package.python.get(member)
    if names is None or function in names:
        return None  # a module that does not parse, or is too large to read, is not judged
    return (
        f"`{member}` in the package `{use.shown}` defines no `{function}` at top level",
        f"Runtime.HandlerNotFound: {module}.{function} is undefined or not exported",
    )


@rule(
    id="AWS019",
    name="lambda-runtime-not-creatable",
    title="Lambda Runtime Not Supported for New Functions",
    severity=Severity.CRITICAL,
    category=Category.PARAMETER_VALIDATION,
    rationale=(
        "The model chose a Lambda runtime that does not exist or that AWS no longer allows new "
        "functions to use."
    ),
    docs=(f"{LAMBDA_DOCS}/lambda-runtimes.html",),
    impact=("Deployment Blocker: CreateFunction rejects the runtime",),
    fix_minutes=2,
    needs="terraform",
    # Reads the mapped template of a CloudFormation answer too (iacgrade/harness/platforms/cfn/mapping.py).
    platforms=(CDKTF_PYTHON, TF_HCL, CFN),
)
def lambda_runtime_not_creatable(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: `runtime` of an `aws_lambda_function` that is not in Lambda's runtime list
    (botocore), or whose "block function create" date (Lambda runtime deprecation policy, via
    cfn-lint) is on or before the task's date.

    Why it matters: CreateFunction answers "The runtime parameter of python3.7 is no longer
    supported for creating or updating AWS Lambda functions".

    Bad: `runtime="python3.7"`; `runtime="python3.10.4"`.

    Good: `runtime="python3.12"`.

    References: Lambda runtimes and their deprecation dates.
    """
    data = load("lambda.json")
    known = set(data["runtimes"])
    today = str(ctx.judged_at)
    for stack, res in ctx.tf.resources("aws_lambda_function"):
        runtime = stack.literal(res, "runtime")
        if not isinstance(runtime, str) or runtime is UNRESOLVED or not runtime:
            continue
        blocked = (data["lifecycle"].get(runtime) or {}).get("create-block")
        if runtime not in known:
            why = "is not a Lambda runtime"
        elif blocked and blocked <= today:
            why = f"can no longer be used to create functions (blocked since {blocked})"
        else:
            continue
        yield resource_hit(
            ctx,
            res,
            f"`{res.address}` uses runtime `{runtime}`, which {why}.",
            attr="runtime",
            error=(
                f"InvalidParameterValueException: The runtime parameter of {runtime} is no longer supported "
                "for creating or updating AWS Lambda functions."
            ),
        )


# What the execution role must allow for each kind of event source (Lambda event source docs).
TRIGGER_ACTIONS: dict[str, tuple[str, ...]] = {
    "aws_sqs_queue": ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
    "aws_dynamodb_table": (
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    ),
    "aws_kinesis_stream": ("kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStream"),
}
VPC_ACTIONS = ("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface")
TRACING_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
# What the role must allow for Lambda to send failed asynchronous events to the dead-letter target.
DEAD_LETTER_ACTIONS: dict[str, tuple[str, ...]] = {
    "aws_sqs_queue": ("sqs:SendMessage",),
    "aws_sns_topic": ("sns:Publish",),
}


@rule(
    id="AWS014",
    name="execution-role-missing-trigger-permissions",
    title="Lambda Execution Role Lacks Permissions Its Wiring Needs",
    severity=Severity.CRITICAL,
    category=Category.RESOURCE_CONFIGURATION,
    rationale=(
        "The model wired the function to a trigger (an SQS queue, a DynamoDB or Kinesis stream), into "
        "a VPC, to a dead-letter queue or to active X-Ray tracing without granting its execution role "
        "the actions Lambda needs for that."
    ),
    docs=(
        f"{LAMBDA_DOCS}/with-sqs.html#events-sqs-permissions",
        f"{LAMBDA_DOCS}/with-ddb.html",
        f"{LAMBDA_DOCS}/configuration-vpc.html#configuration-vpc-permissions",
        f"{LAMBDA_DOCS}/invocation-async-retain-records.html#invocation-dlq",
        f"{LAMBDA_DOCS}/services-xray.html#services-xray-permissions",
    ),
    impact=(
        "Deployment Blocker: Lambda validates the role when the mapping or VPC config is created",
        "Runtime Failure: Messages are never consumed",
    ),
    fix_minutes=5,
    needs="terraform",
    version=3,
    # Reads the mapped template of a CloudFormation answer too (iacgrade/harness/platforms/cfn/mapping.py).
    platforms=(CDKTF_PYTHON, TF_HCL, CFN),
)
def execution_role_missing_trigger_permissions(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: an `aws_lambda_event_source_mapping` from an SQS queue, DynamoDB stream or
    Kinesis stream whose function's role is not allowed the actions that source needs
    (`sqs:ReceiveMessage`, `sqs:DeleteMessage`, `sqs:GetQueueAttributes`, ...); a function with
    `vpc_config` whose role cannot manage network interfaces; a function whose
    `dead_letter_config` targets an SQS queue or SNS topic its role may not send to
    (`sqs:SendMessage`, `sns:Publish`); and a function with `tracing_config` mode `Active` whose
    role may not write traces (`xray:PutTraceSegments`, `xray:PutTelemetryRecords`). The role's
    grants are read from inline policies, role policies, attached customer policies, policy
    documents and the AWS managed Lambda policies; when one of them cannot be read, nothing is
    concluded. On a CloudFormation template active tracing is not checked (a deployed template
    ran traced functions without X-Ray permissions).

    Why it matters: Lambda checks the role when the mapping, the function or its configuration is
    created: "InvalidParameterValueException: The provided execution role does not have
    permissions to call ReceiveMessage on SQS" (likewise `SendMessage on SQS`, `PutTraceSegments
    on XRAY`).

    Bad: an SQS-triggered function whose role only has `AWSLambdaBasicExecutionRole`.

    Good: attach `service-role/AWSLambdaSQSQueueExecutionRole`, or allow the three SQS actions
    on the queue's ARN; allow `xray:PutTraceSegments` and `xray:PutTelemetryRecords` (the
    `AWSXRayDaemonWriteAccess` policy) to a traced function.

    References: Lambda with SQS, with DynamoDB, VPC permissions, dead-letter queues, X-Ray.
    """
    for stack in ctx.tf.stacks.values():
        for mapping in stack.of_type("aws_lambda_event_source_mapping"):
            fn = _one(stack, mapping.get("function_name"), "aws_lambda_function")
            source = next(
                (
                    stack.resource(a)
                    for a in sorted(stack.references(mapping.get("event_source_arn")))
                    if a.split(".")[0] in TRIGGER_ACTIONS
                ),
                None,
            )
            if fn is None or source is None:
                continue
            hit = _missing(
                ctx, stack, fn, TRIGGER_ACTIONS[source.type], f"its trigger `{source.address}`", mapping
            )
            if hit:
                yield hit
        for fn in stack.of_type("aws_lambda_function"):
            for attr, needed, what in _function_wiring(stack, fn, tracing=ctx.platform != CFN):
                hit = _missing(ctx, stack, fn, needed, what, fn, attr)
                if hit:
                    yield hit


def _function_wiring(
    stack: Stack, fn: Resource, *, tracing: bool
) -> Iterator[tuple[str, tuple[str, ...], str]]:
    """(attribute, actions the role needs, what needs them) for the function's own settings.

    `tracing`: whether active tracing is checked. Not on templates: a deployed CloudFormation
    reference (dev-cfn-yaml Pr3672) runs five functions with `TracingConfig: Active` whose roles
    hold no X-Ray action, so CloudFormation is not observed to refuse them."""
    if any(b.get("subnet_ids") for b in fn.blocks("vpc_config")):
        yield "vpc_config", VPC_ACTIONS, "its `vpc_config`"
    for block in fn.blocks("dead_letter_config"):
        target = next(
            (
                r
                for a in sorted(stack.references(block.get("target_arn")))
                if (r := stack.resource(a)) is not None
            ),
            None,
        )
        if target is not None and target.type in DEAD_LETTER_ACTIONS:
            yield (
                "dead_letter_config",
                DEAD_LETTER_ACTIONS[target.type],
                f"its dead-letter target `{target.address}`",
            )
    if tracing and any(stack.resolve(b.get("mode")) == "Active" for b in fn.blocks("tracing_config")):
        yield "tracing_config", TRACING_ACTIONS, "its active X-Ray tracing (`tracing_config`)"


def _one(stack: Stack, value: Any, rtype: str) -> Resource | None:
    return next(
        (stack.resource(a) for a in sorted(stack.references(value)) if a.startswith(rtype + ".")), None
    )


def _missing(
    ctx: GradeContext,
    stack: Stack,
    fn: Resource,
    needed: tuple[str, ...],
    what: str,
    at: Resource,
    attr: str | None = None,
) -> Hit | None:
    role = _one(stack, fn.get("role"), "aws_iam_role")
    if role is None:
        return None
    granted = role_grants(stack, role)
    if granted is None:
        return None
    lacking = [a for a in needed if not allows(granted, a)]
    if not lacking:
        return None
    service, _, action = lacking[0].partition(":")
    return resource_hit(
        ctx,
        at,
        f"`{fn.address}` runs as `{role.address}`, which is not allowed "
        f"{', '.join(f'`{a}`' for a in lacking)} "
        f"needed for {what}.",
        attr=attr,
        error=(
            "InvalidParameterValueException: The provided execution role does not have permissions to call "
            f"{action} on {service.upper()}"
        ),
    )
