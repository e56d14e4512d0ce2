"""iacgrade: grades Infrastructure-as-Code written by language models."""
