# Two commands on a fresh machine: `make run` and `make test`. Everything lives in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint install bench clean postgres

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Re-install when the project's dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/scheduling-agent serve --host $(HOST) --port $(PORT)

# Lint and types first (seconds), then every test.
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	bash scripts/ensure-chromium.sh
	bash scripts/ensure-node.sh
	bash scripts/ensure-postgres.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# A local PostgreSQL for trying the app on it (prints the DATABASE_URL to use; Ctrl-C stops it).
postgres: $(VENV)/.installed-test
	bash scripts/ensure-postgres.sh
	$(BIN)/python -m tests.support.postgres var/postgres

bench: $(VENV)/.installed-test
	$(BIN)/pip install --quiet -e '.[bench]'
	bash bench/run.sh

clean:
	rm -rf $(VENV) var artifacts
