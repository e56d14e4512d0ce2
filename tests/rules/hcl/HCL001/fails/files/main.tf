resource "aws_s3_bucket" "data" {
  bucket = "app-data"
}

resource "aws_db_instance" "db" {
  allocated_storage     = 20
  max_allocated_storage = var.size \* 2 # expect: HCL001
}

variable "size" {
  default = 20
}
