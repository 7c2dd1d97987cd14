# Two commands for a newcomer: `make run` (the app on its embedded defaults) and `make test`.
# Both create .venv and install everything the first time, and again when pyproject changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench install clean messages

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

bench: $(STAMP)
	$(BIN)/python -m benchmarks.click

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles

# Refresh the Japanese catalog after changing a translatable string (needs GNU gettext:
# apt-get install gettext), translate the new entries in the .po file, then compile.
messages: $(STAMP)
	cd sharelinks && ../$(BIN)/python ../manage.py makemessages -l ja --no-obsolete --no-location
	cd sharelinks && ../$(BIN)/python ../manage.py compilemessages -l ja
