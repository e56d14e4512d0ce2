def lambda_handler(event, context):
    return {}


handler = lambda_handler
