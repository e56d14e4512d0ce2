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
  handler       = "processor.lambda_handler"
  filename      = data.archive_file.code.output_path
}

# The module is renamed inside the zip.
data "archive_file" "renamed" {
  type        = "zip"
  output_path = "build/renamed.zip"

  source {
    content  = file("${path.module}/lambda/processor.py")
    filename = "index.py"
  }
}

resource "aws_lambda_function" "renamed" {
  function_name = "renamed-dev"
  role          = aws_iam_role.fn_role.arn
  runtime       = "python3.12"
  handler       = "index.lambda_handler"
  filename      = data.archive_file.renamed.output_path
}

# `handler = lambda_handler` at the top of the module.
data "archive_file" "assigned" {
  type        = "zip"
  source_file = "lambda/assigned.py"
  output_path = "build/assigned.zip"
}

resource "aws_lambda_function" "assigned" {
  function_name = "assigned-dev"
  role          = aws_iam_role.fn_role.arn
  runtime       = "python3.12"
  handler       = "assigned.handler"
  filename      = data.archive_file.assigned.output_path
}

# Not in the answer: a missing package is not a handler problem.
resource "aws_lambda_function" "placeholder" {
  function_name = "placeholder-dev"
  role          = aws_iam_role.fn_role.arn
  runtime       = "python3.12"
  handler       = "index.handler"
  filename      = "placeholder.zip"
}
