provider "aws" {
  region = "us-east-1"
}

resource "aws_rds_global_cluster" "global_cluster" {
  engine                    = "aurora-mysql"
  global_cluster_identifier = "g-dev"
}

# Backtracking is not offered for Aurora global databases nor for Aurora PostgreSQL.
resource "aws_rds_cluster" "primary_cluster" {
  engine                    = aws_rds_global_cluster.global_cluster.engine
  global_cluster_identifier = aws_rds_global_cluster.global_cluster.id
  skip_final_snapshot       = true
  backtrack_window          = 259200 # expect: AWS001
}

resource "aws_rds_cluster" "pg_cluster" {
  engine              = "aurora-postgresql"
  skip_final_snapshot = true
  backtrack_window    = 3600 # expect: AWS001
}
