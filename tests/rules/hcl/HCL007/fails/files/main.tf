provider "aws" {
  region = var.region
}

variable "region" {
  default = "us-east-1"
}

resource "aws_s3_bucket" "logs" {
  bucket = "app-logs-${var.environment}" # expect: HCL007
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.log.id # expect: HCL007
  versioning_configuration {
    status = local.versioning # expect: HCL007
  }
}

resource "aws_s3_bucket" "replica" {
  provider = aws.west # expect: HCL007
  bucket   = "app-logs-replica"
}

locals {
  regions   = { west = "us-west-2" }
  providers = { west = "aws.west" }
}

resource "aws_s3_bucket" "per_region" {
  for_each = local.regions
  provider = local.providers[each.key] # expect: HCL007
  bucket   = "app-${each.value}"
}

resource "aws_s3_bucket" "per_region_logs" {
  for_each = local.regions
  provider = local.providers[each.key]
  bucket   = "logs-${each.value}"
}
