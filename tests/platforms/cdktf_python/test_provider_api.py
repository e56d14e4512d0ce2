"""The provider API index: names as the generated bindings spell them, signatures, cache and speed."""

from __future__ import annotations

import ast
import re
import time
from pathlib import Path

import pytest

from iacgrade.harness.platforms.cdktf_python import provider_api
from iacgrade.harness.platforms.cdktf_python.provider_api import (
    ApiIndex,
    camel_case,
    find_assemblies,
    load_index,
    python_name,
    snake_case,
)

AWS = "cdktf_cdktf_provider_aws"


@pytest.fixture(scope="module")
def index() -> ApiIndex:
    found = load_index()
    if found is None:
        pytest.skip("no jsii assembly installed")
    return found


@pytest.mark.parametrize(
    ("jsii", "python"),
    [
        ("cidrBlock", "cidr_block"),
        ("ipv6CidrBlock", "ipv6_cidr_block"),
        ("s3BucketArn", "s3_bucket_arn"),
        ("dnsHostnames", "dns_hostnames"),
        ("maxTTL", "max_ttl"),
        ("memorySizeInMiB", "memory_size_in_mib"),
        ("lambda", "lambda_"),
        ("from", "from_"),
    ],
)
def test_python_names_follow_jsii_pacmak(jsii: str, python: str) -> None:
    assert python_name(jsii) == python


def test_camel_case_inverts_snake_case() -> None:
    assert camel_case("cidr_block") == "cidrBlock"
    assert snake_case(camel_case("transit_gateway_id")) == "transit_gateway_id"


def test_finds_the_installed_assemblies() -> None:
    packages = {a.package for a in find_assemblies()}
    assert {"cdktf", "constructs", AWS} <= packages


def test_route_table_signature(index: ApiIndex) -> None:
    route_table = index.lookup(f"{AWS}.route_table", "RouteTable")
    assert isinstance(route_table, int)
    sig = index.signature(route_table)
    assert sig is not None
    # The struct field `id` is lifted, so the construct id becomes `id_` (jsii-pacmak's rule).
    assert [p.name for p in sig.positional] == ["scope", "id_"]
    assert {"vpc_id", "route", "tags", "depends_on", "provider"} <= set(sig.keywords)
    assert not sig.keywords["vpc_id"].optional
    assert index.describe(sig.keywords["route"].ref) == "list[RouteTableRoute]"
    route = index.lookup(f"{AWS}.route_table", "RouteTableRoute")
    assert isinstance(route, int)
    assert index.fields(route)["cidr_block"].jsii_name == "cidrBlock"


def test_required_fields_and_inherited_constructor(index: ApiIndex) -> None:
    versioning = index.lookup(f"{AWS}.s3_bucket_versioning", "S3BucketVersioningA")
    assert isinstance(versioning, int)
    sig = index.signature(versioning)
    assert sig is not None
    required = {f.name for f in sig.keywords.values() if not f.optional}
    assert required == {"bucket", "versioning_configuration"}
    stack = index.lookup("cdktf", "TerraformStack")
    assert isinstance(stack, int)
    stack_sig = index.signature(stack)
    assert stack_sig is not None and [p.name for p in stack_sig.positional] == ["scope", "id"]


def test_submodules_and_members(index: ApiIndex) -> None:
    assert index.lookup(AWS, "route_table") == "module"
    assert index.lookup(f"{AWS}.s3_bucket_versioning", "S3BucketVersioning") is None
    eks = index.lookup(f"{AWS}.eks_cluster", "EksCluster")
    assert isinstance(eks, int)
    members = index.members(eks)
    # Its own attributes and those of its bases (TerraformResource, Construct).
    assert {"identity", "endpoint", "put_vpc_config", "add_override", "node"} <= members
    assert "identity_get" not in members


def test_did_you_mean(index: ApiIndex) -> None:
    assert index.suggest_name(f"{AWS}.s3_bucket_versioning", "S3BucketVersioning")[0] == (
        f"from {AWS}.s3_bucket_versioning import S3BucketVersioningA"
    )
    assert index.suggest_module(f"{AWS}.s3_bucket_policyy")[0] == f"{AWS}.s3_bucket_policy"


_DATA_TYPE = re.compile(
    r'@jsii\.data_type\(\s*jsii_type="[^"]+",\s*jsii_struct_bases=\[[^\]]*\],\s*'
    r"name_mapping=(\{[^}]*\}),?\s*\)\s*class (\w+)",
    re.S,
)
SAMPLE = ["route_table", "s3_bucket", "security_group", "instance", "lb_listener", "wafv2_web_acl"]


def _module_source(module: str) -> str:
    package = Path(next(a.tarball for a in find_assemblies() if a.package == module.split(".")[0])).parents[1]
    return (package.joinpath(*module.split(".")[1:]) / "__init__.py").read_text(encoding="utf-8")


def test_struct_fields_match_the_generated_bindings(index: ApiIndex) -> None:
    """The generated bindings record each struct's Python-to-jsii name mapping: the index must agree."""
    modules = [f"{AWS}.{m}" for m in SAMPLE] + sorted(m for m in index.modules if m.startswith(AWS))[::150]
    checked = 0
    for module in modules:
        for match in _DATA_TYPE.finditer(_module_source(module)):
            mapping, name = ast.literal_eval(match.group(1)), match.group(2)
            type_id = index.lookup(module, name)
            assert isinstance(type_id, int), f"{module}.{name} missing"
            assert {k: f.jsii_name for k, f in index.fields(type_id).items()} == mapping, f"{module}.{name}"
            checked += 1
    assert checked > 100


def test_constructor_parameters_match_the_generated_bindings(index: ApiIndex) -> None:
    for module in [f"{AWS}.{m}" for m in SAMPLE]:
        tree = ast.parse(_module_source(module))
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            type_id = index.lookup(module, cls.name)
            init = next(
                (f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"), None
            )
            if init is None or not isinstance(type_id, int) or index.kind(type_id) != "c":
                continue
            sig = index.signature(type_id)
            assert sig is not None
            assert [a.arg for a in init.args.args[1:]] == [p.name for p in sig.positional], cls.name
            assert [a.arg for a in init.args.kwonlyargs] == list(sig.keywords), cls.name


def test_cached_index_loads_in_well_under_a_second(index: ApiIndex) -> None:
    provider_api._LOADED.clear()  # force a read from the disk cache, as a fresh process does
    start = time.perf_counter()
    fresh = load_index()
    elapsed = time.perf_counter() - start
    assert fresh is not None and fresh.count == index.count
    assert elapsed < 1.0, f"loading the index took {elapsed:.2f} s"


def test_index_without_assemblies_is_none(tmp_path: Path) -> None:
    assert load_index(paths=[str(tmp_path)], cache=tmp_path) is None
