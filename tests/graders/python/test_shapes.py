"""iacgrade/graders/python/shapes.py on its own: literal values against the real provider API index.

Each case is one construct call as an answer writes it; the value of one argument is checked
against that parameter's type reference the way PY004/PY005 check it (`api_calls.check_call`).
"""

from __future__ import annotations

import ast

import pytest

from iacgrade.graders.python.shapes import ShapeChecker, ValueReport
from iacgrade.graders.python.symbols import file_symbols, resolve_type
from iacgrade.harness.platforms.cdktf_python.provider_api import ApiIndex, Ref, load_index

HEAD = """\
from cdktf import AssetType, TerraformAsset
from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable
from cdktf_cdktf_provider_aws.instance import Instance
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.route_table import RouteTable, RouteTableRoute
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc import Vpc
"""


@pytest.fixture(scope="module")
def index() -> ApiIndex:
    found = load_index()
    assert found is not None, "the synth toolchain's jsii assemblies are a dependency of iacgrade"
    return found


def _checker(index: ApiIndex, source: str) -> tuple[ShapeChecker, ast.Module]:
    tree = ast.parse(HEAD + source)
    return ShapeChecker(index, file_symbols("lib/tap_stack.py", tree, index)), tree


def check(index: ApiIndex, call: str, param: str) -> tuple[bool, ValueReport]:
    """Check the argument `param` of the call on the last line of `call` against its parameter."""
    checker, tree = _checker(index, call)
    stmt = tree.body[-1]
    assert isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
    node = stmt.value
    type_id = resolve_type(node.func, checker.symbols, index)
    assert type_id is not None
    signature = index.signature(type_id)
    assert signature is not None
    positional = [p.name for p in signature.positional]
    ref: Ref
    if param in signature.keywords:
        ref = signature.keywords[param].ref
        value = next(k.value for k in node.keywords if k.arg == param)
    else:
        ref = signature.positional[positional.index(param)].ref
        value = node.args[positional.index(param)]
    report = ValueReport()
    return checker.check(value, ref, "python", report, param), report


def shape_texts(report: ValueReport) -> list[tuple[str, str]]:
    return [(issue.where, issue.text) for issue in report.shape]


# -- what a literal is


@pytest.mark.parametrize(
    ("expr", "shape"),
    [
        ("True", "bool"),
        ("3", "number"),
        ("2.5", "number"),
        ("'x'", "str"),
        ("None", "none"),
        ("b'x'", None),  # bytes reach no provider parameter as a value the index describes
        ("f'{name}-logs'", "str"),
        ("['a']", "list"),
        ("(1, 2)", "list"),
        ("[s for s in subnets]", "list"),
        ("{'a': 1}", "dict"),
        ("{k: 1 for k in keys}", "dict"),
        ("'prefix-' + name", "str"),
        ("'%s-logs' % name", "str"),
        ("name + '-logs'", None),  # the left side decides, and a variable is unknown
        ("1 + 2", None),
        ("str(port)", "str"),
        ("int(port)", "number"),
        ("float(port)", "number"),
        ("len(subnets)", "number"),
        ("bool(flag)", "bool"),
        ("'-'.join(parts)", "str"),
        ("'{}-logs'.format(name)", "str"),
        ("name.lower()", None),
        ("compute(name)", None),
        ("subnets", None),
        ("self.vpc.id", None),
    ],
)
def test_shape_of_a_literal(index: ApiIndex, expr: str, shape: str | None) -> None:
    checker, tree = _checker(index, f"_ = {expr}\n")
    stmt = tree.body[-1]
    assert isinstance(stmt, ast.Assign)
    assert checker.shape(stmt.value) == shape


@pytest.mark.parametrize("before", ["def str(x):\n    return x\n", "from helpers import str\n"])
def test_a_builtin_the_answer_rebinds_or_imports_is_not_judged(index: ApiIndex, before: str) -> None:
    checker, tree = _checker(index, before + "_ = str(1)\n_ = int(1)\n")
    rebound, builtin = (s.value for s in tree.body[-2:] if isinstance(s, ast.Assign))
    assert checker.shape(rebound) is None
    assert checker.shape(builtin) == "number"


