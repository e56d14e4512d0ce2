provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "primary_vpc" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_security_group" "db_sg" {
  vpc_id = aws_vpc.primary_vpc.id

  ingress {
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = [aws_vpc.primary_vpc.cidr_block]
    description = "a"
  }

  ingress {
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = ["10.1.0.0/16"]
    description = "b"
  }
}

resource "aws_security_group" "app_sg" {
  vpc_id = aws_vpc.primary_vpc.id
}

resource "aws_security_group_rule" "app_https" {
  type              = "ingress"
  security_group_id = aws_security_group.app_sg.id
  from_port         = 443
  to_port           = 443
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
}

# "6" is tcp by its protocol number.
resource "aws_security_group_rule" "app_https_again" {
  type              = "ingress"
  security_group_id = aws_security_group.app_sg.id
  from_port         = 443
  to_port           = 443
  protocol          = "6"
  cidr_blocks       = ["10.0.0.0/8"]
}
