"""Shared test data."""

RECORDS = [{"body": "order-1"}, {"body": "order-2"}]
