variable "environment_suffix" {
  default = "dev"
}

provider "aws" {
  region = "us-east-1"
}

resource "aws_lb" "alb" {
  name               = "payment-processing-alb-us-east-1-${var.environment_suffix}" # expect: AWS021
  load_balancer_type = "application"
}

resource "aws_s3_bucket" "reports" {
  bucket = "Payment_Reports-${var.environment_suffix}" # expect: AWS021
}
