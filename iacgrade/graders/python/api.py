"""PY: the answer's calls of the provider API, checked against the provider's own type information.

A synth stops at the first error; these rules read every file of the answer once and report every
import of a missing name, unknown keyword, impossible value, dict that loses its keys and missing
required argument together. The facts come from the provider API index
(`iacgrade/harness/platforms/cdktf_python/provider_api.py`); names are resolved in
`iacgrade/graders/python/symbols.py`, imports checked in `iacgrade/graders/python/api_imports.py`, calls in
`iacgrade/graders/python/api_calls.py` and literal values in `iacgrade/graders/python/shapes.py`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import replace

from iacgrade.graders.context import GradeContext
from iacgrade.graders.python.api_calls import Call, check_call
from iacgrade.graders.python.api_imports import check_imports, check_module_attributes
from iacgrade.graders.python.reach import reachable_files
from iacgrade.graders.python.shapes import ShapeChecker
from iacgrade.graders.python.symbols import construct_anchor, file_symbols, parents, resolve_type
from iacgrade.graders.registry import Hit, rule
from iacgrade.harness.core.findings import Category, Severity
from iacgrade.harness.platforms.cdktf_python.provider_api import CLASS, STRUCT, ApiIndex
from iacgrade.harness.platforms.cdktf_python.pysource import parse_python

CDKTF_DOCS = (
    "https://developer.hashicorp.com/terraform/cdktf/concepts/providers",
    "https://constructs.dev/packages/@cdktf/provider-aws",
)
API_IMPACT = (
    "Deployment Blocker: Prevents synthesis entirely (exit code 1)",
    "CI/CD Failure: Blocks all automated deployments",
    "Training Quality Impact: High - the answer was never run against the provider it targets",
)


# ---------------------------------------------------------------- PY002


@rule(
    id="PY002",
    name="import-of-missing-provider-name",
    title="Import of a name the AWS provider does not have",
    severity=Severity.CRITICAL,
    category=Category.CDKTF_SYNTAX,
    rationale=(
        "The answer imports a class, struct or module that the pinned provider does not define "
        "(often a name from another provider version, e.g. without the `A` suffix of provider v6). "
        "The import raises before any construct is built, so it blocks synth: Critical."
    ),
    docs=CDKTF_DOCS,
    impact=API_IMPACT,
    fix_minutes=3,
)
def import_of_missing_provider_name(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: `from <provider module> import <Name>` where the module has no such name, an
    import of a provider module that does not exist, and `<module>.<Name>` on an imported provider
    module that lacks `Name` - in cdktf, constructs and every installed prebuilt provider. Each
    finding suggests the names that do exist (same module first, then the same name elsewhere).

    Why it matters: the import raises `ImportError` (`ModuleNotFoundError`, `AttributeError`) when
    the app starts, so nothing synthesizes; a synth shows only the first such import, this rule
    shows all of them.

    Bad: `from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioning`

    Good: `from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA`

    References: the provider's Python API (constructs.dev, @cdktf/provider-aws); CDKTF providers.
    """
    yield from _hits(ctx, "PY002")


# ---------------------------------------------------------------- PY003


