from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct
from cdktf_cdktf_provider_aws.rds_cluster import RdsCluster


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs):
        super().__init__(scope, construct_id)
        AwsProvider(self, "aws", region="us-east-1")
        RdsCluster(
            self,
            "cluster",
            engine="aurora-postgresql",
            master_username="app",
            manage_master_user_password=True,
            skip_final_snapshot=True,
            deletion_protection=True,
        )
