"""Unit tests that check something, each in its own way."""
import json
import unittest
from unittest import mock

import pytest
from cdktf import App, Testing

from lib.tap_stack import TapStack


def synthesized(**kwargs):
    return json.loads(Testing.synth(TapStack(App(), "TestStack", **kwargs)))


def check_queue_name(resources, name):
    assert [q["name"] for q in resources["aws_sqs_queue"].values()] == [name]


def test_with_a_helper_that_asserts():
    check_queue_name(synthesized(environment_suffix="qa")["resource"], "orders-qa")


def test_matcher_result_asserted():
    assert Testing.to_be_valid_terraform(Testing.full_synth(TapStack(App(), "TestStack")))


def test_expects_an_error():
    with pytest.raises(TypeError):
        TapStack(App())


def test_fails_on_purpose_when_missing():
    if "output" not in synthesized():
        pytest.fail("the stack exports nothing")


def test_mock_assertion():
    publish = mock.Mock()
    publish("orders")
    publish.assert_called_once_with("orders")


@pytest.mark.skip(reason="written before the queue existed")
def test_not_run():
    assert True


class TestWithUnittest(unittest.TestCase):
    def test_outputs(self):
        self.assertIn("queue_url", synthesized()["output"])

    def _check_region(self, region):
        self.assertEqual(synthesized(aws_region=region)["provider"]["aws"][0]["region"], region)

    def test_region_through_a_method(self):
        self._check_region("eu-west-1")
