"""CFN: Lambda functions whose inline code (`Code.ZipFile`) does not hold the handler they name.

cfn-lint checks that a zip-packaged function has a `Handler` and a runtime that takes inline code;
it does not read the code. CloudFormation writes `ZipFile` to `index.py` (`index.js` for Node.js),
so the handler must be `index.<function>` and the code must define that function.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import Hit, rule
from iacgrade.graders.sites import resource_hit
from iacgrade.graders.terraform_model import is_token
from iacgrade.harness.core.findings import Category, Severity
from iacgrade.harness.platforms.names import CFN

ZIPFILE_DOCS = (
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-function-code.html",
    "https://docs.aws.amazon.com/lambda/latest/dg/python-handler.html",
)
# The module CloudFormation writes inline code to (the Code.ZipFile documentation).
INLINE_MODULE = "index"


def _defines(code: str, runtime: str, name: str) -> bool | None:
    """Whether inline code defines the handler function `name`; None: the runtime is not one whose
    code is read here."""
    word = re.escape(name)
    if runtime.startswith("python"):
        return bool(re.search(rf"^\s*(?:async\s+)?def\s+{word}\s*\(|^{word}\s*=", code, re.MULTILINE))
    if runtime.startswith("nodejs"):
        # Any mention of the name: exports take too many shapes to read more closely.
        return bool(re.search(rf"\b{word}\b", code))
    return None


@rule(
    id="CFN004",
    name="inline-handler-not-defined",
    title="The Lambda handler is not in its inline code",
    # High, not Critical: the stack deploys (CloudFormation never runs the code); the function
    # fails when it is called.
    severity=Severity.HIGH,
    category=Category.API_CONSISTENCY,
    rationale=(
        "The function's Handler names a module or function its inline ZipFile code does not have, "
        "so every invocation fails."
    ),
    docs=ZIPFILE_DOCS,
    impact=(
        "Integration Failure: Every invocation fails with Runtime.ImportModuleError or HandlerNotFound",
        "Deployment Risk: A custom resource backed by the function never answers and its stack waits",
    ),
    fix_minutes=2,
    needs="terraform",
    # 2: High rather than Critical.
    version=2,
    platforms=(CFN,),
)
def inline_handler_not_defined(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: an `AWS::Lambda::Function` with inline code (`Code.ZipFile`) whose `Handler`
    names a module other than `index` (CloudFormation writes inline code to `index.py` or
    `index.js`), or a function the code does not define (Python: no `def <name>`; Node.js: the
    name does not appear). Code built with functions (`Fn::Join` of parts) is not read.

    Why it matters: Lambda imports the handler's module and looks the function up at every
    invocation; a wrong name fails every call, and a custom resource backed by the function
    leaves its stack waiting for an answer that never comes.

    Bad: `Handler: lambda_function.lambda_handler` with `ZipFile: "def handler(event, context): ..."`.

    Good: `Handler: index.handler` with `def handler(event, context):` in the ZipFile.

    References: AWS::Lambda::Function Code (ZipFile); Lambda handlers in Python.
    """
    for stack, res in ctx.tf.resources("aws_lambda_function"):
        code = next((b.get("zip_file") for b in res.blocks("code")), None)
        handler, runtime = stack.literal(res, "handler"), stack.literal(res, "runtime")
        if not (isinstance(code, str) and isinstance(handler, str) and isinstance(runtime, str)):
            continue
        if any(not v or is_token(v) for v in (code, handler, runtime)):
            continue
        module, _, function = handler.rpartition(".")
        if module != INLINE_MODULE and _defines(code, runtime, function) is not None:
            yield resource_hit(
                ctx,
                res,
                f"`{res.construct_id}` has inline code, which CloudFormation writes to `{INLINE_MODULE}`, "
                f"but its handler `{handler}` names the module `{module}`.",
                attr="handler",
                error=f"Runtime.ImportModuleError: Unable to import module '{module}'",
            )
        elif _defines(code, runtime, function) is False:
            yield resource_hit(
                ctx,
                res,
                f"`{res.construct_id}` names the handler `{handler}`, but its inline code defines no "
                f"`{function}`.",
                attr="handler",
                error=f"Runtime.HandlerNotFound: {handler} is undefined or not exported",
            )
