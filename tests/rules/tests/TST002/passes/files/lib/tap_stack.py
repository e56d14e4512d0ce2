from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from constructs import Construct


def bucket_name(prefix: str, suffix: str) -> str:
    if not suffix:
        raise ValueError("environment_suffix must not be empty")
    return f"{prefix}-{suffix}"


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, construct_id: str, environment_suffix: str = "dev", **kwargs):
        super().__init__(scope, construct_id)
        AwsProvider(self, "aws", region="us-east-1")
        self.bucket = S3Bucket(self, "data", bucket=bucket_name("data", environment_suffix))
        TerraformOutput(self, "bucket_name", value=self.bucket.bucket)
