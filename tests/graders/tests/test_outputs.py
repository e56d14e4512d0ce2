"""What an integration test reads: fakes, made-up names, the stack's outputs."""

from __future__ import annotations

import ast

from iacgrade.graders.tests.outputs import fakes, hard_coded, output_reads, reads_outputs, uses_aws


def test_moto_uses_are_found_where_they_fake() -> None:
    tree = ast.parse(
        "from moto import mock_dynamodb, mock_aws\n"
        "@mock_dynamodb\nclass TestA:\n    pass\n"
        "def test_b():\n    with mock_aws():\n        pass\n"
    )
    assert [(s.line, s.what) for s in fakes(tree)] == [(2, "`@mock_dynamodb`"), (6, "`with mock_aws()`")]


def test_a_moto_import_alone_is_where_it_fakes() -> None:
    assert [s.line for s in fakes(ast.parse("import boto3\nimport moto\n"))] == [2]
    assert fakes(ast.parse("import boto3\n")) == []


def test_made_up_names_regions_arns_and_account_ids() -> None:
    tree = ast.parse(
        '"""Docstring naming arn:aws:sqs:us-east-1:123456789012:q is prose."""\n'
        "c = boto3.client('dynamodb', region_name='us-east-1')\n"
        "c.describe_table(TableName='orders-prod')\n"
        "table_name = 'dr-payments-test'\n"
        "arn = 'arn:aws:sqs:us-east-1:123456789012:orders'\n"
        "account = '123456789012'\n"
        "iam.attach_role_policy(PolicyArn='arn:aws:iam::aws:policy/ReadOnlyAccess')\n"
        "iam.get_role(RoleName=outputs['role'])\n"
        "assert arn.startswith('arn:aws:sqs:')\n"
        "region = os.environ.get('AWS_REGION', 'us-east-1')\n"
    )
    assert [(s.line, s.what) for s in hard_coded(tree)] == [
        (2, "`region_name='us-east-1'`"),
        (3, "`TableName='orders-prod'`"),
        (4, "`table_name = 'dr-payments-test'`"),
        (5, "ARN `arn:aws:sqs:us-east-1:123456789012:orders`"),
        (6, "account id `123456789012`"),
    ]


def test_reading_outputs_and_the_keys_read() -> None:
    tree = ast.parse(
        "import boto3\n"
        "PATH = 'cfn-outputs/flat-outputs.json'\n"
        "outputs['_stack'] = name\n"
        "a = outputs['vpc_id']\n"
        "b = self.flat_outputs.get('queue_url')\n"
        "c = outputs.get('_stack')\n"
        "d = config['not_an_output']\n"
    )
    assert reads_outputs(tree) and uses_aws(tree)
    assert [(r.line, r.key) for r in output_reads(tree)] == [(4, "vpc_id"), (5, "queue_url")]
    assert not reads_outputs(ast.parse("x = json.load(open('config.json'))\n"))
