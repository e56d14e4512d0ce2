provider "aws" {
  region = "us-east-1"
}

locals {
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
  function_name = "processor-dev"
  role          = aws_iam_role.fn_role.arn
  runtime       = "python3.12"
  handler       = "processor.lambda_handler"
  filename      = "lambda.zip"

  environment {
    variables = {
      REGION = local.region
    }
  }
}

resource "aws_rds_cluster" "cluster" {
  engine              = "aurora-postgresql"
  master_username     = "dbadmin"
  skip_final_snapshot = true
}
