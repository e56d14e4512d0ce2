resource "aws_db_instance" "db" {
  allocated_storage     = 20
  max_allocated_storage = var.size * 2
  instance_class        = "db.t3.micro"
}

variable "size" {
  default = 20
}
