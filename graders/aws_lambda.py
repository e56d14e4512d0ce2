"""AWS: Lambda functions that cannot be created or cannot run: the deployment package, the
handler, the runtime, and the permissions the function's triggers need."""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterator
from typing import Any

from graders.aws_data import evaluation_date, load
from graders.aws_iam import allows, role_grants
from graders.context import GradeContext
from graders.model import Category, Severity
from graders.registry import Hit, rule
from graders.terraform import UNRESOLVED, Resource, Stack, resource_hit

LAMBDA_DOCS = "https://docs.aws.amazon.com/lambda/latest/dg"
FILE_FUNCTION = re.compile(r"file(?:base64)?(?:sha256|md5|sha1|sha512)?\(\s*\"([^\"]+)\"\s*\)")
SYNTH_TIME_ARCHIVING = ("zipfile", "make_archive", "TerraformAsset", "DataArchiveFile", "archive_file")


def _stack_dir(stack: Stack) -> str:
    # Terraform runs in the stack's own output folder, so relative paths start there.
    return f"cdktf.out/stacks/{stack.name}"


# The folder name the synth worker gives the project it synthesizes (harness/worker.py).
SYNTH_PROJECT_DIR = "/workspace/"


def _package_problem(ctx: GradeContext, stack: Stack, path: str) -> str:
    """Why `path` (as Terraform will open it) is not a file of the project, or ""."""
    files = ctx.workspace.files
    if posixpath.isabs(path):
        if any(path.endswith("/" + p) for p in files):
            return ""
        # os.path.abspath() at synth time points into the synthesizing machine's project folder;
        # only the part inside the project says anything about the answer.
        local = path.split(SYNTH_PROJECT_DIR, 1)[1] if SYNTH_PROJECT_DIR in path else path
    else:
        local = posixpath.normpath(posixpath.join(_stack_dir(stack), path))
        if local.startswith(f"{_stack_dir(stack)}/assets/") or local in files:
            return ""
    archiving = any(word in text for text in ctx.source.values() for word in SYNTH_TIME_ARCHIVING)
    if archiving and (posixpath.isabs(path) or path.startswith("..")):
        return ""  # the app builds archives while it synthesizes: where they land is not knowable here
    near = [p for p in files if posixpath.basename(p) == posixpath.basename(path)]
    hint = f" (the project has `{near[0]}`: the path is wrong from `{_stack_dir(stack)}/`)" if near else ""
    return f"`{path}` resolves to `{local}`, which no file of the project provides{hint}"


