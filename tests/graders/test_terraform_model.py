"""The typed view over synthesized Terraform JSON: resources, providers, references, sites."""

from __future__ import annotations

import ast

from iacgrade.graders.sites import construct_call
from iacgrade.graders.terraform_model import UNRESOLVED, TerraformModel

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


def test_a_construct_id_in_several_stack_classes_resolves_in_the_stacks_own_class() -> None:
    source = (
        "class {cls}(TerraformStack):\n"
        "    def __init__(self, scope, id):\n"
        "        super().__init__(scope, id)\n"
        '        S3Bucket(self, "docs", bucket="docs-{cls}")\n'
    )
    trees = {
        "stacks/primary.py": ast.parse(source.format(cls="PrimaryStack")),
        "stacks/secondary.py": ast.parse(source.format(cls="SecondaryStack")),
    }
    first = construct_call(trees, "docs")
    assert first is not None and first[0] == "stacks/primary.py"
    own = construct_call(trees, "docs", ("stacks/secondary.py", "SecondaryStack"))
    assert own is not None and own[0] == "stacks/secondary.py"
    # A class that holds no such construct (it comes from a helper): the first match stands.
    helper = construct_call(trees, "docs", ("stacks/global.py", "GlobalStack"))
    assert helper is not None and helper[0] == "stacks/primary.py"


def test_masked_replaces_each_interpolation_whole_and_leaves_an_open_one() -> None:
    from iacgrade.graders.terraform_model import MASK, masked

    raw = '"${replace(aws_s3_bucket.b.arn, "}", "")}/*"'
    assert masked(raw) == f'"{MASK}/*"'
    escaped = '"${replace(aws_s3_bucket.b.arn, \\"-\\", \\"\\")}" and ${lookup({a = "${var.x}"}, "a")}'
    assert masked(escaped) == f'"{MASK}" and {MASK}'
    assert masked("${unclosed(") == "${unclosed("
