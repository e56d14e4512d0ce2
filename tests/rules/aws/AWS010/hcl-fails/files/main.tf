provider "aws" {
  region = "us-east-1"
}

resource "aws_rds_cluster" "cluster" {
  engine              = "aurora-mysql"
  skip_final_snapshot = true
  deletion_protection = true # expect: AWS010
}

# No skip_final_snapshot and no final_snapshot_identifier: destroy fails.
resource "aws_db_instance" "db" { # expect: AWS010
  engine         = "mysql"
  instance_class = "db.t3.micro"
}

resource "aws_secretsmanager_secret" "secret" {
  name = "db-secret-dev" # expect: AWS010
}
