"""AWS rules grouped by service, and the AWS constraint data they read (data/, each file dated)."""