def _path_is_wrong(why: str) -> bool:
    return "the path is wrong" in why or "is the Python file" in why


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
)
def lambda_package_missing(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: an `aws_lambda_function` (or `aws_lambda_layer_version`) whose `filename`
    is a `.py` file, or names a path that, taken relative to `cdktf.out/stacks/<stack>/`, is no
    file of the project and no cdktf asset; the same for a path inside `source_code_hash`
    (`${filebase64sha256("...")}`) and for `source_file`/`source_dir` of an `archive_file`.

    Why it matters: `terraform plan` fails ("unable to load ...: no such file or directory");
    a `.py` uploaded as a package is rejected ("Could not unzip uploaded file"). A wrong path
    (the file exists elsewhere in the project) or a `.py` is Critical; a package that no file of
    the answer provides is High, since a build step outside the answer may supply it.

    Bad: `LambdaFunction(..., filename="lambda_function.zip")` with no zip built anywhere;
    `filename="../../../lib/lambda/handler.py"`.

    Good: `asset = TerraformAsset(self, "code", path="lib/lambda", type=AssetType.ARCHIVE)` and
    `filename=asset.path, source_code_hash=asset.asset_hash`.

    References: Lambda .zip deployment packages for Python; CDKTF assets.
    """
    for stack, res in ctx.tf.resources("aws_lambda_function", "aws_lambda_layer_version"):
        filename = stack.literal(res, "filename")
        problems: list[tuple[str, str]] = []
        if isinstance(filename, str) and filename:
            if filename.endswith(".py"):
                problems.append(
                    ("filename", f"`filename` is the Python file `{filename}`, not a .zip package")
                )
            else:
                why = _package_problem(ctx, stack, filename)
                if why:
                    problems.append(("filename", why))
        hashed = res.get("source_code_hash")
        for path in FILE_FUNCTION.findall(hashed) if isinstance(hashed, str) else []:
            why = _package_problem(ctx, stack, path)
            if why and path != filename:
                problems.append(("source_code_hash", f"`source_code_hash` reads {why}"))
        for attr, why in problems[:1]:
            yield resource_hit(
                ctx,
                res,
                f"`{res.address}`: {why}.",
                attr=attr,
                # A package simply absent may be built by a step outside the answer; a wrong path
                # or a .py file fails even when it is.
                severity=None if _path_is_wrong(why) else Severity.HIGH,
                error=(
                    "InvalidParameterValueException: Could not unzip uploaded file."
                    if why.startswith("`filename` is the Python")
                    else f'Error: unable to load "{filename}": no such file or directory'
                ),
            )
    for stack in ctx.tf.stacks.values():
        for data in (d for d in stack.data if d.type == "archive_file"):
            for attr in ("source_file", "source_dir"):
                path = stack.literal(data, attr)
                if not isinstance(path, str) or not path:
                    continue
                local = (
                    path
                    if posixpath.isabs(path)
                    else posixpath.normpath(posixpath.join(_stack_dir(stack), path))
                )
                exists = any(
                    p == local or p.startswith(local.rstrip("/") + "/") or local.endswith("/" + p)
                    for p in ctx.workspace.files
                )
                if not exists:
                    yield resource_hit(
                        ctx,
                        data,
                        f"`{data.address}.{attr}` is `{path}`, i.e. `{local}` from where Terraform runs; "
                        "no file of the project is there.",
                        attr=attr,
                        error=f"Error: error archiving file: could not archive missing file: {path}",
                    )


@rule(
    id="AWS008",
    name="lambda-handler-not-in-package",
    title="Lambda Handler Not Found in the Code",
    severity=Severity.CRITICAL,
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
)
def lambda_handler_not_in_package(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a Python Lambda whose `handler` (`module.function`) names a module that
    none of the answer's Lambda source files is, or a function that module does not define.
    Only judged when the answer contains Lambda code (a `.py` file outside the CDK app).

    Why it matters: the function deploys but every invocation fails with
    `Runtime.ImportModuleError: Unable to import module 'index'` or
    `Runtime.HandlerNotFound`.

    Bad: `handler="index.handler"` with the code in `lib/lambda/processor.py` defining
    `lambda_handler`.

    Good: `handler="processor.lambda_handler"`.

    References: Lambda handler in Python.
    """
    modules = _lambda_modules(ctx)
    if not modules:
        return
    for _stack, res in ctx.tf.resources("aws_lambda_function"):
        runtime = str(res.get("runtime") or "")
        handler = res.get("handler")
        if not runtime.startswith("python") or not isinstance(handler, str) or "." not in handler:
            continue
        module, _, function = handler.rpartition(".")
        module_path = module.replace(".", "/")
        matches = {p: fns for p, fns in modules.items() if p == module_path or p.endswith("/" + module_path)}
        if not matches:
            known = ", ".join(f"`{p}.py`" for p in sorted(modules)[:5])
            why = f"no Lambda source file is `{module_path}.py` (the answer's Lambda code: {known})"
            error = (
                f"Runtime.ImportModuleError: Unable to import module '{module}': No module named '{module}'"
            )
        elif not any(function in fns for fns in matches.values()):
            where = sorted(matches)[0]
            why = f"`{where}.py` defines no function `{function}`"
            error = f"Runtime.HandlerNotFound: {module}.{function} is undefined or not exported"
        else:
            continue
        yield resource_hit(
            ctx, res, f'`{res.address}` has `handler="{handler}"`, but {why}.', attr="handler", error=error
        )


def _lambda_modules(ctx: GradeContext) -> dict[str, set[str]]:
    """Lambda code of the workspace: module path without `.py` -> top-level function names."""
    out: dict[str, set[str]] = {}
    for path, text in ctx.workspace.files.items():
        if not path.endswith(".py") or "cdktf" in text or path.startswith("tests/"):
            continue
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        fns = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
        if any(len(f.args.args) == 2 for f in tree.body if isinstance(f, ast.FunctionDef)):
            out[path[:-3]] = fns
    return out


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
    today = str(evaluation_date(ctx.metadata))
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


@rule(
    id="AWS014",
    name="execution-role-missing-trigger-permissions",
    title="Lambda Execution Role Lacks Permissions Its Wiring Needs",
    severity=Severity.CRITICAL,
    category=Category.RESOURCE_CONFIGURATION,
    rationale=(
        "The model wired the function to a trigger (an SQS queue, a DynamoDB or Kinesis stream) or "
        "into a VPC without granting its execution role the actions Lambda needs for that."
    ),
    docs=(
        f"{LAMBDA_DOCS}/with-sqs.html#events-sqs-permissions",
        f"{LAMBDA_DOCS}/with-ddb.html",
        f"{LAMBDA_DOCS}/configuration-vpc.html#configuration-vpc-permissions",
    ),
    impact=(
        "Deployment Blocker: Lambda validates the role when the mapping or VPC config is created",
        "Runtime Failure: Messages are never consumed",
    ),
    fix_minutes=5,
    needs="terraform",
)
def execution_role_missing_trigger_permissions(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: an `aws_lambda_event_source_mapping` from an SQS queue, DynamoDB stream or
    Kinesis stream whose function's role is not allowed the actions that source needs
    (`sqs:ReceiveMessage`, `sqs:DeleteMessage`, `sqs:GetQueueAttributes`, ...), and a function
    with `vpc_config` whose role cannot manage network interfaces. The role's grants are read
    from inline policies, role policies, attached customer policies, policy documents and the
    AWS managed Lambda policies; when one of them cannot be read, nothing is concluded.

    Why it matters: Lambda checks the role when the mapping or VPC config is created:
    "InvalidParameterValueException: The provided execution role does not have permissions to
    call ReceiveMessage on SQS".

    Bad: an SQS-triggered function whose role only has `AWSLambdaBasicExecutionRole`.

    Good: attach `service-role/AWSLambdaSQSQueueExecutionRole`, or allow the three SQS actions
    on the queue's ARN.

    References: Lambda with SQS, with DynamoDB, and VPC permissions.
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
            if fn.blocks("vpc_config") and any(b.get("subnet_ids") for b in fn.blocks("vpc_config")):
                hit = _missing(ctx, stack, fn, VPC_ACTIONS, "its `vpc_config`", fn)
                if hit:
                    yield hit


def _one(stack: Stack, value: Any, rtype: str) -> Resource | None:
    return next(
        (stack.resource(a) for a in sorted(stack.references(value)) if a.startswith(rtype + ".")), None
    )


def _missing(
    ctx: GradeContext, stack: Stack, fn: Resource, needed: tuple[str, ...], what: str, at: Resource
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
        attr="vpc_config" if at is fn else None,
        error=(
            "InvalidParameterValueException: The provided execution role does not have permissions to call "
            f"{action} on {service.upper()}"
        ),
    )
