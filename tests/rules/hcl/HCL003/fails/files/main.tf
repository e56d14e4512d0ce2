resource "aws_instance" "web" {
  ami            = "ami-12345678"
  instance_types = "t3.micro" # expect: HCL003
  tags = {
    Name = "web"
  }
  root_block_devices { # expect: HCL003
    volume_size = 20
  }
}
