# duban: `make run` sets up and starts everything; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test test-pg bench lint venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: venv
	$(BIN)/duban db upgrade
	$(BIN)/duban demo load
	$(BIN)/duban serve

test: venv
	$(BIN)/pytest -q

# The same suite on PostgreSQL (what .ci/run does second).
test-pg: venv
	DUBAN_TEST_DATABASE_URL=$${DUBAN_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(BIN)/pytest -q

bench: venv
	$(BIN)/python -m bench

lint: venv
	$(BIN)/ruff check workflows service db tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
