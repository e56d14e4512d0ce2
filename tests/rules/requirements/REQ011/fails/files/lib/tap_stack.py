from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs):
        super().__init__(scope, construct_id)
        AwsProvider(self, "aws", region="us-east-1")
        secondary = AwsProvider(self, "aws_secondary", region="us-west-2", alias="secondary")
        S3Bucket(self, "transaction_logs", bucket="transaction-logs-dev")  # expect: REQ011
        S3Bucket(self, "transaction_logs_replica", bucket="transaction-logs-replica-dev", provider=secondary)