def test_a_call_of_an_indexed_class_or_struct_has_its_type_id(index: ApiIndex) -> None:
    checker, tree = _checker(
        index, "_ = Vpc(self, 'v')\n_ = RouteTableRoute(cidr_block='x')\n_ = AssetType(1)\n"
    )
    vpc, route, enum = (s.value for s in tree.body[-3:] if isinstance(s, ast.Assign))
    assert checker.shape(vpc) == index.lookup("cdktf_cdktf_provider_aws.vpc", "Vpc")
    assert checker.shape(route) == index.lookup("cdktf_cdktf_provider_aws.route_table", "RouteTableRoute")
    assert checker.shape(enum) is None  # an enum is never built by a call


# -- scalars, and what is never judged


def test_a_string_where_a_number_is_taken_stops_synth(index: ApiIndex) -> None:
    ok, report = check(index, "RouteTable(self, 'rt', vpc_id=1)\n", "vpc_id")
    assert not ok
    assert shape_texts(report) == [("vpc_id", "is a number, but takes str")]


def test_a_positional_argument_is_checked_too(index: ApiIndex) -> None:
    ok, report = check(index, "RouteTable(self, 5, vpc_id='v')\n", "id_")
    assert not ok and shape_texts(report) == [("id_", "is a number, but takes str")]


@pytest.mark.parametrize(
    "value",
    ["None", "vpc.id", "config['vpc']", "get_vpc()", "'10.' + '0'"],
)
def test_values_that_may_fit_pass_without_a_word(index: ApiIndex, value: str) -> None:
    ok, report = check(index, f"RouteTable(self, 'rt', vpc_id={value})\n", "vpc_id")
    assert ok and report == ValueReport()


def test_any_and_date_parameters_take_every_literal(index: ApiIndex) -> None:
    # "a" is any, json or a type outside the index; "d" a date: neither has a literal form to judge.
    checker, tree = _checker(index, "_ = [1, 'x', {'a': 1}]\n")
    stmt = tree.body[-1]
    assert isinstance(stmt, ast.Assign)
    for ref in ("a", "d"):
        report = ValueReport()
        assert checker.check(stmt.value, ref, "python", report, "x")
        assert report == ValueReport()


def test_either_branch_of_a_conditional_must_fit(index: ApiIndex) -> None:
    ok, report = check(
        index,
        "Instance(self, 'i', associate_public_ip_address=True if public else 'no')\n",
        "associate_public_ip_address",
    )
    assert not ok
    assert shape_texts(report) == [("associate_public_ip_address", "is a string, but takes bool")]
    ok, report = check(
        index,
        "Instance(self, 'i', associate_public_ip_address=True if public else False)\n",
        "associate_public_ip_address",
    )
    assert ok and not report.shape


# -- unions


def test_a_union_of_scalars_is_explained_by_its_scalar_member(index: ApiIndex) -> None:
    # `count` takes `number | TerraformCount`: a string is neither.
    ok, report = check(index, "RouteTable(self, 'rt', vpc_id='v', count='3')\n", "count")
    assert not ok and shape_texts(report) == [("count", "is a string, but takes number")]
    ok, report = check(index, "RouteTable(self, 'rt', vpc_id='v', count=3)\n", "count")
    assert ok and not report.shape


def test_a_dict_where_a_list_of_blocks_is_taken(index: ApiIndex) -> None:
    # `route` is `IResolvable | list[RouteTableRoute]`; a single dict fits no member.
    ok, report = check(
        index, "RouteTable(self, 'rt', vpc_id='v', route={'cidr_block': '0.0.0.0/0'})\n", "route"
    )
    assert not ok
    assert shape_texts(report) == [("route", "is a dict, but takes list[RouteTableRoute]")]


