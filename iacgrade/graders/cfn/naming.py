"""CFN: resources whose own physical name is fixed while the stack takes an environment suffix.

cfn-lint checks a name's pattern and length, not whether two deployments of the template can
coexist. A template that declares the suffix parameter (`EnvironmentSuffix`, the archive's
convention) or whose prompt asks for one is deployed once per environment; a resource named by a
plain literal there is created under the same name by every deployment.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from iacgrade.graders.constraints import load
from iacgrade.graders.context import GradeContext
from iacgrade.graders.registry import Hit, rule
from iacgrade.graders.wording import counted
from iacgrade.harness.core.findings import Category, Location, Severity
from iacgrade.harness.core.source import Span, quote
from iacgrade.harness.platforms.cfn.lint import decode
from iacgrade.harness.platforms.cfn.templates import templates_of
from iacgrade.harness.platforms.names import CFN

GLOBAL_SCOPES = ("global", "account")
SUFFIX_DOCS = (
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html"
)
NAME_DOCS = "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-name.html"
# The most names one regional finding lists before it counts the rest.
LISTED = 6


@cache
def _table() -> dict[str, Any]:
    text = (
        resources.files("iacgrade.graders.cfn")
        .joinpath("data", "physical_names.toml")
        .read_text(encoding="utf-8")
    )
    return tomllib.loads(text)


@dataclass(frozen=True)
class FixedName:
    """A resource whose own name property is a literal."""

    path: str
    logical_id: str
    type: str
    property: str
    name: str
    line: int
    scope: str
    # Why the template takes the suffix: its parameter, or the prompt's asking for one.
    because: str


def _literal(value: Any) -> str | None:
    """The name when it is a plain string or a `Fn::Sub` with no `${...}` at all; None for
    anything that can differ per stack (Ref, GetAtt, ImportValue, Sub with a variable, Join)."""
    if isinstance(value, Mapping) and len(value) == 1 and "Fn::Sub" in value:
        arg = value["Fn::Sub"]
        value = arg[0] if isinstance(arg, list) and arg else arg
        if not isinstance(value, str) or "${" in value:
            return None
    if not isinstance(value, str) or not value or value.startswith("{{resolve:"):
        return None
    return str(value)


def _line(node: Any) -> int:
    mark = getattr(node, "start_mark", None)
    return int(mark.line) + 1 if mark is not None else 0


def _fixed_by_aws(rtype: str, name: str) -> bool:
    """A role AWS looks up by that exact name (DMS's `dms-vpc-role`): a suffix would break it."""
    if rtype != "AWS::IAM::Role":
        return False
    fixed = load("reserved_names.json")["fixed_iam_role_names"]
    return name in fixed["names"] or name.startswith(tuple(fixed["prefixes"]))


def _takes_suffix(template: Mapping[str, Any], prompt: str) -> str:
    """Why the template takes the environment suffix ("" when it does not)."""
    suffix = _table()["suffix"]
    params = template.get("Parameters")
    declared = params if isinstance(params, Mapping) else {}
    found = next((p for p in suffix["parameters"] if p in declared), None)
    if found is not None:
        return f"the template declares `{found}`"
    return "the prompt asks for an environment suffix" if re.search(suffix["prompt_pattern"], prompt) else ""


def fixed_names(ctx: GradeContext) -> Iterator[FixedName]:
    """Each literal own name of a template that takes the environment suffix."""
    types: dict[str, Any] = _table()["types"]
    for path in templates_of(ctx.workspace):
        template, errors = decode(ctx.workspace.files[path])
        because = _takes_suffix(template, ctx.prompt) if isinstance(template, Mapping) else ""
        if errors or not because:
            continue
        declared = template.get("Resources")
        for logical, body in (declared if isinstance(declared, Mapping) else {}).items():
            if not isinstance(body, Mapping) or str(body.get("Type", "")) not in types:
                continue
            rtype = str(body["Type"])
            spec = types[rtype]
            props = body.get("Properties")
            if not isinstance(props, Mapping):
                continue
            key = next((k for k in props if k == spec["property"]), None)
            name = _literal(props[key]) if key is not None else None
            if key is None or name is None or _fixed_by_aws(rtype, name):
                continue
            yield FixedName(
                path, str(logical), rtype, spec["property"], name, _line(key), spec["scope"], because
            )


def _location(found: FixedName) -> Location:
    return Location(path=found.path, line=found.line or None, address=found.logical_id)


def _evidence(ctx: GradeContext, found: FixedName) -> str:
    return quote(ctx.workspace.files, Span(found.path, found.line, found.line)) if found.line else ""


@rule(
    id="CFN005",
    name="global-name-without-environment-suffix",
    title="Globally Unique Name Without Environment Suffix",
    # As AWS009: the name is taken for every other deployment of the template, in any region.
    severity=Severity.HIGH,
    category=Category.PRODUCTION_READINESS,
    rationale=(
        "The model gave a resource whose name is unique across all accounts (S3) or across the "
        "account's regions (IAM) a fixed name in a template that takes an environment suffix, so "
        "a second deployment cannot create it."
    ),
    docs=(
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html",
        NAME_DOCS,
    ),
    impact=(
        "Deployment Blocker (second environment): the name is taken, so the next stack fails to create",
        "Multi-Environment Support: Cannot deploy PR, staging and production side by side",
    ),
    fix_minutes=5,
    needs="synth",
    platforms=(CFN,),
)
def global_name_without_environment_suffix(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: an S3 bucket, Cognito domain or IAM role, managed policy, user, group or
    instance profile whose own name property (`BucketName`, `RoleName`, ...: the list with its
    sources is iacgrade/graders/cfn/data/physical_names.toml) is a plain string, or a `!Sub` with no
    variable, in a template that declares the `EnvironmentSuffix` parameter or whose prompt
    asks for an environment suffix. Names built with `!Ref`, `!GetAtt`, `!ImportValue`, or a
    `!Sub` of any variable (`${EnvironmentSuffix}`, `${AWS::StackName}`) are not flagged, nor
    properties naming another resource (a function's `Role`), nor roles AWS finds by a fixed
    name (`dms-vpc-role`).

    Why it matters: bucket names are global to all of AWS and IAM names to the account; the
    second stack of the template (another PR, another region) fails with "already exists" and
    rolls back (predicted: the first deployment succeeds).

    Bad: `BucketName: company-data-lake` beside `Parameters: EnvironmentSuffix:`.

    Good: `BucketName: !Sub company-data-lake-${EnvironmentSuffix}-${AWS::AccountId}`, or no
    `BucketName` at all (CloudFormation then generates a unique one).

    References: S3 bucket naming rules; IAM name uniqueness; CloudFormation Name type.
    """
    for found in fixed_names(ctx):
        if found.scope not in GLOBAL_SCOPES:
            continue
        where = "across all of AWS" if found.scope == "global" else "in the account, in every region"
        yield Hit(
            message=f"`{found.logical_id}` ({found.type}) is named `{found.name}` by a literal "
            f"`{found.property}`, without the environment suffix ({found.because}): the name is "
            f"unique {where}, so a second deployment of the template cannot create it.",
            location=_location(found),
            anchor=f"naming:environment-suffix:{found.logical_id}",
            fix_anchor=f"resource:{found.logical_id}",
            evidence=_evidence(ctx, found),
        )


@rule(
    id="CFN006",
    name="name-without-environment-suffix",
    title="Resource Names Without Environment Suffix",
    # As AWS020: a second environment in another region still deploys.
    severity=Severity.MEDIUM,
    category=Category.PRODUCTION_READINESS,
    rationale=(
        "The model hard-coded resource names in a template that takes an environment suffix, so two "
        "environments in one region collide."
    ),
    docs=(NAME_DOCS, SUFFIX_DOCS),
    impact=(
        "Multi-Environment Support: A second environment in the same region fails on name conflicts",
        "Resource Naming: Risk of naming conflicts without environment suffix",
    ),
    fix_minutes=10,
    needs="synth",
    platforms=(CFN,),
)
def name_without_environment_suffix(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: named regional resources (Lambda functions, tables, queues, topics, DB
    clusters and instances, log groups, alarms, ...: iacgrade/graders/cfn/data/physical_names.toml)
    whose own name property is a plain string, or a `!Sub` with no variable, in a template that
    declares the `EnvironmentSuffix` parameter or whose prompt asks for an environment suffix;
    one finding per template listing them (S3 and IAM names are CFN005's). `!Ref`, `!GetAtt`,
    `!ImportValue` and a `!Sub` of any variable are not flagged, nor properties that name
    another resource.

    Why it matters: these names are unique per account and region; a second environment deployed
    beside the first fails with "already exists" (predicted).

    Bad: `FunctionName: order-processor` beside `Parameters: EnvironmentSuffix:`.

    Good: `FunctionName: !Sub order-processor-${EnvironmentSuffix}`, or no name at all.

    References: CloudFormation Name type; template parameters.
    """
    by_template: dict[str, list[FixedName]] = {}
    for found in fixed_names(ctx):
        if found.scope == "region":
            by_template.setdefault(found.path, []).append(found)
    for path, names in sorted(by_template.items()):
        first = names[0]
        listed = ", ".join(f"`{f.logical_id}` (`{f.name}`)" for f in names[:LISTED])
        more = f" and {len(names) - LISTED} more" if len(names) > LISTED else ""
        yield Hit(
            message=f"{counted(len(names), 'named resource')} of `{path}` "
            f"{'has' if len(names) == 1 else 'have'} a literal name without the environment suffix "
            f"({first.because}): {listed}{more}.",
            location=_location(first),
            anchor=f"naming:environment-suffix:{path}",
            fix_anchor=f"resource:{first.logical_id}",
            evidence=_evidence(ctx, first),
        )
