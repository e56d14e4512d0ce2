from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs):
        super().__init__(scope, construct_id)
        AwsProvider(self, "aws", region="us-east-1")
        secondary_region = "us-west-2"
        secondary = AwsProvider(  # expect: REQ001
            self,
            "aws_secondary",
            region=secondary_region,
            alias="secondary",
        )
        S3Bucket(self, "data", bucket="data-dev")
        S3Bucket(self, "replica", bucket="replica-dev", provider=secondary)
        TerraformOutput(self, "bucket", value="data-dev")
