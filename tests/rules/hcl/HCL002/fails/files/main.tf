resource "aws_s3_bucket" "data" {
  bucket = "app-data"
}

resource "aws_s3_bucket_encryption" "data" { # expect: HCL002
  bucket = aws_s3_bucket.data.id
}

data "aws_caller_identities" "me" {} # expect: HCL002
