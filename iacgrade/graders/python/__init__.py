"""Rules that read the answer's Python source against the provider's API (PY)."""
