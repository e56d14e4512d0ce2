variable "port" {
  default = 80
}

resource "aws_lb_target_group" "web" {
  name     = "web"
  port     = "80"
  protocol = "HTTP"
  vpc_id   = "vpc-123"
}

resource "aws_lb_target_group" "api" {
  name     = "api"
  port     = var.port
  protocol = "HTTP"
  vpc_id   = "vpc-123"
}

resource "aws_lb" "web" {
  name     = "web"
  subnets  = ["subnet-123", "subnet-456"]
  internal = "true"
}
