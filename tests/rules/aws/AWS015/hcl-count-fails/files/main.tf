provider "aws" {
  region = "us-east-1"
}

variable "replicas" {
  default = 2
}

# Every instance of the count gets the same literal name: the second bucket cannot be created.
resource "aws_s3_bucket" "logs" {
  count  = var.replicas
  bucket = "acme-access-logs" # expect: AWS015
}
