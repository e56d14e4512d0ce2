# iacgrade: `make demo` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_DIR ?= out/demo

.PHONY: setup demo test test-fast lint format image docker-engine bench clean help

help:
	@echo "make demo    install, then grade the example tasks in tasks/ and print where the reports are"
	@echo "make test    install, start the Docker engine, build the sandbox image, run the tests"
	@echo "make lint    ruff check + format check"
	@echo "make image   build the sandbox image (offline, from a local wheelhouse)"

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(BIN)/iacgrade run tasks --out $(RUN_DIR) --jobs 1 --sandbox auto; test $$? -le 1
	@echo
	@echo "Reports: $(RUN_DIR)/<task>/analysis.md (the seed scenario: $(RUN_DIR)/seed-multi-region-dr/analysis.md)"
	@echo "Batch CSV: $(RUN_DIR)/results.csv"

docker-engine:
	bash scripts/start-docker.sh

image: setup docker-engine
	$(BIN)/iacgrade image build

test: setup
	$(MAKE) lint
	$(BIN)/pytest -q -ra

test-fast: setup
	$(BIN)/pytest -q -ra -m "not synth and not docker and not corpus"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf out .pytest_cache .ruff_cache
