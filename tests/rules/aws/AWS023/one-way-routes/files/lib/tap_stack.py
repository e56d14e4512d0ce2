"""Same-region peering accepted at creation, routed from one VPC only: replies never come back."""

from cdktf import S3Backend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.route_table import RouteTable, RouteTableRoute
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_peering_connection import VpcPeeringConnection
from constructs import Construct


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs):
        super().__init__(scope, construct_id)
        AwsProvider(self, "aws", region="us-east-1")
        S3Backend(self, bucket="b", key="k", region="us-east-1", encrypt=True, dynamodb_table="locks")
        app = Vpc(self, "app_vpc", cidr_block="10.0.0.0/16")
        shared = Vpc(self, "shared_vpc", cidr_block="10.2.0.0/16")
        peering = VpcPeeringConnection(  # expect: AWS023
            self, "peering", vpc_id=app.id, peer_vpc_id=shared.id, auto_accept=True
        )
        RouteTable(
            self,
            "app_rt",
            vpc_id=app.id,
            route=[RouteTableRoute(cidr_block="10.2.0.0/16", vpc_peering_connection_id=peering.id)],
        )
        RouteTable(self, "shared_rt", vpc_id=shared.id)
        TerraformOutput(self, "peering_id", value=peering.id)
