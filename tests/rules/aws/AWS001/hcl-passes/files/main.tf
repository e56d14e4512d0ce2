provider "aws" {
  region = "us-east-1"
}

resource "aws_rds_global_cluster" "global_cluster" {
  engine                    = "aurora-mysql"
  global_cluster_identifier = "g-dev"
}

resource "aws_rds_cluster" "primary_cluster" {
  engine                    = aws_rds_global_cluster.global_cluster.engine
  global_cluster_identifier = aws_rds_global_cluster.global_cluster.id
  skip_final_snapshot       = true
}

resource "aws_rds_cluster" "pg_cluster" {
  engine              = "aurora-postgresql"
  skip_final_snapshot = true
}
