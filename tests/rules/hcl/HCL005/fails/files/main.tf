resource "aws_s3_bucket" "data" {
  bucket = "app-data"
  tags { # expect: HCL005
    Name = "data"
  }
}

resource "aws_s3_bucket_versioning" "data" {
  bucket = aws_s3_bucket.data.id
  versioning_configuration = { # expect: HCL005
    status = "Enabled"
  }
}
