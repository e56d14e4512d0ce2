provider "aws" {
  region = var.primary_region
}

provider "aws" {
  alias  = "secondary"
  region = var.secondary_region
}

variable "primary_region" {
  default = "us-east-1"
}

variable "secondary_region" {
  default = "us-west-2"
}

# IAM names are global: the secondary region does not make the second role another name.
resource "aws_iam_role" "app" {
  name               = "app-role"
  assume_role_policy = "{}"
}

resource "aws_iam_role" "app_secondary" {
  provider           = aws.secondary
  name               = "app-role" # expect: AWS015
  assume_role_policy = "{}"
}
