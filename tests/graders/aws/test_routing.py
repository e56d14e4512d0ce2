"""The VPC routing graph rules read (iacgrade/graders/aws/routing.py): what it concludes, and where it
refuses to."""

from __future__ import annotations

from typing import Any

from iacgrade.graders.aws.routing import endpoint_services, leaves_vpc, subnet_tables, table_routes
from iacgrade.graders.terraform_model import TerraformModel


def _stack(resources: dict[str, dict[str, Any]]) -> Any:
    return TerraformModel({"s": {"resource": resources}}).stacks["s"]


VPC = {"aws_vpc": {"v": {"cidr_block": "10.0.0.0/16"}}}
SUBNET = {"aws_subnet": {"a": {"vpc_id": "${aws_vpc.v.id}", "cidr_block": "10.0.1.0/24"}}}


def test_a_subnet_without_association_uses_the_vpcs_own_main_table() -> None:
    stack = _stack({**VPC, **SUBNET})
    assert subnet_tables(stack, stack.resource("aws_subnet.a")) == []


def test_the_main_table_the_answer_sets_replaces_the_implicit_one() -> None:
    stack = _stack(
        {
            **VPC,
            **SUBNET,
            "aws_route_table": {"main": {"vpc_id": "${aws_vpc.v.id}"}},
            "aws_main_route_table_association": {
                "m": {"vpc_id": "${aws_vpc.v.id}", "route_table_id": "${aws_route_table.main.id}"}
            },
        }
    )
    assert subnet_tables(stack, stack.resource("aws_subnet.a")) == [stack.resource("aws_route_table.main")]


def test_an_association_of_a_subnet_the_json_does_not_show_leaves_every_subnet_unjudged() -> None:
    stack = _stack(
        {
            **VPC,
            **SUBNET,
            "aws_route_table": {"rt": {"vpc_id": "${aws_vpc.v.id}"}},
            "aws_route_table_association": {
                "x": {
                    "subnet_id": "${data.terraform_remote_state.net.outputs.subnet}",
                    "route_table_id": "${aws_route_table.rt.id}",
                }
            },
        }
    )
    assert subnet_tables(stack, stack.resource("aws_subnet.a")) is None


def test_routes_are_told_apart_by_what_their_gateway_is() -> None:
    stack = _stack(
        {
            **VPC,
            "aws_internet_gateway": {"igw": {"vpc_id": "${aws_vpc.v.id}"}},
            "aws_nat_gateway": {"nat": {"subnet_id": "x", "allocation_id": "y"}},
            "aws_route_table": {
                "rt": {
                    "vpc_id": "${aws_vpc.v.id}",
                    "route": [{"cidr_block": "0.0.0.0/0", "gateway_id": "${aws_internet_gateway.igw.id}"}],
                }
            },
            "aws_route": {
                "to_nat": {
                    "route_table_id": "${aws_route_table.rt.id}",
                    "destination_cidr_block": "10.9.0.0/16",
                    "nat_gateway_id": "${aws_nat_gateway.nat.id}",
                }
            },
        }
    )
    routes = table_routes(stack, stack.resource("aws_route_table.rt"))
    assert routes is not None
    assert [(r.kind, r.destination, leaves_vpc(r)) for r in routes] == [
        ("igw", "0.0.0.0/0", True),
        # A NAT route to a private range reaches no AWS endpoint.
        ("nat", "10.9.0.0/16", False),
    ]


def test_an_all_null_inline_route_makes_the_table_unreadable() -> None:
    stack = _stack(
        {**VPC, "aws_route_table": {"rt": {"vpc_id": "${aws_vpc.v.id}", "route": [{"cidr_block": None}]}}}
    )
    assert table_routes(stack, stack.resource("aws_route_table.rt")) is None


def test_interface_endpoints_serve_the_vpc_and_gateway_endpoints_their_tables() -> None:
    stack = _stack(
        {
            **VPC,
            "aws_route_table": {"a": {"vpc_id": "${aws_vpc.v.id}"}, "b": {"vpc_id": "${aws_vpc.v.id}"}},
            "aws_vpc_endpoint": {
                "ddb": {
                    "vpc_id": "${aws_vpc.v.id}",
                    "service_name": "com.amazonaws.us-east-1.dynamodb",
                    "route_table_ids": ["${aws_route_table.a.id}"],
                },
                "ecr": {
                    "vpc_id": "${aws_vpc.v.id}",
                    "service_name": "com.amazonaws.${data.aws_region.r.name}.ecr.dkr",
                    "vpc_endpoint_type": "Interface",
                },
            },
        }
    )
    vpc = stack.resource("aws_vpc.v")
    assert endpoint_services(stack, vpc, [stack.resource("aws_route_table.a")]) == {"dynamodb", "ecr.dkr"}
    assert endpoint_services(stack, vpc, [stack.resource("aws_route_table.b")]) == {"ecr.dkr"}
