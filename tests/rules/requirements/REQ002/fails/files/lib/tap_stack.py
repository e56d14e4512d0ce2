from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct
from cdktf_cdktf_provider_aws.db_instance import DbInstance


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs):
        super().__init__(scope, construct_id)
        AwsProvider(self, "aws", region="us-east-1")
        DbInstance(  # expect: REQ002
            self,
            "db",
            engine="postgres",
            instance_class="db.t3.medium",
            allocated_storage=20,
            skip_final_snapshot=True,
        )
