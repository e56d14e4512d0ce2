provider "aws" {
  region = "us-east-1"
}

variable "environment_suffix" {
  type    = string
  default = "dev"
}

resource "aws_sqs_queue" "queue" {
  name = "orders-${var.environment_suffix}"
}

resource "aws_dynamodb_table" "table" {
  name         = "orders-${var.environment_suffix}"
  hash_key     = "id"
  billing_mode = "PAY_PER_REQUEST"

  attribute {
    name = "id"
    type = "S"
  }
}
