"""Where tests find the repository, their data folders and the shared corpus, wherever they sit."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
# The archived tasks live beside the repository (../shared), never inside it.
SHARED = REPO.parent / "shared"
DEV_CORPUS = SHARED / "corpus" / "dev"
TF_HCL_CORPUS = SHARED / "corpus" / "dev-tf-hcl"
CFN_CORPUS = SHARED / "corpus" / "dev-cfn-yaml"
SEED_ANALYSIS = SHARED / "reference" / "seed-analysis.md"
TASKS = REPO / "tasks"
GOLDEN = TESTS / "golden"
ARTIFACTS = TESTS / "artifacts"
HOSTILE = TESTS / "hostile"
