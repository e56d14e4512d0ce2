provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "vpc" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_internet_gateway" "igw" {
  vpc_id = aws_vpc.vpc.id
}

resource "aws_nat_gateway" "nat" {
  subnet_id     = "subnet-1"
  allocation_id = "eipalloc-1"
}

# An inline route names its destination `cidr_block`: `destination_cidr_block` is aws_route's.
resource "aws_route_table" "primary_public_rt" {
  vpc_id = aws_vpc.vpc.id

  route { # expect: AWS006
    destination_cidr_block = "0.0.0.0/0"
    gateway_id             = aws_internet_gateway.igw.id
  }
}

resource "aws_route_table" "private_rt" {
  vpc_id = aws_vpc.vpc.id
}

resource "aws_route" "private_default" { # expect: AWS006
  route_table_id = aws_route_table.private_rt.id
  nat_gateway_id = aws_nat_gateway.nat.id
}
