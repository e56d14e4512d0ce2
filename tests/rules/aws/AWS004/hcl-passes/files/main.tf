provider "aws" {
  region = "us-east-1"
}

resource "aws_route53_zone" "migration_hosted_zone" {
  name = "migration-dev.internal"
}
