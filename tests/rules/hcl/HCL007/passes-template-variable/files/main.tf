# The task template's variables.tf declares aws_region and environment_suffix for every answer.
provider "aws" {
  region = var.aws_region
}

resource "aws_s3_bucket" "logs" {
  bucket = "logs-${var.environment_suffix}"
}
