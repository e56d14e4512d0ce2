provider "aws" {
  region = "us-east-1"
}

resource "aws_rds_cluster" "cluster" {
  engine              = "aurora-postgresql"
  skip_final_snapshot = true
}

resource "aws_rds_cluster_instance" "writer" {
  cluster_identifier = aws_rds_cluster.cluster.id
  engine             = aws_rds_cluster.cluster.engine
  instance_class     = "db.t4g.medium"
}
