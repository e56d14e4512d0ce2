provider "aws" {
  region = "us-east-1"
}

provider "aws" {
  alias  = "west"
  region = "us-west-2"
}

resource "aws_vpc" "vpc" {
  provider   = aws.west
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "subnet_a" {
  provider          = aws.west
  vpc_id            = aws_vpc.vpc.id
  cidr_block        = "10.0.1.0/24"
  availability_zone = "us-west-2a"
}
