"""Fargate tasks in subnets left on the VPC's main route table: they cannot pull their image."""

import json

from cdktf import S3Backend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.ecs_cluster import EcsCluster
from cdktf_cdktf_provider_aws.ecs_service import EcsService, EcsServiceNetworkConfiguration
from cdktf_cdktf_provider_aws.ecs_task_definition import EcsTaskDefinition
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.route_table import RouteTable, RouteTableRoute
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from constructs import Construct


class TapStack(TerraformStack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs):
        super().__init__(scope, construct_id)
        AwsProvider(self, "aws", region="us-east-1")
        S3Backend(self, bucket="b", key="k", region="us-east-1", encrypt=True, dynamodb_table="locks")
        vpc = Vpc(self, "vpc", cidr_block="10.0.0.0/16")
        public = Subnet(self, "public", vpc_id=vpc.id, cidr_block="10.0.0.0/24", map_public_ip_on_launch=True)
        igw = InternetGateway(self, "igw", vpc_id=vpc.id)
        public_rt = RouteTable(
            self, "public_rt", vpc_id=vpc.id, route=[RouteTableRoute(cidr_block="0.0.0.0/0", gateway_id=igw.id)]
        )
        RouteTableAssociation(self, "public_rta", subnet_id=public.id, route_table_id=public_rt.id)
        private = [
            Subnet(self, f"private_{i}", vpc_id=vpc.id, cidr_block=f"10.0.{i + 10}.0/24") for i in range(2)
        ]
        sg = SecurityGroup(self, "task_sg", vpc_id=vpc.id, name="task-sg-dev")
        cluster = EcsCluster(self, "cluster", name="app-dev")
        task = EcsTaskDefinition(
            self,
            "task",
            family="app-dev",
            cpu="256",
            memory="512",
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            container_definitions=json.dumps([{"name": "web", "image": "nginx:latest", "essential": True}]),
        )
        EcsService(
            self,
            "service",
            name="app-dev",
            cluster=cluster.id,
            task_definition=task.arn,
            desired_count=1,
            launch_type="FARGATE",
            network_configuration=EcsServiceNetworkConfiguration(  # expect: AWS022
                subnets=[s.id for s in private], security_groups=[sg.id], assign_public_ip=False
            ),
        )
        TerraformOutput(self, "cluster_name", value=cluster.name)
