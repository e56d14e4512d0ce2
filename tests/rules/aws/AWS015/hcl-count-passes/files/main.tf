provider "aws" {
  region = "us-east-1"
}

variable "replicas" {
  default = 2
}

variable "create_archive" {
  default = false
}

# Each instance's name carries its index or key.
resource "aws_s3_bucket" "logs" {
  count  = var.replicas
  bucket = "acme-access-logs-${count.index}"
}

resource "aws_s3_bucket" "data" {
  for_each = toset(["raw", "curated"])
  bucket   = "acme-data-${each.key}"
}

# `count = 0`: this bucket is not created, so the name below is free.
resource "aws_s3_bucket" "archive" {
  count  = var.create_archive ? 1 : 0
  bucket = "acme-archive"
}

resource "aws_s3_bucket" "archive_v2" {
  bucket = "acme-archive"
}
