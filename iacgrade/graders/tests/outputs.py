"""What an integration test reads: the deployed stack's outputs, a fake of AWS, or names it made up.

An integration test runs after the deployment: it finds the resources it checks through the stack's
outputs (the archive's CI writes them to `cfn-outputs/flat-outputs.json` with `cdktf output
--outputs-file`). A test that fakes AWS (moto) checks the fake; one that calls AWS with names,
ARNs, account ids or regions written into the test checks whatever happens to be there, not what
this deployment created.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from iacgrade.graders.constraints import all_regions
from iacgrade.graders.tests.suite import facts

# Variables a test names a resource with (`table_name`, `bucket`, `topic_arn`).
_NAME_VAR = re.compile(r"(?:^|_)(?:name|arn|bucket|table|queue|topic|function|cluster)$")
# An ARN of a resource in one account (`arn:aws:sqs:us-east-1:123456789012:orders`); AWS's own
# (`arn:aws:iam::aws:policy/...`) and prefixes a test compares with (`arn:aws:kms:`) name no deployment.
_ARN = re.compile(r"^arn:aws[\w-]*:[\w-]+:[\w-]*:\d{12}:\S+")
_ACCOUNT = re.compile(r"(?<!\d)\d{12}(?!\d)")
_AWS_SDKS = frozenset({"boto3", "botocore", "aioboto3"})


@dataclass(frozen=True)
class Spot:
    """Something an integration test does, where: `@mock_dynamodb` at line 10, `'us-east-1'` at 17."""

    line: int
    what: str


@dataclass(frozen=True)
class OutputRead:
    """An output the test looks up by a literal key (`outputs["vpc_id"]`, `outputs.get("vpc_id")`)."""

    line: int
    key: str


def _root_name(node: ast.expr) -> str:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def _top(module: str) -> str:
    return module.split(".")[0]


def fakes(tree: ast.Module) -> list[Spot]:
    """Every place the module fakes AWS, decorators first in line order."""
    modules = tuple(facts()["aws_fakes"])
    names: set[str] = set()
    imports: list[Spot] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and _top(node.module or "") in modules:
            names.update(a.asname or a.name for a in node.names)
            imports.append(Spot(node.lineno, f"`from {node.module} import ...`"))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _top(alias.name) in modules:
                    names.add(alias.asname or _top(alias.name))
                    imports.append(Spot(node.lineno, f"`import {alias.name}`"))
    spots: dict[int, Spot] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for dec in node.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                if _root_name(target) in names:
                    spots.setdefault(dec.lineno, Spot(dec.lineno, f"`@{ast.unparse(target)}`"))
        elif isinstance(node, ast.withitem):
            expr = node.context_expr
            target = expr.func if isinstance(expr, ast.Call) else expr
            if _root_name(target) in names:
                spots.setdefault(expr.lineno, Spot(expr.lineno, f"`with {ast.unparse(target)}()`"))
    return sorted(spots.values(), key=lambda s: s.line) or imports


def uses_aws(tree: ast.Module) -> bool:
    """Whether the module imports an AWS SDK (boto3, botocore)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(_top(a.name) in _AWS_SDKS for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and _top(node.module or "") in _AWS_SDKS:
            return True
    return False


def reads_outputs(tree: ast.Module) -> bool:
    """Whether the module reads a deployment's outputs: a string naming the outputs file or command."""
    markers = tuple(facts()["outputs_files"])
    return any(
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and any(m in node.value for m in markers)
        for node in ast.walk(tree)
    )


def hard_coded(tree: ast.Module) -> list[Spot]:
    """Resource names, ARNs, account ids and regions written into the test's AWS calls."""
    regions = all_regions()
    params = frozenset(facts()["resource_params"])
    docstrings = _docstrings(tree)
    found: dict[tuple[int, str], Spot] = {}

    def add(node: ast.expr, what: str) -> None:
        found.setdefault((node.lineno, what), Spot(node.lineno, what))

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                value = _literal(kw.value)
                if value is None or not kw.arg:
                    continue
                if kw.arg == "region_name" and value in regions:
                    add(kw.value, f"`region_name={value!r}`")
                elif kw.arg in params and not _aws_owned(value):
                    add(kw.value, f"`{kw.arg}={value!r}`")
        elif (
            isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        ):
            value = _literal(node.value)
            # An ARN or account id is told as such below, wherever it is written.
            named = value is not None and not _ARN.match(value) and not _ACCOUNT.fullmatch(value)
            if named and value and _NAME_VAR.search(node.targets[0].id.lower()) and " " not in value:
                add(node.value, f"`{node.targets[0].id} = {value!r}`")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if _ARN.match(node.value):
                add(node, f"ARN `{node.value}`")
            elif _ACCOUNT.fullmatch(node.value):
                add(node, f"account id `{node.value}`")
    return sorted(found.values(), key=lambda s: s.line)


def _aws_owned(value: str) -> bool:
    # `arn:aws:iam::aws:policy/ReadOnlyAccess`: AWS's own, the same in every deployment.
    return value.startswith("arn:aws") and not _ACCOUNT.search(value)


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _docstrings(tree: ast.Module) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def output_reads(tree: ast.Module) -> list[OutputRead]:
    """Literal keys looked up on a value whose name says it holds outputs (`outputs`,
    `self.flat_outputs`, `stack_outputs`): `x["key"]` and `x.get("key")`; keys the test stores there
    itself (`outputs["_stack_name"] = ...`) are its own, not the stack's."""
    reads, written = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and _holds_outputs(node.value):
            key = _literal(node.slice)
            if key and isinstance(node.ctx, ast.Load):
                reads.append(OutputRead(node.lineno, key))
            elif key:
                written.add(key)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and _holds_outputs(node.func.value)
            and node.args
        ):
            key = _literal(node.args[0])
            if key:
                reads.append(OutputRead(node.lineno, key))
    return sorted((r for r in reads if r.key not in written), key=lambda r: r.line)


def _holds_outputs(node: ast.expr) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
    return "output" in name.lower()
