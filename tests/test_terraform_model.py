"""The typed view over synthesized Terraform JSON: resources, providers, references, sites."""

from __future__ import annotations

from graders.terraform import UNRESOLVED, TerraformModel

STACK = {
    "provider": {"aws": [{"region": "us-east-1"}, {"alias": "west", "region": "us-west-2"}]},
    "terraform": {"backend": {"s3": {"bucket": "b", "key": "k"}}},
    "variable": {"env": {"type": "string", "default": "dev"}},
    "output": {"vpc_id": {"value": "${aws_vpc.main.id}"}},
    "resource": {
        "aws_vpc": {
            "main": {"//": {"metadata": {"path": "TapStack/network/main_vpc"}}, "cidr_block": "10.0.0.0/16"}
        },
        "aws_subnet": {
            "a": {
                "vpc_id": "${aws_vpc.main.id}",
                "cidr_block": "${aws_vpc.main.cidr_block}",
                "provider": "aws.west",
                "tags": {"Name": "app-${var.env}"},
            }
        },
    },
    "data": {"aws_region": {"current": {}}},
}


def test_resources_providers_backend_outputs() -> None:
    model = TerraformModel({"TapStack": STACK})
    stack = model.stacks["TapStack"]
    assert [r.address for _s, r in model.resources()] == ["aws_subnet.a", "aws_vpc.main"]
    assert stack.backend == ("s3", {"bucket": "b", "key": "k"})
    assert list(stack.outputs) == ["vpc_id"]
    subnet = stack.resource("aws_subnet.a")
    assert subnet is not None and stack.region_of(subnet) == "us-west-2"
    vpc = stack.resource("aws_vpc.main")
    assert vpc is not None and vpc.construct_id == "main_vpc"
    assert stack.resource("data.aws_region.current") is not None


def test_references_resolve_to_literal_attributes() -> None:
    stack = TerraformModel({"TapStack": STACK}).stacks["TapStack"]
    subnet = stack.resource("aws_subnet.a")
    assert subnet is not None
    assert stack.literal(subnet, "cidr_block") == "10.0.0.0/16"
    assert stack.literal(subnet, "vpc_id") is UNRESOLVED  # ids exist only after apply
    assert stack.resolve(subnet.get("tags")) == {"Name": "app-dev"}
    assert stack.literal(subnet, "missing") is None
    assert stack.references(subnet.config) == {"aws_vpc.main"}
    assert stack.resolve("${element(aws_vpc.main.*.id, 0)}") is UNRESOLVED
