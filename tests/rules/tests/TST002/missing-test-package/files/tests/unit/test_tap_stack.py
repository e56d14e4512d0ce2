"""Mocks S3 with moto, which the answer's requirements name and the sandbox does not install."""
import boto3
from moto import mock_aws


@mock_aws
def test_bucket_can_be_created():
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="data-test")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["data-test"]
