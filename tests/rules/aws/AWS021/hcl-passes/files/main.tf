variable "environment_suffix" {
  default = "dev"
}

provider "aws" {
  region = "us-east-1"
}

resource "aws_lb" "alb" {
  name               = "payments-alb-${var.environment_suffix}"
  load_balancer_type = "application"
}

resource "aws_s3_bucket" "reports" {
  bucket = "payment-reports-${var.environment_suffix}"
}
