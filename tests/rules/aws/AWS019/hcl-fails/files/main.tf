provider "aws" {
  region = "us-east-1"
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
  function_name = "p-dev"
  role          = aws_iam_role.fn_role.arn
  handler       = "processor.lambda_handler"
  filename      = "lambda.zip"
  runtime       = "python3.7" # expect: AWS019
}
