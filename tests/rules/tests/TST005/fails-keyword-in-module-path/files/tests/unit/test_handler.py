"""Unit tests of the Lambda handler."""
from lib.lambda.orders.index import handler  # expect: TST005 (High)


def test_counts_records():
    assert handler({"Records": [{}, {}]}, None)["body"] == '{"orders": 2}'
