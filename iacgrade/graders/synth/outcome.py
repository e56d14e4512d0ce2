"""SYN: the synthesis outcome of an answer."""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import Hit, rule
from iacgrade.graders.synth.causes import CAUSES, called_name, classify
from iacgrade.graders.synth.environment_causes import environment_cause
from iacgrade.harness.core.findings import Category, ErrorKind, Location, Severity
from iacgrade.harness.core.synth import SynthStatus
from iacgrade.harness.platforms.cdktf_python.locate import Span, anchor_in, find_def, quote, statement_span
from iacgrade.harness.platforms.cdktf_python.pysource import find_truncation

SYNTH_DOCS = (
    "https://developer.hashicorp.com/terraform/cdktf/cli-reference/commands#synth",
    "https://developer.hashicorp.com/terraform/cdktf/concepts/stacks",
)
TAIL_LINES = 6  # lines of a cut-off text quoted as evidence, ending at the cut


@rule(
    id="SYN001",
    name="app-does-not-synthesize",
    title="The app does not synthesize",
    severity=Severity.CRITICAL,
    category=Category.API_CONSISTENCY,
    rationale="The answer's own entry point raises (or hangs, or dies) before any Terraform is written.",
    docs=SYNTH_DOCS,
    impact=(
        "Deployment Blocker: Prevents synthesis entirely (exit code 1)",
        "CI/CD Failure: Blocks all automated deployments",
        "Training Quality Impact: Severe - nothing can be tested or deployed until it is fixed",
    ),
    fix_minutes=10,
    needs="synth",
    # 2: a stop on AWS, the network, pip or a build output of the task is ENV001's, not this rule's.
    # 3: a method's signature mismatch quotes that method; a name missing from an existing module
    # is missing-name; only submodules of the AWS provider are provider-missing-module.
    version=3,
)
def app_does_not_synthesize(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: an answer whose own entry point fails to synthesize: it raises, runs past its
    time limit, kills its process, or ends without synthesizing a stack. The cause is classified
    (import of a name the provider lacks, unknown keyword, signature mismatch between the answer's
    own files, jsii type error, syntax error, name/attribute error, an AWS SDK call the SDK itself
    refuses, timeout) and the culprit line is quoted. A stop on what the sandbox does not give
    (AWS credentials or network, `pip install`, a build output the task's own steps make) is
    ENV001's, not this rule's.

    Why it matters: `cdktf synth` is the first thing a pipeline runs; an app that does not
    synthesize cannot be planned, tested or deployed. Later rules still run on a best-effort
    synth (the scaffold entry point, or each stack built with only `(scope, id)`), so the other
    failures stay visible.

    Bad: `tap.py` calls `TapStack(app, name, environment_suffix=...)` while `lib/tap_stack.py`
    declares `def __init__(self, scope, id)` -> `TypeError: ... unexpected keyword argument`.

    Good: the constructor accepts what its caller passes, and `python tap.py` writes
    `cdktf.out/stacks/<stack>/cdk.tf.json`.

    References: CDKTF `synth` command and stacks documentation.
    """
    synth = ctx.synth
    if synth is None or synth.status is SynthStatus.OK:
        return
    if environment_cause(synth, ctx.workspace.files, ctx.workspace.docs) is not None:
        return  # the environment's gap, not the answer's error: ENV001 reports it
    cause = classify(synth, _defined_names(ctx))
    span = _culprit(ctx)
    error = f"{synth.error_type}: {synth.message}".strip(": ") if synth.error_type else synth.message
    where = f" at {span.path}:{span.start}" if span else ""
    fix_anchor = anchor_in(ctx.trees, span) if span else ""
    evidence = quote(ctx.workspace.files, span) if span else ""
    message = f"Synthesis failed{where}: `{_first_line(error)}`."
    if cause.kind == "signature-mismatch" and (called := called_name(synth.message)):
        # A method is looked up in its class (`TapStack._create_vpc`), a constructor as its class's
        # `__init__`; of a nested class only the innermost class is kept, as `find_def` looks it up.
        fix_anchor = "def:" + ".".join(called.split(".")[-2:])
        owner = called.removesuffix(".__init__")
        definition = find_def(ctx.trees, fix_anchor[4:])
        if definition is not None:
            # The seed shows both sides of the mismatch: the definition and the call.
            evidence = (
                f"# {definition.path}:{definition.start}\n{quote(ctx.workspace.files, definition)}\n\n"
                f"# {span.path}:{span.start}\n{evidence}"
                if span
                else quote(ctx.workspace.files, definition)
            )
            message = (
                f"`{owner}` is defined at {definition.path}:{definition.start} with a signature that does "
                f"not accept what its caller passes{where}, so synthesis stops: `{_first_line(error)}`."
            )
    yield Hit(
        title=cause.title,
        category=cause.category,
        message=message,
        location=Location(path=span.path, line=span.start, end_line=span.end)
        if span
        else Location(path=ctx.workspace.entry),
        anchor="synth",
        fix_anchor=fix_anchor,
        evidence=evidence,
        error=_error_text(synth.error_type, synth.message, synth.output_tail, synth.status),
        error_kind=ErrorKind.OBSERVED,
        root_cause=_root_cause(cause.kind, synth.message),
    )


@rule(
    id="SYN002",
    name="answer-without-code",
    title="The answer contains no code",
    severity=Severity.CRITICAL,
    category=Category.PRODUCTION_READINESS,
    rationale="The answer describes infrastructure in prose but gives no Python code to synthesize.",
    impact=("Deployment Blocker: There is nothing to synthesize or deploy",),
    fix_minutes=60,
    needs="always",
)
def answer_without_code(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: an answer with no Python code block that names or implies a file, so no
    project can be built from it. Excerpts (lines quoted from a file, a list of imports) are not
    files; a block cut off mid-statement is (SYN003 flags the cut), and so is a whole module under
    a heading that mentions its path (`### Complete Stack (tap_stack.py)`).

    Why it matters: the task asks for runnable infrastructure code; a description of it cannot be
    synthesized, tested or deployed.

    Bad: a markdown answer listing the resources it would create, with no ```python block.

    Good: the answer gives `lib/tap_stack.py` (and its entry point) as code.

    References: the task's prompt.
    """
    if ctx.side == "model" and not ctx.workspace.has_code:
        yield Hit(message="The answer has no Python code: nothing can be synthesized.", anchor="no-code")


@rule(
    id="SYN003",
    name="answer-code-truncated",
    title="The answer's code is cut off mid-statement",
    severity=Severity.CRITICAL,
    category=Category.PRODUCTION_READINESS,
    rationale=(
        "The answer stops in the middle of a statement: the code after the cut (the rest of the stack, "
        "its outputs, the app's synth call) was never written."
    ),
    docs=(
        "https://docs.python.org/3/reference/lexical_analysis.html#line-structure",
        *SYNTH_DOCS,
    ),
    impact=(
        "Deployment Blocker: the file does not parse as written; only the statements before the cut "
        "can be synthesized",
        "Training Quality Impact: Severe - the answer is unfinished",
    ),
    fix_minutes=30,
    needs="source",
    keywords=("truncated", "cut off", "ends abruptly", "unfinished"),
)
def answer_code_truncated(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a Python file of the answer whose text stops mid-statement (an unclosed call
    or bracket, an unterminated string, a block header with no body) and would parse if only it
    went on: the answer ran out before its code did. One hit per such file, at the line where the
    text stops; the evidence is the text's last lines.

    Why it matters: everything after the cut is missing, and the file as written is a syntax
    error. The workspace keeps the whole statements before the cut, so the other rules still see
    what was written, but the answer cannot be used as it is.

    Bad: `lib/tap_stack.py` ends with `bucket = S3Bucket(self, "logs",` and nothing after it.

    Good: every file ends where its last statement does, and the last fenced block of the answer
    is closed.

    References: the Python language reference (line structure); CDKTF `synth`.
    """
    for path, line, tail in _truncations(ctx):
        yield Hit(
            message=f"the answer's code is truncated at `{path}:{line}`",
            location=Location(path=path, line=line),
            anchor=f"truncated:{path}",
            evidence=tail,
        )


def _truncations(ctx: GradeContext) -> Iterator[tuple[str, int, str]]:
    """(path, line where the text stops, its last lines as written) for each cut-off file."""
    ws = ctx.workspace
    if ws.extraction is not None:
        # Extraction already decided (it only cuts the answer's last block) and kept the text.
        written = ws.extraction.by_path()
        for path, line in sorted(ws.truncated.items()):
            found = written.get(path)
            yield path, line, _tail(found.original if found else ws.files.get(path, ""), line)
        return
    # Files that were never Markdown (a reference tree) are read as they are.
    for path, text in sorted(ctx.source.items()):
        cut = find_truncation(text)
        if cut is not None:
            yield path, cut.line, _tail(text, cut.line)


def _tail(text: str, line: int) -> str:
    rows = text.splitlines()[max(line - TAIL_LINES, 0) : line]
    return textwrap.dedent("\n".join(rows))


def _defined_names(ctx: GradeContext) -> set[str]:
    names: set[str] = set()
    for tree in ctx.trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef | ast.FunctionDef):
                names.add(node.name)
    return names


def _culprit(ctx: GradeContext) -> Span | None:
    frame = ctx.synth.frame if ctx.synth else None
    if frame is None or frame.file not in ctx.workspace.files:
        return None
    tree = ctx.trees.get(frame.file)
    if tree is None:
        return Span(frame.file, frame.line, frame.line)
    return statement_span(tree, frame.file, frame.line)


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 200 else line[:197] + "..."


def _error_text(etype: str, message: str, tail: str, status: SynthStatus) -> str:
    if status is SynthStatus.TIMEOUT:
        return f"timeout: {message}".strip()
    if status is SynthStatus.CRASHED:
        return f"worker crashed: {message}\n{tail[-600:]}".strip()
    text = f"{etype}: {message}" if etype else message
    rows = text.strip().splitlines()
    return "\n".join(rows[:12])


def _root_cause(kind: str, message: str) -> str:
    base = CAUSES[kind].explanation
    if kind == "provider-missing-name" and "A'" not in message:
        return base + " In provider v6 (cdktf-cdktf-provider-aws 21.x) several classes carry an `A` suffix."
    return base
