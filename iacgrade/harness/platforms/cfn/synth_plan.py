"""A template's "synth": cfn-lint run on it in this process, and the template mapped into the
Terraform model the AWS and security rules read. No sandbox is asked: nothing of the answer runs.

A template that does not decode is the synth failure (status ERROR), at the line cfn-lint's
parser names; a template that decodes is OK whatever cfn-lint says of it, its findings carried
as diagnostics for the CFN rule family.
"""

from __future__ import annotations

import time
from functools import partial

from iacgrade.harness.core.synth import Frame, SynthRequest, SynthResult, SynthStatus
from iacgrade.harness.core.workspace import Workspace
from iacgrade.harness.platforms.base import InProcessSynth, SynthSettings
from iacgrade.harness.platforms.cfn import lint
from iacgrade.harness.platforms.cfn.mapping import to_terraform
from iacgrade.harness.platforms.cfn.templates import templates_of

PARSE_ERROR_TYPE = "TemplateParseError"


def lint_and_map(ws: Workspace, region: str) -> SynthResult:
    """Every template of `ws` linted and mapped; the first that does not decode is the error."""
    start = time.perf_counter()
    diagnostics = []
    stacks = {}
    for path in templates_of(ws):
        text = ws.files[path]
        found, errors = lint.lint(path, text, region)
        if errors:
            first = errors[0]
            return SynthResult(
                status=SynthStatus.ERROR,
                strategy="cfn-lint",
                error_type=PARSE_ERROR_TYPE,
                message=f"{path} does not parse: {first.message}",
                frame=Frame(file=path, line=first.line or 1, code=_line(text, first.line)),
                diagnostics=errors,
                seconds=round(time.perf_counter() - start, 3),
                worker="in-process",
            )
        diagnostics.extend(found)
        template, _ = lint.decode(text)
        stacks[_stack_name(path)] = to_terraform(template, path, region)
    return SynthResult(
        status=SynthStatus.OK,
        strategy="cfn-lint",
        stacks=stacks,
        stacks_strategy="template",
        diagnostics=diagnostics,
        seconds=round(time.perf_counter() - start, 3),
        worker="in-process",
    )


def plan_synth(ws: Workspace, settings: SynthSettings) -> InProcessSynth:
    region = settings.env.get("AWS_REGION") or lint.DEFAULT_REGION
    request = SynthRequest(
        id=f"{ws.task_id}:{ws.side}", files=dict(ws.files), entry=ws.entry, env=settings.env
    )
    return InProcessSynth(request, partial(lint_and_map, ws, region))


def _stack_name(path: str) -> str:
    return path.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def _line(text: str, line: int) -> str:
    rows = text.splitlines()
    return rows[line - 1].strip() if 0 < line <= len(rows) else ""
