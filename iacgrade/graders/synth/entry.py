"""SYN005-SYN006: the task's entry contract.

The project that deploys an answer runs its own standard `tap.py`: it reads the deployment
settings from the environment and builds the stack class with them
(`TapStack(app, f"TapStack{suffix}", environment_suffix=..., state_bucket=..., ...)`). An answer
that ships an entry point of its own may synthesize with it and still fail there; and an entry that
passes none of those settings deploys every environment to the same names.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import Hit, rule
from iacgrade.harness.core.findings import Category, ErrorKind, Location, Severity
from iacgrade.harness.platforms.cdktf_python.locate import statement_span

# The keyword arguments the standard entry passes, and the names answers use for the same setting.
STANDARD_SETTINGS: dict[str, tuple[str, ...]] = {
    "environment_suffix": ("environment_suffix", "environment", "env", "suffix", "env_suffix"),
    "state_bucket": ("state_bucket", "state_bucket_name", "backend_bucket"),
    "state_bucket_region": ("state_bucket_region", "backend_region"),
    "aws_region": ("aws_region", "region", "primary_region"),
    "default_tags": ("default_tags", "tags", "common_tags"),
}
CONTRACT_DOCS = (
    "https://developer.hashicorp.com/terraform/cdktf/concepts/stacks",
    "https://developer.hashicorp.com/terraform/cdktf/create-and-deploy/project-setup",
)
_INIT_MISMATCH = re.compile(r"(\w+)\.__init__\(\) (got an unexpected keyword argument|missing \d+ required)")


@rule(
    id="SYN005",
    name="standard-entry-cannot-build-stack",
    title="Missing constructor parameters: the project's tap.py cannot build the stack",
    severity=Severity.CRITICAL,
    category=Category.API_CONSISTENCY,
    rationale=(
        "The deployment runs the project's standard tap.py, which builds the stack class with the "
        "standard settings. A class that does not accept them fails there with a TypeError, even "
        "when the answer's own entry point synthesizes: Critical."
    ),
    docs=CONTRACT_DOCS,
    impact=(
        "Deployment Blocker: the pipeline's `cdktf synth` stops with a TypeError (exit code 1)",
        "CI/CD Failure: the answer only works with its own entry point",
        "Training Quality Impact: Severe - the answer ignores the project it was written for",
    ),
    fix_minutes=5,
    needs="synth",
)
def standard_entry_cannot_build_stack(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: an answer that ships its own entry point (`tap.py`, `main.py`, `bin/app.py`)
    whose stack class the project's standard `tap.py` cannot construct: the class does not accept
    `environment_suffix`, `state_bucket`, `state_bucket_region`, `aws_region` and `default_tags`
    (or passes them on to `TerraformStack`, which does not either).

    Why it matters: the pipeline deploys with the standard entry point, not the answer's; there
    `TapStack(...)` raises `TypeError` before anything is synthesized.

    Bad: `def __init__(self, scope, id):` with `TapStack(app, "tap")` in the answer's own tap.py.

    Good: `def __init__(self, scope, stack_id, environment_suffix=None, state_bucket=None,
    state_bucket_region=None, aws_region=None, default_tags=None):`.

    References: CDKTF stacks; project setup.
    """
    synth, ws = ctx.synth, ctx.workspace
    if synth is None or ws.entry_source != "answer" or not ws.stack_class:
        return
    standard = synth.standard_entry()
    if standard is None or standard.status.value == "ok":
        return
    if synth.frame and synth.message == standard.message:
        return  # the answer's own entry fails the same way: SYN001 says so
    error = f"{standard.error_type}: {standard.message}"
    mismatch = _INIT_MISMATCH.search(standard.message)
    if mismatch is not None:
        cls = ws.stack_class if mismatch.group(1) == "TerraformStack" else mismatch.group(1)
        path, start, end = _class_init(ctx, cls)
        what = f"cannot build `{cls}` with the standard settings"
    elif standard.error_type in ("ImportError", "ModuleNotFoundError"):
        frame = standard.frame
        path, start, end = (frame.file, frame.line, frame.line) if frame else (None, None, None)
        what = "cannot import the stack it builds"
    else:
        return  # anything else fails the answer's own entry too, or is not about the contract
    if path is not None and path.startswith("standard-entry/"):
        path, start, end = ws.entry, None, None  # the task's file: point at the answer's own entry
    own = (
        f"The answer's own entry point `{ws.entry}` synthesizes, but the task's standard tap.py"
        if synth.ok
        else f"Besides the answer's own entry point `{ws.entry}`, the task's standard tap.py"
    )
    yield Hit(
        message=f"{own} {what}: `{error}`.",
        location=Location(path=path, line=start, end_line=end if end and end != start else None),
        anchor=f"contract:{ws.stack_class}",
        evidence=ctx.lines(path, start, end) if path and start else "",
        error=error,
        error_kind=ErrorKind.OBSERVED,  # the standard entry was run on the answer's stack class
    )


