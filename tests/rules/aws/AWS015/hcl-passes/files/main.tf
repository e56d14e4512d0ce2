provider "aws" {
  region = var.primary_region
}

provider "aws" {
  alias  = "secondary"
  region = var.secondary_region
}

variable "primary_region" {
  default = "us-east-1"
}

variable "secondary_region" {
  default = "us-west-2"
}

# Log group names are per region: one name in each of two regions is two log groups.
resource "aws_cloudwatch_log_group" "app" {
  name = "/app/service"
}

resource "aws_cloudwatch_log_group" "app_secondary" {
  provider = aws.secondary
  name     = "/app/service"
}
