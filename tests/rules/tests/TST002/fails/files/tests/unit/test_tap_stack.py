import json

from cdktf import Testing

from lib.tap_stack import TapStack, bucket_name


def synthesized(**kwargs):
    stack = TapStack(Testing.app(), "TestTapStack", **kwargs)
    return json.loads(Testing.synth(stack))


def test_bucket_is_named_for_the_environment():
    buckets = synthesized(environment_suffix="test")["resource"]["aws_s3_bucket"]
    assert [b["bucket"] for b in buckets.values()] == ["data-test"]


def test_bucket_is_versioned():
    resources = synthesized()["resource"]
    assert "aws_s3_bucket_versioning" in resources  # expect: TST002


def test_empty_suffix_falls_back_to_dev():
    assert bucket_name("data", "") == "data-dev"  # expect: TST002
