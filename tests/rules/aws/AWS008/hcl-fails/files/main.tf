provider "aws" {
  region = "us-east-1"
}

resource "aws_iam_role" "fn_role" {
  name = "fn-role-dev"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

data "archive_file" "code" {
  type        = "zip"
  source_dir  = "${path.module}/lambda"
  output_path = "${path.module}/build/code.zip"
}

resource "aws_lambda_function" "processor" {
  function_name = "processor-dev"
  role          = aws_iam_role.fn_role.arn
  runtime       = "python3.12"
  handler       = "index.handler" # expect: AWS008
  filename      = data.archive_file.code.output_path
}

resource "aws_lambda_function" "other" {
  function_name = "other-dev"
  role          = aws_iam_role.fn_role.arn
  runtime       = "python3.12"
  handler       = "processor.main" # expect: AWS008
  filename      = data.archive_file.code.output_path
}

# The file keeps its own name inside the zip.
data "archive_file" "single" {
  type        = "zip"
  source_file = "lambda/handler.py"
  output_path = "build/single.zip"
}

resource "aws_lambda_function" "dup_a" {
  function_name = "dup_a-dev"
  role          = aws_iam_role.fn_role.arn
  runtime       = "python3.12"
  handler       = "index.handler" # expect: AWS008
  filename      = data.archive_file.single.output_path
}

resource "aws_lambda_function" "dup_b" {
  function_name = "dup_b-dev"
  role          = aws_iam_role.fn_role.arn
  runtime       = "python3.12"
  handler       = "index.handler"
  filename      = data.archive_file.single.output_path
}
