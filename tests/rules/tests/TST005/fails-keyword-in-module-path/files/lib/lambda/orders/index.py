"""The order handler the stack packages for Lambda."""
import json


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"orders": len(event.get("Records", []))})}
