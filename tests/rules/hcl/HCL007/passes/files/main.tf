provider "aws" {
  region = var.region
}

provider "aws" {
  alias  = "west"
  region = "us-west-2"
}

variable "region" {
  default = "us-east-1"
}

locals {
  versioning = "Enabled"
}

module "network" {
  source = "./modules/network"
}

data "aws_caller_identity" "me" {}

resource "aws_s3_bucket" "logs" {
  bucket = "app-logs-${data.aws_caller_identity.me.account_id}"
  tags = {
    Vpc = module.network.vpc_id
  }
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id
  versioning_configuration {
    status = local.versioning
  }
}

resource "aws_s3_bucket" "replica" {
  provider = aws.west
  bucket   = "app-logs-replica"
  policy   = <<-EOT
    {"Resource": "arn:aws:s3:::app/$${aws:username}/*"}
  EOT
}