def test_a_list_that_fails_inside_is_explained_by_its_element(index: ApiIndex) -> None:
    ok, report = check(index, "RouteTable(self, 'rt', vpc_id='v', route=['0.0.0.0/0'])\n", "route")
    assert not ok
    assert shape_texts(report) == [("route[0]", "is a string, but takes RouteTableRoute")]


def test_a_list_of_structs_built_with_their_class_fits(index: ApiIndex) -> None:
    ok, report = check(
        index, "RouteTable(self, 'rt', vpc_id='v', route=[RouteTableRoute(cidr_block='x'), *more])\n", "route"
    )
    assert ok and report == ValueReport()


# -- lists and maps


def test_a_list_where_a_map_is_taken(index: ApiIndex) -> None:
    ok, report = check(index, "RouteTable(self, 'rt', vpc_id='v', tags=['Name'])\n", "tags")
    assert not ok and shape_texts(report) == [("tags", "is a list, but takes dict[str, str]")]


def test_each_value_of_a_map_is_checked_by_its_key(index: ApiIndex) -> None:
    ok, report = check(
        index, "RouteTable(self, 'rt', vpc_id='v', tags={'Name': 1, key: 2, 'Env': 'prod'})\n", "tags"
    )
    assert not ok
    assert shape_texts(report) == [
        ("tags['Name']", "is a number, but takes str"),
        ("tags[...]", "is a number, but takes str"),
    ]


@pytest.mark.parametrize(
    "value",
    [
        "{**common_tags, 'Name': 'rt'}",
        "{**{'Env': 'prod'}, 'Name': 'rt'}",
        "{**common_tags, **({'Owner': owner} if owner else {})}",
    ],
)
def test_a_mapping_spread_into_a_map_is_checked_by_its_values(index: ApiIndex, value: str) -> None:
    # `**spread` merges a whole mapping: it is not one value of the map.
    ok, report = check(index, f"RouteTable(self, 'rt', vpc_id='v', tags={value})\n", "tags")
    assert ok and report == ValueReport()


def test_a_wrong_value_inside_a_spread_mapping_is_still_found(index: ApiIndex) -> None:
    ok, report = check(
        index, "RouteTable(self, 'rt', vpc_id='v', tags={**{'Env': 1}, 'Name': 'rt'})\n", "tags"
    )
    assert not ok and shape_texts(report) == [("tags['Env']", "is a number, but takes str")]


def test_a_scalar_where_a_list_is_taken(index: ApiIndex) -> None:
    ok, report = check(
        index, "RouteTable(self, 'rt', vpc_id='v', propagating_vgws='vgw-1')\n", "propagating_vgws"
    )
    assert not ok and shape_texts(report) == [("propagating_vgws", "is a string, but takes list[str]")]


def test_the_element_of_a_comprehension_is_checked(index: ApiIndex) -> None:
    ok, report = check(
        index,
        "RouteTable(self, 'rt', vpc_id='v', propagating_vgws=[1 for g in gateways])\n",
        "propagating_vgws",
    )
    assert not ok and shape_texts(report) == [("propagating_vgws[0]", "is a number, but takes str")]


# -- named types: interfaces, enums, classes, structs


def test_a_literal_is_no_behavioural_interface(index: ApiIndex) -> None:
    ok, report = check(index, "RouteTable(self, 'rt', vpc_id='v', for_each='subnets')\n", "for_each")
    assert not ok and shape_texts(report) == [("for_each", "is a string, but takes ITerraformIterator")]


def test_an_object_of_an_indexed_class_may_implement_an_interface(index: ApiIndex) -> None:
    ok, report = check(
        index, "RouteTable(self, 'rt', vpc_id='v', depends_on=['vpc', Vpc(self, 'v')])\n", "depends_on"
    )
    assert not ok
    assert shape_texts(report) == [("depends_on[0]", "is a string, but takes ITerraformDependable")]


