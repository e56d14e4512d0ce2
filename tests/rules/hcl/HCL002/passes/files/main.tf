resource "aws_s3_bucket" "data" {
  bucket = "app-data"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  bucket = aws_s3_bucket.data.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}

# Another provider's types are not checked against the AWS schema.
resource "random_id" "suffix" {
  byte_length = 4
}

data "aws_caller_identity" "me" {}
