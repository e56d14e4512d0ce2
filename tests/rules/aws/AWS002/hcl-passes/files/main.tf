provider "aws" {
  region = "us-east-1"
}

resource "aws_dms_replication_instance" "dms_instance" {
  replication_instance_class = "dms.t3.medium"
  replication_instance_id    = "dms-dev"
}

resource "aws_rds_cluster" "cluster" {
  engine              = "aurora-mysql"
  skip_final_snapshot = true
  engine_version      = "8.0.mysql_aurora.3.05.2"
}

resource "aws_opensearch_domain" "search" {
  domain_name    = "s-dev"
  engine_version = "OpenSearch_2.11"
}
