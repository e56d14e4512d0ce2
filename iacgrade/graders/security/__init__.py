"""SEC: checkov over the synthesized Terraform JSON, run in a warm server process."""