def test_an_enum_takes_its_member_not_a_string(index: ApiIndex) -> None:
    ok, report = check(index, "TerraformAsset(self, 'a', path='p', type='archive')\n", "type")
    assert not ok and shape_texts(report) == [("type", "is a string, but takes AssetType")]
    ok, report = check(index, "TerraformAsset(self, 'a', path='p', type=AssetType.ARCHIVE)\n", "type")
    assert ok and not report.shape


def test_a_class_parameter_takes_any_indexed_class_and_no_literal(index: ApiIndex) -> None:
    call = "RouteTable(self, 'rt', vpc_id='v', provider={})\n"
    ok, report = check(index, call.format("'aws'"), "provider")
    assert not ok and shape_texts(report) == [("provider", "is a string, but takes TerraformProvider")]
    for fits in ("AwsProvider(self, 'aws')", "Vpc(self, 'v')"):
        ok, report = check(index, call.format(fits), "provider")
        assert ok and not report.shape, fits
    ok, report = check(index, call.format("RouteTableRoute(cidr_block='x')"), "provider")
    assert not ok and shape_texts(report) == [("provider", "is RouteTableRoute, but takes TerraformProvider")]


def test_the_scope_is_a_construct(index: ApiIndex) -> None:
    ok, report = check(index, "RouteTable('stack', 'rt', vpc_id='v')\n", "scope")
    assert not ok and shape_texts(report) == [("scope", "is a string, but takes Construct")]
    ok, report = check(index, "RouteTable(Vpc(self, 'v'), 'rt', vpc_id='v')\n", "scope")
    assert ok and not report.shape


def test_a_struct_takes_its_own_class_not_another_one_or_a_list(index: ApiIndex) -> None:
    call = "S3BucketVersioningA(self, 'v', bucket='b', versioning_configuration={})\n"
    ok, report = check(
        index,
        call.format("S3BucketVersioningVersioningConfiguration(status='Enabled')"),
        "versioning_configuration",
    )
    assert ok and not report.shape
    ok, report = check(index, call.format("RouteTableRoute(cidr_block='x')"), "versioning_configuration")
    assert not ok
    assert shape_texts(report) == [
        (
            "versioning_configuration",
            "is RouteTableRoute, but takes S3BucketVersioningVersioningConfiguration",
        )
    ]
    ok, report = check(index, call.format("[{'status': 'Enabled'}]"), "versioning_configuration")
    assert not ok
    assert shape_texts(report) == [
        ("versioning_configuration", "is a list, but takes S3BucketVersioningVersioningConfiguration")
    ]


# -- a dict given for one struct ("python": the bindings build the struct with `Struct(**d)`)

VERSIONING = "S3BucketVersioningA(self, 'v', bucket='b', versioning_configuration={})\n"


def test_a_struct_dict_with_python_keys_fits(index: ApiIndex) -> None:
    ok, report = check(
        index,
        VERSIONING.format("{'status': 'Enabled', 'mfa_delete': 'Disabled'}"),
        "versioning_configuration",
    )
    assert ok and report == ValueReport()


def test_a_camel_case_key_is_a_type_error_with_the_python_spelling(index: ApiIndex) -> None:
    _, report = check(
        index, VERSIONING.format("{'status': 'Enabled', 'mfaDelete': 'Disabled'}"), "versioning_configuration"
    )
    assert shape_texts(report) == [
        (
            "versioning_configuration",
            "is a dict turned into `S3BucketVersioningVersioningConfiguration(**dict)`, which has no field "
            "`mfaDelete` (the Python spelling is `mfa_delete`)",
        )
    ]
    assert report.missing == []


def test_an_unknown_key_without_a_python_spelling_gets_no_hint(index: ApiIndex) -> None:
    _, report = check(index, VERSIONING.format("{'Status': 'Enabled'}"), "versioning_configuration")
    assert [t for _, t in shape_texts(report)] == [
        "is a dict turned into `S3BucketVersioningVersioningConfiguration(**dict)`, "
        "which has no field `Status`"
    ]
    # `status` is absent too, but the misspelt key is the one mistake to report.
    assert report.missing == []


