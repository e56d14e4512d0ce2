"""Integration tests reading the stack's outputs, one of which the stack does not export."""
import json
import os

import boto3
import pytest

OUTPUTS = os.path.join(os.path.dirname(__file__), "../../cfn-outputs/flat-outputs.json")


@pytest.fixture(scope="module")
def outputs():
    if not os.path.exists(OUTPUTS):
        pytest.skip("no deployment outputs")
    with open(OUTPUTS, encoding="utf-8") as f:
        return next(iter(json.load(f).values()))


def test_queue_url_answers(outputs):
    sqs = boto3.client("sqs")
    assert sqs.get_queue_attributes(QueueUrl=outputs["queue_url"], AttributeNames=["All"])


def test_dead_letter_queue(outputs):
    dlq_arn = outputs.get("dead_letter_queue_arn")  # expect: TST004
    assert dlq_arn.startswith("arn:aws:sqs:")
