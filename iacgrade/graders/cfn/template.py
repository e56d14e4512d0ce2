"""CFN: a CloudFormation answer's template: whether there is one, whether it parses, and what
cfn-lint says of it (run in process by the platform's synth step, iacgrade/harness/platforms/cfn/lint.py).

cfn-lint's findings keep its own id (`CFN:E3012`); their severity and category come from
`data/cfn_lint_severity.toml`, by class (E, W, I) with per-check overrides and drops.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import Hit, rule
from iacgrade.harness.core.findings import Category, ErrorKind, Location, Severity
from iacgrade.harness.core.source import Span, quote
from iacgrade.harness.core.synth import Diagnostic, SynthStatus
from iacgrade.harness.platforms.cfn.synth_plan import PARSE_ERROR_TYPE
from iacgrade.harness.platforms.names import CFN

CFN_DOCS = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-anatomy.html"
CFN_LINT_DOCS = "https://github.com/aws-cloudformation/cfn-lint/blob/main/docs/rules.md"


@cache
def severity_table() -> dict[str, Any]:
    text = (
        resources.files("iacgrade.graders.cfn")
        .joinpath("data", "cfn_lint_severity.toml")
        .read_text(encoding="utf-8")
    )
    return tomllib.loads(text)


def graded(code: str, message: str = "") -> tuple[Severity, Category] | None:
    """A cfn-lint check's severity and category, None when its findings (or this message of
    them) are dropped."""
    table = severity_table()
    if code in table.get("drop", {}):
        return None
    if any(part in message for part in table.get("drop_messages", {}).get(code, {}).get("containing", ())):
        return None
    override = table.get("overrides", {}).get(code, {})
    severity = override.get("severity") or table["classes"].get(code[:1])
    if severity is None:
        return None
    category = override.get("category") or table["categories"].get(
        code[1:2], Category.PARAMETER_VALIDATION.value
    )
    return Severity(severity), Category(category)


@rule(
    id="CFN001",
    name="answer-without-template",
    title="The answer holds no CloudFormation template",
    severity=Severity.CRITICAL,
    category=Category.API_CONSISTENCY,
    rationale="The answer describes a stack but gives no template with a Resources section to deploy.",
    docs=(CFN_DOCS,),
    impact=(
        "Deployment Blocker: There is nothing to deploy",
        "Training Quality Impact: Severe - the answer cannot be validated or tested",
    ),
    fix_minutes=60,
    needs="answer",
    platforms=(CFN,),
)
def answer_without_template(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a CloudFormation answer in which no fenced block (YAML, JSON or untagged)
    and no bare text holds a template: a top-level `Resources` section. Prose that describes the
    stack, fragments of a template (`Resources:` indented under something else) and other files
    (parameter files, scripts) do not count.

    Why it matters: CloudFormation deploys a template; an answer without one has nothing to
    validate, deploy or test.

    Bad: an answer that lists the resources it "would create" in bullet points.

    Good: the whole template in one ```yaml block, from `AWSTemplateFormatVersion` to `Outputs`.

    References: CloudFormation template anatomy.
    """
    if ctx.workspace.has_code:
        return
    yield Hit(
        message="No block of the answer holds a CloudFormation template (a top-level `Resources` section).",
        anchor="no-template",
        error_kind=ErrorKind.OBSERVED,
    )


