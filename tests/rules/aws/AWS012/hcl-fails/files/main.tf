provider "aws" {
  region = "us-east-1"
}

resource "aws_s3_bucket" "data" {
  bucket = "data-dev"
}

resource "aws_iam_policy" "app_policy" {
  name = "p-dev"
  policy = jsonencode({ # expect: AWS012
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:GetObjects"], Resource = "*" }]
  })
}

# No Principal: nobody may assume the role.
resource "aws_iam_role" "fn_role" {
  name = "r-dev"
  assume_role_policy = jsonencode({ # expect: AWS012
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy" "inline" {
  role   = aws_iam_role.fn_role.id
  policy = "{Statement: []" # expect: AWS012
}

# The reference is fine once Terraform evaluates it; the Effect is not.
resource "aws_iam_policy" "bucket_write" {
  name = "bucket_write-dev"
  policy = jsonencode({ # expect: AWS012
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allowed"
      Action   = "s3:PutObject"
      Resource = "${replace(aws_s3_bucket.data.arn, "-", "")}/*"
    }]
  })
}
