"""Integration tests: the deployed queue, found through the stack's outputs."""
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


def test_queue_exists(outputs):
    sqs = boto3.client("sqs", region_name=os.environ.get("AWS_REGION", "us-east-1"))
    attributes = sqs.get_queue_attributes(QueueUrl=outputs["queue_url"], AttributeNames=["QueueArn"])
    assert attributes["Attributes"]["QueueArn"].endswith(outputs.get("queue_name"))
