"""The same function, its private route table sending 0.0.0.0/0 to a NAT gateway."""

import json

from cdktf import S3Backend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable, DynamodbTableAttribute
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.lambda_function import (
    LambdaFunction,
    LambdaFunctionEnvironment,
    LambdaFunctionVpcConfig,
)
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
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
        private = [
            Subnet(self, f"private_{i}", vpc_id=vpc.id, cidr_block=f"10.0.{i + 10}.0/24") for i in range(2)
        ]
        public = Subnet(self, "public", vpc_id=vpc.id, cidr_block="10.0.0.0/24", map_public_ip_on_launch=True)
        igw = InternetGateway(self, "igw", vpc_id=vpc.id)
        public_rt = RouteTable(self, "public_rt", vpc_id=vpc.id)
        Route(self, "public_default", route_table_id=public_rt.id, destination_cidr_block="0.0.0.0/0", gateway_id=igw.id)
        RouteTableAssociation(self, "public_rta", subnet_id=public.id, route_table_id=public_rt.id)
        nat = NatGateway(self, "nat", allocation_id=Eip(self, "nat_eip", domain="vpc").id, subnet_id=public.id)
        private_rt = RouteTable(self, "private_rt", vpc_id=vpc.id)
        Route(self, "private_default", route_table_id=private_rt.id, destination_cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)
        for i, subnet in enumerate(private):
            RouteTableAssociation(self, f"private_rta_{i}", subnet_id=subnet.id, route_table_id=private_rt.id)
        sg = SecurityGroup(self, "fn_sg", vpc_id=vpc.id, name="fn-sg-dev")
        table = DynamodbTable(
            self,
            "orders",
            name="orders-dev",
            billing_mode="PAY_PER_REQUEST",
            hash_key="id",
            attribute=[DynamodbTableAttribute(name="id", type="S")],
        )
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
        }
        role = IamRole(self, "fn_role", name="orders-fn-dev", assume_role_policy=json.dumps(trust))
        IamRolePolicyAttachment(
            self,
            "vpc_access",
            role=role.name,
            policy_arn="arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
        )
        LambdaFunction(
            self,
            "orders_fn",
            function_name="orders-dev",
            role=role.arn,
            runtime="python3.12",
            handler="index.handler",
            filename="lambda.zip",
            environment=LambdaFunctionEnvironment(variables={"TABLE_NAME": table.name}),
            vpc_config=LambdaFunctionVpcConfig(
                subnet_ids=[s.id for s in private], security_group_ids=[sg.id]
            ),
        )
        TerraformOutput(self, "table", value=table.name)