@rule(
    id="SYN006",
    name="entry-drops-standard-settings",
    title="Simplified tap.py: the entry point drops the deployment settings",
    severity=Severity.HIGH,
    category=Category.PRODUCTION_READINESS,
    rationale=(
        "An entry point that builds the stack without the environment suffix and the other "
        "deployment settings deploys every environment under the same names and with no state or "
        "tag settings: it works once, then collides. High."
    ),
    docs=CONTRACT_DOCS,
    impact=(
        "Multi-Environment Support: cannot deploy to different environments without code changes",
        "Tracking/Auditing: no metadata tags for who deployed what",
        "Resource Naming: stacks and resources collide across environments",
    ),
    fix_minutes=15,
    needs="source",
)
def entry_drops_standard_settings(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: the answer's own entry point builds its stack class without passing the
    environment suffix (and says which of the other standard settings - state bucket and its
    region, AWS region, default tags - it drops too), and does not read `ENVIRONMENT_SUFFIX`.

    Why it matters: the suffix is what keeps a PR environment apart from production; without it
    every deployment targets the same stack and resource names.

    Bad: `TapStack(app, "tap")`

    Good: `TapStack(app, f"TapStack{environment_suffix}", environment_suffix=environment_suffix,
    state_bucket=..., state_bucket_region=..., aws_region=..., default_tags=...)`

    References: CDKTF stacks; project setup.
    """
    ws = ctx.workspace
    if ws.entry_source != "answer" or not ws.stack_class or ws.entry not in ctx.trees:
        return
    text = ws.files.get(ws.entry, "")
    if "ENVIRONMENT_SUFFIX" in text:
        return
    tree = ctx.trees[ws.entry]
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _called(node) == ws.stack_class):
            continue
        passed = {k.arg for k in node.keywords if k.arg}
        if any(k.arg is None for k in node.keywords):
            continue  # **settings: cannot tell what reaches the class
        dropped = [name for name, aliases in STANDARD_SETTINGS.items() if not passed & set(aliases)]
        if "environment_suffix" not in dropped:
            continue
        span = statement_span(tree, ws.entry, node.lineno)
        yield Hit(
            message=(
                f"`{ws.entry}` builds `{ws.stack_class}` without "
                + ", ".join(f"`{d}`" for d in dropped)
                + " and never reads `ENVIRONMENT_SUFFIX`: every environment deploys to the same names."
            ),
            location=Location(
                path=ws.entry, line=span.start, end_line=span.end if span.end != span.start else None
            ),
            anchor=f"entry:{ws.entry}",
            evidence=ctx.lines(ws.entry, span.start, span.end),
        )


def _called(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def _class_init(ctx: GradeContext, cls: str) -> tuple[str | None, int | None, int | None]:
    """Where the stack class's `__init__` signature is (else the class line)."""
    for path, tree in sorted(ctx.trees.items()):
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name == cls:
                init = next(
                    (n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None
                )
                target = init or node
                end = target.body[0].lineno - 1 if init is not None and target.body else target.lineno
                return path, target.lineno, max(end, target.lineno)
    return None, None, None
