"""Unit tests for TapStack."""
import json

from cdktf import App, Testing

from lib.tap_stack import TapStack


def synthesized():
    stack = TapStack(App(), "TestStack", environment_suffix="test")
    return json.loads(Testing.synth(stack))


def test_queue_named_with_suffix():
    queues = synthesized()["resource"]["aws_sqs_queue"]
    assert [q["name"] for q in queues.values()] == ["orders-test"]


def test_outputs_exported():
    assert set(synthesized()["output"]) == {"queue_url", "queue_name"}
