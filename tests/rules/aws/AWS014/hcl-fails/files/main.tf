provider "aws" {
  region = "us-east-1"
}

resource "aws_sqs_queue" "queue" {
  name = "q-dev"
}

resource "aws_iam_role" "fn_role" {
  name = "r-dev"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_lambda_function" "processor" {
  function_name = "processor-dev"
  role          = aws_iam_role.fn_role.arn
  runtime       = "python3.12"
  handler       = "processor.lambda_handler"
  filename      = "lambda.zip"
}

resource "aws_iam_role_policy_attachment" "basic" {
  role       = aws_iam_role.fn_role.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_lambda_event_source_mapping" "queue_trigger" { # expect: AWS014
  event_source_arn = aws_sqs_queue.queue.arn
  function_name    = aws_lambda_function.processor.arn
}
