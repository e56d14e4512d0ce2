provider "aws" {
  region = "us-east-1"
}

resource "aws_rds_cluster" "cluster" {
  engine              = "aurora-mysql"
  deletion_protection = false
  skip_final_snapshot = true
}

resource "aws_db_instance" "db" {
  engine              = "mysql"
  instance_class      = "db.t3.micro"
  skip_final_snapshot = true
}

resource "aws_secretsmanager_secret" "secret" {
  name                    = "db-secret-dev"
  recovery_window_in_days = 0
}
