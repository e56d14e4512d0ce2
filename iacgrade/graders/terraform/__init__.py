"""The synthesized Terraform JSON: a typed model of it, and the TF rules that read it."""
