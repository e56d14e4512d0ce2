"""Unit tests for TapStack: one real, three that check nothing about the stack."""
import json

from cdktf import App, Testing

from lib.tap_stack import TapStack


def test_queue_named_with_suffix():
    stack = TapStack(App(), "TestStack", environment_suffix="test")
    queues = json.loads(Testing.synth(stack))["resource"]["aws_sqs_queue"]
    assert [q["name"] for q in queues.values()] == ["orders-test"]


class TestStackStructure:
    def test_stack_instantiates(self):  # expect: TST003 (Low)
        stack = TapStack(App(), "TestStack")
        assert stack is not None
        assert hasattr(stack, "queue")

    def test_valid_terraform(self):
        stack = TapStack(App(), "TestStack")
        Testing.to_be_valid_terraform(Testing.full_synth(stack))

    def test_synth_runs(self):
        Testing.synth(TapStack(App(), "TestStack"))
