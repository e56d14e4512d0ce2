"""No NAT gateway, but a DynamoDB gateway endpoint on the private route table serves the table."""

import json

from cdktf import S3Backend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable, DynamodbTableAttribute
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.lambda_function import (
    LambdaFunction,
    LambdaFunctionEnvironment,
    LambdaFunctionVpcConfig,
)
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
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
        private_rt = RouteTable(self, "private_rt", vpc_id=vpc.id)
        for i, subnet in enumerate(private):
            RouteTableAssociation(self, f"private_rta_{i}", subnet_id=subnet.id, route_table_id=private_rt.id)
        VpcEndpoint(
            self,
            "dynamodb_endpoint",
            vpc_id=vpc.id,
            service_name="com.amazonaws.us-east-1.dynamodb",
            vpc_endpoint_type="Gateway",
            route_table_ids=[private_rt.id],
        )
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