@rule(
    id="CFN002",
    name="template-does-not-parse",
    title="The template does not parse",
    severity=Severity.CRITICAL,
    category=Category.API_CONSISTENCY,
    rationale="The template is not valid YAML or JSON (or repeats a key): CloudFormation rejects it.",
    docs=(CFN_DOCS,),
    impact=(
        "Deployment Blocker: CloudFormation rejects the template before creating anything",
        "CI/CD Failure: validate-template and cfn-lint fail",
    ),
    fix_minutes=10,
    needs="synth",
    platforms=(CFN,),
)
def template_does_not_parse(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a template that does not decode as YAML or JSON (a bad indent, an unclosed
    quote, a tab, a text cut off mid-template) or that repeats a key in one mapping, at the line
    cfn-lint's parser stops at (its `E0000`).

    Why it matters: CloudFormation parses the whole template before it creates anything; one
    syntax error stops the stack.

    Bad: `Properties:` followed by a line indented with a tab; two `Type:` keys in one resource.

    Good: spaces only, one key each, the template whole.

    References: CloudFormation template anatomy; YAML 1.1.
    """
    synth = ctx.synth
    if synth is None or synth.status is not SynthStatus.ERROR or synth.error_type != PARSE_ERROR_TYPE:
        return
    for d in synth.diagnostics[:1]:
        span = Span(d.file, max(d.line, 1), max(d.end_line, d.line, 1))
        yield Hit(
            message=f"`{d.file}` does not parse at line {d.line}: {d.message}",
            location=Location(
                path=d.file, line=span.start, end_line=span.end if span.end != span.start else None
            ),
            anchor=f"parse:{d.file}",
            evidence=quote(ctx.workspace.files, Span(d.file, max(span.start - 2, 1), span.start)),
            error=d.message,
            error_kind=ErrorKind.OBSERVED,
        )


@rule(
    id="CFN003",
    name="cfn-lint-check-failed",
    title="cfn-lint check failed",
    severity=Severity.CRITICAL,
    category=Category.PARAMETER_VALIDATION,
    rationale="The template breaks a CloudFormation resource schema or a rule cfn-lint checks.",
    docs=(CFN_LINT_DOCS,),
    impact=(
        "Deployment Blocker: CloudFormation or the resource's service rejects the value",
        "Training Quality Impact: The model does not know the resource's schema",
    ),
    fix_minutes=5,
    needs="synth",
    runs_checks=True,
    platforms=(CFN,),
    version=2,
)
def cfn_lint_check_failed(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: each finding of cfn-lint (run in process on the template, for the region
    it deploys to) that our table grades (iacgrade/graders/cfn/data/cfn_lint_severity.toml): errors
    (`E`: unknown properties, wrong types, values a schema does not allow, references to what
    the template does not declare) are Critical, warnings (`W`) Medium, informational notes Low,
    with per-check overrides. Each finding carries cfn-lint's own id (`CFN:E3012`) and quotes the
    template lines it names. cfn-lint's checks judged at today's date (runtime and engine
    deprecations) are not run: AWS019 and AWS002 judge those at the task's date.

    Why it matters: an error here is a stack that fails to create or rolls back; CloudFormation
    validates the same schemas when it creates the resource.

    Bad: `BucketName: !Ref Bucket` on a property that takes a string pattern the value breaks;
    `MaxAllocatedStorage` on an Aurora instance; an `Fn::GetAtt` of an attribute the type lacks.

    Good: what the resource type's schema allows, in its types.

    References: the cfn-lint rule index; the CloudFormation resource type reference.
    """
    synth = ctx.synth
    if synth is None or synth.status is not SynthStatus.OK:
        return
    seen: set[tuple[str, str, int]] = set()
    for d in synth.diagnostics:
        if d.tool != "cfn-lint":
            continue
        grade = graded(d.code, d.message)
        # One finding per check and place: cfn-lint reports a value once per schema keyword it
        # breaks (the name pattern, then the length pattern), which is one mistake.
        if grade is None or (d.code, d.address, d.line) in seen:
            continue
        seen.add((d.code, d.address, d.line))
        yield _lint_hit(ctx, d, *grade)


def _lint_hit(ctx: GradeContext, d: Diagnostic, severity: Severity, category: Category) -> Hit:
    start = max(d.line, 1)
    end = max(d.end_line, start)
    span = Span(d.file, start, end)
    title = d.detail.get("title") or "cfn-lint check failed"
    docs = d.detail.get("docs")
    where = f"`{d.address}`" if d.address else f"`{d.detail.get('path') or d.file}`"
    return Hit(
        check=d.code,
        check_name=title,
        title=f"{title} ({d.code})",
        severity=severity,
        category=category,
        message=f"cfn-lint {d.code} on {where}: {d.message}",
        location=Location(
            path=d.file, line=start, end_line=end if end != start else None, address=d.address or None
        ),
        anchor=f"cfn-lint:{d.code}:{d.address or d.detail.get('path', '')}",
        fix_anchor=f"resource:{d.address}" if d.address else "",
        evidence=quote(ctx.workspace.files, span),
        error=d.message,
        docs=(docs, CFN_LINT_DOCS) if docs else None,
    )
