provider "aws" {
  region = "us-east-1"
}

resource "aws_rds_cluster" "cluster" {
  engine              = "aurora-mysql"
  master_username     = "dbadmin"
  master_password     = "ChangeMe123!" # expect: AWS016
  skip_final_snapshot = true
}
