provider "aws" {
  region = "us-east-1"
}

# example.com is reserved (RFC 2606): Route 53 refuses to create a public zone under it.
resource "aws_route53_zone" "migration_hosted_zone" {
  name = "migration-dev.example.com" # expect: AWS004
}
