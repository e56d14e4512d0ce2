from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs):
        super().__init__(scope, construct_id)
        AwsProvider(self, "aws", region="us-east-1")
        data = S3Bucket(self, "data", bucket="data-dev", force_destroy=True)
        S3BucketVersioningA(
            self,
            "data_versioning",
            bucket=data.id,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(  # expect: REQ008
                status="Enabled", mfa_delete="Enabled"
            ),
        )
