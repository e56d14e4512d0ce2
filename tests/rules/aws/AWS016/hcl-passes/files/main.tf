provider "aws" {
  region = "us-east-1"
}

variable "db_password" {
  type      = string
  sensitive = true
}

resource "aws_rds_cluster" "cluster" {
  engine              = "aurora-mysql"
  master_username     = "dbadmin"
  master_password     = var.db_password
  skip_final_snapshot = true
}
