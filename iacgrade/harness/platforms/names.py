"""The registered names of the shipped platforms, for code that must name one (rule scoping).

A platform's module registers it under this name (iacgrade/harness/platforms/registry.py); rules and data
say which platforms they apply to with these, never with their own spellings.
"""

from __future__ import annotations

CDKTF_PYTHON = "cdktf-python"
TF_HCL = "tf-hcl"
CFN = "cfn"
