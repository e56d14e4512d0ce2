variable "sizes" {
  default = [20, 30]
}

resource "aws_instance" "web" {
  count         = 2
  ami           = "ami-12345678"
  instance_type = "t3.micro"
  depends_on    = [aws_security_group.web]
  tags = {
    Name = "web-${count.index}"
  }
  root_block_device {
    volume_size = var.sizes[count.index]
  }
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "web" {
  name = "web"
  dynamic "ingress" {
    for_each = [80, 443]
    content {
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = ["10.0.0.0/8"]
    }
  }
}
