# The two commands of README.md. Each creates .venv and installs what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev

.PHONY: quickstart test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[examples]'
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(STAMP_RUN)

## A real tuning job over examples/quickstart on the embedded defaults (SQLite in .tunesmith/).
quickstart: $(STAMP_RUN)
	$(BIN)/tunesmith delete quickstart --missing-ok
	$(BIN)/tunesmith tune examples/quickstart/tuning.yaml

## The whole test suite (lint, import layers, tests).
test: $(STAMP_DEV)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/lint-imports
	$(BIN)/pytest

lint: $(STAMP_DEV)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests

clean:
	rm -rf $(VENV) .tunesmith
