"""Unit tests importing a stack class the answer never wrote."""
from cdktf import App, Testing

from lib.tap_stack import DeadLetterStack, TapStack  # expect: TST005 (High)


def test_both_stacks_synthesize():
    app = App()
    assert Testing.synth(TapStack(app, "a")) and Testing.synth(DeadLetterStack(app, "b"))
