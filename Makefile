# Answerable: `make run` starts the whole desk on one machine; `make test` runs every test.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-sqlite test-postgres lint fmt setup demo clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/python manage.py migrate --no-input -v0
	$(BIN)/python manage.py demo --if-empty
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -f Procfile start

demo: $(STAMP)
	$(BIN)/python manage.py migrate --no-input -v0
	$(BIN)/python manage.py demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run -v0

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The suite runs twice: on SQLite (the embedded default) and on PostgreSQL (a throwaway database).
test: $(STAMP) lint test-sqlite test-postgres

test-sqlite: $(STAMP)
	$(BIN)/python scripts/run_tests.py sqlite $(PYTEST_ARGS)

test-postgres: $(STAMP)
	$(BIN)/python scripts/run_tests.py postgres $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var artifacts
