from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs):
        super().__init__(scope, construct_id)
        AwsProvider(self, "aws", region="us-east-1")
        S3Bucket(self, "payments", bucket="payments-dev")  # expect: REQ008
