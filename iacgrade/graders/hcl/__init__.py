"""Rules for Terraform HCL answers: what parsing and the schema validation found."""
