"""Reads the deployed stack's outputs: an integration test, which is never run in the sandbox."""
import json


def test_deployed_bucket_exists():
    with open("cfn-outputs/flat-outputs.json", encoding="utf-8") as handle:
        outputs = json.load(handle)
    assert outputs["bucket_name"].startswith("data-")
