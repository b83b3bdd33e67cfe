# Bukti — every target sets up what it needs in a virtual environment inside the repo.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export BUKTI_DATA_DIR ?= $(CURDIR)/var

.PHONY: help install run test lint fmt bench soak clean browser

help:
	@echo "make run    set up and serve the demo on SQLite (http://127.0.0.1:8000)"
	@echo "make test   set up and run the test suite (SQLite + PostgreSQL + browser)"
	@echo "make lint   ruff + mypy --strict"
	@echo "make fmt    format the code"
	@echo "make bench  run every benchmark and print figures next to same-run baselines"
	@echo "make soak   longer crash/concurrency runs"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/bukti init
	$(BIN)/bukti serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check ledger receipts audit api tests bench
	$(BIN)/ruff format --check ledger receipts audit api tests bench
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff format ledger receipts audit api tests bench
	$(BIN)/ruff check --fix ledger receipts audit api tests bench

bench: $(STAMP)
	$(BIN)/python -m bench

soak: $(STAMP)
	BUKTI_SOAK=1 $(BIN)/python -m pytest -q -m slow

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
