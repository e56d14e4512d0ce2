"""Terraform HCL on the AWS provider: parsed and validated in process, no terraform binary."""
