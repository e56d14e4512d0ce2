resource "aws_s3_bucket" "data" {
  bucket = "app-data"
  tags = {
    Name = "data"
  }
}

resource "aws_s3_bucket_versioning" "data" {
  bucket = aws_s3_bucket.data.id
  versioning_configuration {
    status = "Enabled"
  }
}

# A list of objects for a block the provider also takes in that form.
resource "aws_security_group" "web" {
  name = "web"
  ingress = [{
    from_port        = 443
    to_port          = 443
    protocol         = "tcp"
    cidr_blocks      = ["10.0.0.0/8"]
    description      = "https"
    ipv6_cidr_blocks = []
    prefix_list_ids  = []
    security_groups  = []
    self             = false
  }]
}
