provider "aws" {
  region = "us-east-1"
}

resource "aws_security_group" "bastion" {
  name        = "bastion"
  description = "SSH from the office only"
  ingress {
    description = "ssh"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["10.20.0.0/16"]
  }
}
