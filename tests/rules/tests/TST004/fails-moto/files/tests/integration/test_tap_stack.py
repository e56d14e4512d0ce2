"""Integration tests run against moto's fake SQS."""
import boto3
from moto import mock_aws


@mock_aws  # expect: TST004
class TestQueue:
    def test_queue_round_trip(self):
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="orders-test")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="order-1")
        messages = sqs.receive_message(QueueUrl=url)["Messages"]
        assert messages[0]["Body"] == "order-1"
