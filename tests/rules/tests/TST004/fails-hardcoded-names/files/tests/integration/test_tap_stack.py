"""Integration tests that look the queue up by a name written here."""
import boto3


def test_queue_exists():
    sqs = boto3.client("sqs", region_name="us-east-1")  # expect: TST004
    url = sqs.get_queue_url(QueueName="orders-dev")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    assert attributes["Attributes"]["QueueArn"] == "arn:aws:sqs:us-east-1:123456789012:orders-dev"