def test_a_required_field_left_out_of_a_struct_dict(index: ApiIndex) -> None:
    _, report = check(index, VERSIONING.format("{'mfa_delete': 'Disabled'}"), "versioning_configuration")
    assert not report.shape
    assert [(struct, names, where) for _, struct, names, where in report.missing] == [
        ("S3BucketVersioningVersioningConfiguration", ["status"], "versioning_configuration")
    ]


def test_the_fields_of_a_struct_dict_are_checked_in_turn(index: ApiIndex) -> None:
    _, report = check(index, VERSIONING.format("{'status': True}"), "versioning_configuration")
    assert shape_texts(report) == [("versioning_configuration.status", "is a boolean, but takes str")]


@pytest.mark.parametrize("value", ["{**defaults}", "{k: v for k, v in items}", "{key: 'Enabled'}"])
def test_a_dict_whose_keys_are_unknown_is_not_judged(index: ApiIndex, value: str) -> None:
    ok, report = check(index, VERSIONING.format(value), "versioning_configuration")
    assert ok and report == ValueReport()


# -- a dict inside a list ("kernel": passed as is, the JavaScript side reads camelCase keys)


def test_snake_case_keys_in_a_list_of_blocks_are_dropped_silently(index: ApiIndex) -> None:
    ok, report = check(
        index,
        "RouteTable(self, 'rt', vpc_id='v', route=[{'cidr_block': '0.0.0.0/0', 'gatewayId': igw}])\n",
        "route",
    )
    assert ok and not report.shape  # synth goes on: the value is lost, not refused
    [issue] = report.dicts
    assert (issue.struct, issue.where) == ("RouteTableRoute", "route[0]")
    assert issue.dropped_snake == [("cidr_block", "cidrBlock")]
    assert issue.dropped_unknown == [] and issue.missing_required == []
    assert issue.kept == {"gatewayId"}
    assert (
        isinstance(issue.values["cidr_block"], ast.Constant)
        and issue.values["cidr_block"].value == "0.0.0.0/0"
    )


def test_one_word_keys_arrive_and_missing_required_fields_are_named(index: ApiIndex) -> None:
    ok, report = check(
        index, "DynamodbTable(self, 't', name='n', attribute=[{'name': 'id', 'type': 'S'}])\n", "attribute"
    )
    assert ok and report == ValueReport()
    _, report = check(
        index,
        "DynamodbTable(self, 't', name='n', attribute=[{'attribute_name': 'id', 'type': 'S'}])\n",
        "attribute",
    )
    [issue] = report.dicts
    assert issue.dropped_unknown == ["attribute_name"] and issue.dropped_snake == []
    assert issue.missing_required == ["name"] and issue.kept == {"type"}


def test_the_values_that_arrive_in_a_block_are_checked(index: ApiIndex) -> None:
    ok, report = check(
        index,
        "SecurityGroup(self, 'sg', ingress=[{'from_port': 80, 'toPort': '80', 'protocol': 'tcp'}])\n",
        "ingress",
    )
    assert not ok
    assert shape_texts(report) == [("ingress[0].toPort", "is a string, but takes number")]
    [issue] = report.dicts
    assert issue.dropped_snake == [("from_port", "fromPort")] and issue.kept == {"toPort", "protocol"}


def test_a_block_built_by_a_comprehension_is_checked_through_its_element(index: ApiIndex) -> None:
    _, report = check(
        index, "RouteTable(self, 'rt', vpc_id='v', route=[{'cidr_block': c} for c in cidrs])\n", "route"
    )
    assert [(i.where, i.dropped_snake) for i in report.dicts] == [("route[0]", [("cidr_block", "cidrBlock")])]
