resource "aws_s3_bucket" "data" {
  bucket = "app-data"
}

resource "aws_s3_bucket_versioning" "data" { # expect: HCL004
  bucket = aws_s3_bucket.data.id
}
