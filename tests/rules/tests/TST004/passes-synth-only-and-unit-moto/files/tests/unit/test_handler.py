"""A unit test may fake AWS: it tests the handler's logic, not the deployment."""
import boto3
from moto import mock_aws


@mock_aws
def test_send_order():
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="orders-test")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="order-1")
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "order-1"
