# Two commands for a newcomer: `make run` (the app on its embedded defaults) and `make test`.
# Both create .venv and install everything the first time, and again when pyproject changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python scripts/rundev.py

# The suite runs on the embedded defaults (SQLite, in-process S3 emulator, eager Celery).
# With TEST_DATABASE_URL it runs again on that PostgreSQL; TEST_REDIS_URL turns on the
# real-worker Celery suite. `.ci/run` sets both.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest
	if [ -n "$$TEST_DATABASE_URL" ]; then \
		DATABASE_URL="$$TEST_DATABASE_URL" $(BIN)/pytest -m "not rgw"; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The click path over HTTP as production serves it (gunicorn, PostgreSQL and SQLite, no broker
# and Redis), driven by wrk; about 10 minutes. docs/performance.md explains the output.
bench: $(STAMP)
	command -v wrk >/dev/null || apt-get install -y wrk || (apt-get update && apt-get install -y wrk)
	$(BIN)/python -m benchmarks.click

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
