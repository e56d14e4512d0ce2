provider "aws" {
  region = "us-east-1"
}

# The subnets are the module's: what it creates is not read, so nothing is reported missing.
module "vpc" {
  source   = "./modules/vpc"
  vpc_cidr = "10.0.0.0/16"
}
