provider "aws" {
  region = "us-east-1"
}

resource "aws_s3_bucket" "data" {
  bucket = "data-dev"
}

resource "aws_iam_policy" "app_policy" {
  name = "p-dev"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:GetObject", "sqs:Receive*"], Resource = "*" }]
  })
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

data "aws_iam_policy_document" "doc" {
  statement {
    actions   = ["logs:PutLogEvents"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "inline" {
  role   = aws_iam_role.fn_role.id
  policy = data.aws_iam_policy_document.doc.json
}

resource "aws_iam_policy" "bucket_read" {
  name = "bucket_read-dev"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "s3:GetObject"
      Resource = "${replace(aws_s3_bucket.data.arn, "-", "")}/*"
    }]
  })
}

# A "}" inside a nested expression does not end the interpolation.
resource "aws_iam_policy" "nested" {
  name = "nested-dev"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "logs:PutLogEvents"
      Resource = join(":", [format("arn:aws:logs:%s", "us-east-1"), lookup({ a = "}" }, "a", "")])
    }]
  })
}
