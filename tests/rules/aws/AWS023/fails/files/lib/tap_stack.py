"""Cross-region peering nobody accepts, and no route through it."""

from cdktf import S3Backend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_peering_connection import VpcPeeringConnection
from constructs import Construct


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs):
        super().__init__(scope, construct_id)
        primary = AwsProvider(self, "aws", region="us-east-1")
        secondary = AwsProvider(self, "aws_secondary", region="us-west-2", alias="secondary")
        S3Backend(self, bucket="b", key="k", region="us-east-1", encrypt=True, dynamodb_table="locks")
        vpc_a = Vpc(self, "vpc_primary", cidr_block="10.0.0.0/16", provider=primary)
        vpc_b = Vpc(self, "vpc_secondary", cidr_block="10.1.0.0/16", provider=secondary)
        RouteTable(self, "rt_primary", vpc_id=vpc_a.id, provider=primary)
        RouteTable(self, "rt_secondary", vpc_id=vpc_b.id, provider=secondary)
        peering = VpcPeeringConnection(
            self,
            "peering",
            vpc_id=vpc_a.id,
            peer_vpc_id=vpc_b.id,
            peer_region="us-west-2",
            auto_accept=False,  # expect: AWS023
            provider=primary,
        )
        TerraformOutput(self, "peering_id", value=peering.id)
