"""cfn-lint run in this process: its rules load once, each template is decoded and linted.

cfn-lint takes most of a second to load its rules and resource schemas; building them once per
process and passing the same rule objects to every template keeps a template's cost to the
linting itself. Only the region the template deploys to is checked (schemas differ per region;
checking all of them multiplies the cost for errors the deployment never meets). The checks in
`data/cfn_lint.toml` `[skip]` are not run at all, each for the reason written there.
"""

from __future__ import annotations

import importlib.metadata
import logging
import threading
import tomllib
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

from iacgrade.harness.core.synth import Diagnostic

TOOL = "cfn-lint"
DEFAULT_REGION = "us-east-1"
# cfn-lint's pseudo-rule for a template that does not decode (YAML or JSON syntax, duplicate keys).
PARSE_ERROR = "E0000"
_LEVELS = {"error": "error", "warning": "warning", "informational": "info"}
_lock = threading.Lock()


def settings() -> dict[str, Any]:
    text = (
        resources.files("iacgrade.harness.platforms.cfn")
        .joinpath("data", "cfn_lint.toml")
        .read_text(encoding="utf-8")
    )
    return tomllib.loads(text)


def skipped_checks() -> tuple[str, ...]:
    return tuple(sorted(settings().get("skip", {})))


def version() -> str:
    try:
        return importlib.metadata.version("cfn-lint")
    except importlib.metadata.PackageNotFoundError:
        return "absent"


@cache
def _rules() -> Any:
    # Imported here: loading cfn-lint costs most of a second, which only linting should pay.
    logging.getLogger("cfnlint").setLevel(logging.ERROR)
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    return Runner(ConfigMixIn(regions=[DEFAULT_REGION])).rules


@cache
def _config(region: str, skip: tuple[str, ...]) -> Any:
    from cfnlint.config import ConfigMixIn

    return ConfigMixIn(regions=[region], ignore_checks=list(skip))


def warm() -> None:
    """Load cfn-lint's rules and schemas now (a batch worker does it before its first answer)."""
    _rules()


def decode(text: str) -> tuple[Any, list[Diagnostic]]:
    """The template with its line marks, or the parse errors (cfn-lint's E0000) at their lines."""
    from cfnlint.decode.decode import decode_str

    template, matches = decode_str(text)
    return template, [_diagnostic(m, "") for m in matches]


def lint(path: str, text: str, region: str = DEFAULT_REGION) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """(findings, parse errors) of one template: the parse errors alone when it does not decode."""
    from cfnlint.runner import run_template_by_data

    template, errors = decode(text)
    if errors or not isinstance(template, dict):
        errors = errors or [Diagnostic(tool=TOOL, code=PARSE_ERROR, level="error", message="not a mapping")]
        return [], [e.model_copy(update={"file": path}) for e in errors]
    without_directives(template)
    rules = _rules()
    # cfn-lint's rule objects keep per-template state while they run: one template at a time.
    with _lock:
        matches = list(
            run_template_by_data(template, _config(region or DEFAULT_REGION, skipped_checks()), rules)
        )
    found = [_diagnostic(m, path) for m in matches]
    return sorted(found, key=lambda d: (d.line, d.code)), []


# The Metadata key under which a template tells cfn-lint which of its checks to skip.
DIRECTIVES = "cfn-lint"


def without_directives(template: dict[str, Any]) -> None:
    """Drop the `Metadata: cfn-lint:` blocks (`config: ignore_checks`) of the template and its
    resources: an answer must not decide which checks judge it (a model would learn to write
    them). Only the task's reviewer or the run's --ignore sets a finding aside."""
    holders = [template, *(r for r in (template.get("Resources") or {}).values() if isinstance(r, dict))]
    for holder in holders:
        metadata = holder.get("Metadata")
        if isinstance(metadata, dict):
            metadata.pop(DIRECTIVES, None)


def _diagnostic(match: Any, path: str) -> Diagnostic:
    rule = match.rule
    where: Sequence[Any] = getattr(match, "path", None) or ()
    address = str(where[1]) if len(where) > 1 and where[0] == "Resources" else ""
    return Diagnostic(
        tool=TOOL,
        code=str(rule.id),
        level=_LEVELS.get(str(getattr(rule, "severity", "error")).lower(), "error"),
        message=str(match.message),
        file=path,
        line=int(match.linenumber or 0),
        end_line=int(match.linenumberend or 0),
        address=address,
        detail={
            "path": "/".join(str(p) for p in where),
            "title": str(getattr(rule, "shortdesc", "")),
            "docs": str(getattr(rule, "source_url", "")),
        },
    )