@rule(
    id="PY003",
    name="unknown-provider-argument",
    title="Unknown keyword argument to a provider class",
    severity=Severity.CRITICAL,
    category=Category.CDKTF_SYNTAX,
    rationale=(
        "The answer passes a keyword (or more positional arguments) that the provider class or "
        "struct does not take. Python raises `TypeError` when the construct is created, which "
        "blocks synth: Critical."
    ),
    docs=CDKTF_DOCS,
    impact=API_IMPACT,
    fix_minutes=5,
)
def unknown_provider_argument(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a call of a provider class or struct with a keyword its generated Python
    signature does not have, or with more positional arguments than it takes (a struct takes none).
    It suggests the accepted keyword that is closest, the snake_case spelling of a camelCase
    keyword, or the nested struct a keyword belongs in (`replica_region` -> `replica=[...(region=)]`).

    Why it matters: `TypeError: X.__init__() got an unexpected keyword argument` stops synth at the
    first such call; this rule lists every one.

    Bad: `ElasticacheSubnetGroup(self, "sg", subnet_group_name="cache", subnet_ids=ids)`

    Good: `ElasticacheSubnetGroup(self, "sg", name="cache", subnet_ids=ids)`

    References: the provider's Python API (constructs.dev, @cdktf/provider-aws).
    """
    yield from _hits(ctx, "PY003")


# ---------------------------------------------------------------- PY004


@rule(
    id="PY004",
    name="provider-value-of-wrong-shape",
    title="Value of the wrong shape for a provider parameter",
    severity=Severity.CRITICAL,
    category=Category.CDKTF_SYNTAX,
    rationale=(
        "The answer passes a literal whose shape cannot match the parameter's type: a list where "
        "one struct is expected, a string where a list is, a dict with keys the struct does not "
        "have. The bindings' type checks or the jsii kernel reject it, which blocks synth: Critical."
    ),
    docs=CDKTF_DOCS,
    impact=API_IMPACT,
    fix_minutes=5,
    # 2: a `**mapping` spread into a map literal is checked by its values, not as one value; the
    # predicted TypeError names the argument when a map key is computed or holds a dot.
    version=2,
)
def provider_value_of_wrong_shape(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a literal given to a provider parameter that its type can never accept: a
    list for a single struct (`weighted_routing_policy=[{...}]`), a dict or a string for a list, a
    list for a map, a string for a number or a boolean, a number in a map of strings, a dict for a
    single struct with a key the struct has no field for (the bindings build `Struct(**dict)`).
    Variables and other expressions are not judged.

    Why it matters: the generated bindings raise `TypeError` ("type of argument ... must be one
    of ...") or the jsii kernel raises "Unable to deserialize value"; either stops synth.

    Bad: `Route53Record(..., weighted_routing_policy=[{"weight": 10}])`

    Good: `Route53Record(..., weighted_routing_policy=Route53RecordWeightedRoutingPolicy(weight=10))`

    References: the provider's Python API (constructs.dev, @cdktf/provider-aws); jsii type checks.
    """
    yield from _hits(ctx, "PY004")


# ---------------------------------------------------------------- PY005


@rule(
    id="PY005",
    name="dict-instead-of-struct-class",
    title="Dictionary where a CDKTF struct class is required",
    severity=Severity.CRITICAL,
    category=Category.CDKTF_SYNTAX,
    rationale=(
        "The model used dictionary syntax instead of the CDKTF struct class for a block that is a "
        "list of structs. The dict is passed to the provider as it is and read by camelCase field "
        "names, so its snake_case keys are silently dropped. Critical when that stops synth (a "
        "required field) or plan (a field the provider's schema needs); High when the resource "
        "deploys without what was written; Low when the dropped values are the provider's defaults."
    ),
    docs=(
        "https://developer.hashicorp.com/terraform/cdktf/concepts/providers#provider-resources",
        "https://constructs.dev/packages/@cdktf/provider-aws",
    ),
    impact=(
        "Silent Misconfiguration: the dropped keys never reach Terraform, without any error at synth",
        "Training Quality Impact: High - demonstrates need to use CDKTF classes instead of raw dictionaries",
    ),
    fix_minutes=10,
    # 2: a `**mapping` spread into a map literal is checked by its values.
    version=2,
)
def dict_instead_of_struct_class(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a dict literal inside a list given where the provider expects a list of
    structs (`route=[{"cidr_block": ...}]`), when the dict loses data: a snake_case key of more
    than one word (the provider reads `cidrBlock`), a key the struct does not have, or a required
    field absent under its camelCase name (synth then stops: "Unable to deserialize value").
    Dicts whose keys are exactly the camelCase field names arrive intact and are not flagged (a
    one-word name is the same in both spellings, except renamed ones: `self` is `selfAttribute`).
    Severity follows what the loss does (`iacgrade/graders/aws/data/struct_blocks.json` names, per struct, the
    fields plan needs and the documented defaults): Critical when synth or plan fails, High when
    the resource deploys without the dropped values, Low when each dropped value is `None`, the
    field's default, or also given under its camelCase name.

    Why it matters: verified by synthesis - `RouteTable(route=[{"cidr_block": "0.0.0.0/0",
    "gateway_id": igw.id}])` synthesizes a route with every field null and plan fails; an ECS
    volume dict loses its `efs_volume_configuration` and the task deploys with a local volume.

    Bad: `RouteTable(self, "rt", vpc_id=vpc.id, route=[{"cidr_block": "0.0.0.0/0", "gateway_id": igw.id}])`

    Good: `RouteTable(self, "rt", vpc_id=vpc.id,
    route=[RouteTableRoute(cidr_block="0.0.0.0/0", gateway_id=igw.id)])`

    References: CDKTF provider resources; the Terraform Registry page of each block's resource
    (named in `iacgrade/graders/aws/data/struct_blocks.json`).
    """
    yield from _hits(ctx, "PY005")


# ---------------------------------------------------------------- PY006


@rule(
    id="PY006",
    name="missing-required-provider-argument",
    title="Required argument of a provider class left out",
    severity=Severity.CRITICAL,
    category=Category.CDKTF_SYNTAX,
    rationale=(
        "The answer leaves out an argument the provider class or struct requires. Python raises "
        "`TypeError: missing ... required keyword-only argument` when the object is created, which "
        "blocks synth: Critical."
    ),
    docs=CDKTF_DOCS,
    impact=API_IMPACT,
    fix_minutes=5,
)
def missing_required_provider_argument(ctx: GradeContext) -> Iterator[Hit]:
    """What it flags: a call of a provider class or struct (or a dict given for a single struct)
    that does not pass every required parameter: the construct scope and id, the required fields
    of the resource (`bucket` of `S3BucketVersioningA`), the required fields of a struct. Calls
    with `*args` or `**kwargs` are not judged.

    Why it matters: `TypeError: ... missing 1 required keyword-only argument` stops synth at the
    first such call; this rule lists every one.

    Bad: `S3BucketVersioningA(self, "versioning", versioning_configuration=...)` (no `bucket`)

    Good: `S3BucketVersioningA(self, "versioning", bucket=bucket.id, versioning_configuration=...)`

    References: the provider's Python API (constructs.dev, @cdktf/provider-aws).
    """
    yield from _hits(ctx, "PY006")


# ---------------------------------------------------------------- the analysis


def _hits(ctx: GradeContext, rule_id: str) -> Iterator[Hit]:
    for rid, hit in analyse(ctx):
        if rid == rule_id:
            yield hit


def analyse(ctx: GradeContext) -> list[tuple[str, Hit]]:
    """Every provider-API problem of the answer, computed once per context for all PY rules."""
    # Stored on the context itself: it lives exactly as long as the answer it describes.
    cached = vars(ctx).get("_py_api_hits")
    if cached is None:
        index = ctx.provider_api
        cached = [] if index is None else list(_analyse(ctx, index))
        vars(ctx)["_py_api_hits"] = cached
    return cached


def _analyse(ctx: GradeContext, index: ApiIndex) -> Iterator[tuple[str, Hit]]:
    live = _imported_by_app(ctx)
    for rule_id, hit in _analyse_files(ctx, index):
        if live is None or hit.location.path in live:
            yield rule_id, hit
        else:
            yield rule_id, _dead_code(hit)


def _imported_by_app(ctx: GradeContext) -> set[str] | None:
    """The answer files the entry point imports, directly or not; None when there is no entry."""
    ws = ctx.workspace
    if not ws.entry or ws.entry not in ws.files:
        return None
    trees = dict(ctx.trees)
    if ws.entry not in trees:
        entry_tree = parse_python({ws.entry: ws.files[ws.entry]}).get(ws.entry)
        if not isinstance(entry_tree, ast.Module):
            return None
        trees[ws.entry] = entry_tree
    return reachable_files(trees, [ws.entry])


def _dead_code(hit: Hit) -> Hit:
    # The line never runs during synth: a broken module nobody imports is dead code to clean up.
    note = (
        f"No module of the app imports `{hit.location.path}`, so this line never runs at synth: "
        "dead code that would fail if it were ever imported, not a deployment blocker."
    )
    return replace(hit, severity=Severity.LOW, note=f"{hit.note} {note}".strip())


def _analyse_files(ctx: GradeContext, index: ApiIndex) -> Iterator[tuple[str, Hit]]:
    files = ctx.workspace.files
    for path, tree in sorted(ctx.trees.items()):
        symbols = file_symbols(path, tree, index)
        yield from check_imports(path, tree, index, files)
        up = parents(tree)
        yield from check_module_attributes(path, tree, symbols, index, files, up)
        checker = ShapeChecker(index, symbols)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            type_id = resolve_type(node.func, symbols, index)
            if type_id is None or index.kind(type_id) not in (CLASS, STRUCT):
                continue
            signature = index.signature(type_id)
            if signature is None:
                continue
            anchor = construct_anchor(node, up, symbols, index)
            call = Call(path, tree, node, type_id, signature, anchor, files)
            yield from check_call(call, index, checker)
