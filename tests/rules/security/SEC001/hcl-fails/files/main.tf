provider "aws" {
  region = "us-east-1"
}

resource "aws_security_group" "bastion" { # expect: SEC:CKV_AWS_24
  name        = "bastion"
  description = "SSH from anywhere"
  ingress {
    description = "ssh"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
