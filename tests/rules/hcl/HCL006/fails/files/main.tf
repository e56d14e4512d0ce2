resource "aws_lb_target_group" "web" {
  name     = "web"
  port     = "http" # expect: HCL006
  protocol = "HTTP"
  vpc_id   = "vpc-123"
}

resource "aws_lb" "web" {
  name    = "web"
  subnets = "subnet-123" # expect: HCL006
}
