from lib.lambda.handler.index import handler  # expect: TST002


def test_handler_echoes_the_body():
    assert handler({"body": "hi"}, None) == {"statusCode": 200, "body": "hi"}
