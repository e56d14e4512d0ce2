import json

from cdktf import Testing

from lib.tap_stack import TapStack


def synthesized(**kwargs):
    stack = TapStack(Testing.app(), "TestTapStack", **kwargs)
    return json.loads(Testing.synth(stack))


def test_bucket_is_named_for_the_environment():
    buckets = synthesized(environment_suffix="test")["resource"]["aws_s3_bucket"]
    assert [b["bucket"] for b in buckets.values()] == ["data-test"]


def test_stack_declares_its_bucket_output():
    assert "bucket_name" in synthesized()["output"]
