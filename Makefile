# Two commands for a newcomer: `make run` (the app on its embedded defaults) and `make test`.
# Both need only Python 3.11+ and make. The first time, they install a pinned uv and let it
# install the exact versions in uv.lock into .venv; again whenever pyproject.toml, uv.lock or
# this file change. Caches stay where pip and uv keep them by default.

PYTHON ?= python3
UV_VERSION := 0.13.9
UV_HOME := .tools/uv-$(UV_VERSION)
UV := $(UV_HOME)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.synced
# uv syncs .venv, made from the interpreter PYTHON names; it never downloads a Python.
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never
SYNC := $(UV) sync --locked --extra dev --extra test --no-install-project --python $(PYTHON)

.PHONY: run test lint format bench mutate mutate-again install lock requirements clean messages

# uv itself, with the interpreter's own pip into a folder of its own (seconds faster than
# a virtualenv); where that interpreter has no pip, through a virtualenv that brings one.
$(UV):
	rm -rf $(UV_HOME)
	if $(PYTHON) -m pip --version >/dev/null 2>&1; then \
		$(PYTHON) -m pip install --quiet --root-user-action=ignore --target $(UV_HOME) uv==$(UV_VERSION); \
	else \
		$(PYTHON) -m venv $(UV_HOME) && $(UV_HOME)/bin/pip install --quiet uv==$(UV_VERSION); \
	fi

# --locked: install exactly uv.lock, and stop if pyproject.toml asks for something it lacks
# (run `make lock`). Packages not in the lock are removed from .venv. The project itself
# runs from the checkout (manage.py, pytest), so it is not built and installed here.
$(STAMP): pyproject.toml uv.lock Makefile $(UV)
	$(SYNC)
	touch $(STAMP)

install: $(STAMP)

# After editing dependencies in pyproject.toml; LOCK_ARGS=--upgrade moves every package to
# its newest allowed version.
lock: $(UV)
	$(UV) lock $(LOCK_ARGS)

# For servers that install with pip: the lock's runtime packages (no dev or test extras),
# pinned and hashed (see docs/deployment.md).
requirements: $(UV)
	$(UV) export --locked --no-dev --no-emit-project --quiet --output-file requirements.txt

run: $(STAMP)
	$(BIN)/python scripts/rundev.py

# pytest's exit status 5: it collected no test. For this suite that is a fault (a wrong
# path, a marker that deselects everything), never a pass: say so, and fail.
NO_TESTS = { status=$$?; [ $$status -ne 5 ] || echo "make test: pytest collected no test" >&2; exit $$status; }

# The suite runs on the embedded defaults (SQLite, in-process S3 emulator, eager Celery).
# With TEST_DATABASE_URL it runs again on that PostgreSQL (what the database decides: not the
# radosgw, gigabyte and browser suites, which touch no SQL of their own); TEST_REDIS_URL turns on the
# real-worker Celery suite. `.ci/run` sets both. PYTEST_ARGS go to each pytest run.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest $(PYTEST_ARGS) || $(NO_TESTS)
	if [ -n "$$TEST_DATABASE_URL" ]; then \
		DATABASE_URL="$$TEST_DATABASE_URL" $(BIN)/pytest -m "not rgw and not slow and not browser" $(PYTEST_ARGS) || $(NO_TESTS); \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The click path over HTTP as production serves it (gunicorn, PostgreSQL and SQLite, no broker
# and Redis), driven by wrk (HEAD by benchmarks/headload.py); then microseconds per presign,
# botocore's and the built-in one. About 11 minutes; docs/performance.md explains the output.
bench: $(STAMP)
	command -v wrk >/dev/null || apt-get install -y wrk || (apt-get update && apt-get install -y wrk)
	$(BIN)/python -m benchmarks.click
	$(BIN)/python -m benchmarks.presign

# Mutation testing of the click, signing and outbox code (docs/mutation.md): about 10
# minutes of CPU on 2 cores. Each mutant runs only the tests that call the function it
# changed, chosen from [tool.mutmut] in pyproject.toml; of aws/ only presigning counts.
MUTANTS := 'sharelinks.clicks.*' 'sharelinks.signing.*' 'sharelinks.mail.outbox.*' \
	'sharelinks.mail.dispatch.*' 'sharelinks.mail.recipients.*' 'sharelinks.mail.sending.*' \
	'sharelinks.aws.s3.x_presigned_get_url__mutmut_*' 'sharelinks.aws.s3.x__sign__mutmut_*' \
	'sharelinks.aws.s3.x__signed_with__mutmut_*' 'sharelinks.aws.s3.x__url_lifetime__mutmut_*' \
	'sharelinks.aws.client.x__last_signer__mutmut_*' \
	'sharelinks.aws.client.x__frozen_with_expiry__mutmut_*'
# On the embedded defaults whatever the shell says: mutants run two at a time, each with
# its own SQLite file; a shared PostgreSQL test database would be dropped under the other.
mutate: $(STAMP)
	rm -rf mutants
	@echo "mutmut run: log in mutants/mutmut.log"
	@start=$$(date +%s); \
	mkdir -p mutants; \
	if ! env DATABASE_URL= CACHE_URL= CELERY_BROKER_URL= $(BIN)/mutmut run $(MUTANTS) \
		> mutants/mutmut.log 2>&1; then \
		tail -c 3000 mutants/mutmut.log; exit 1; \
	fi; \
	times > mutants/cpu-times; \
	echo "took $$(( ($$(date +%s) - start) / 60 )) min $$(( ($$(date +%s) - start) % 60 )) s;" \
		"CPU (user, system) of the run and its forks: $$(tail -n 1 mutants/cpu-times)"
	$(BIN)/python scripts/mutation_score.py $(MUTANTS)

# After adding tests: run again only the mutants the last `make mutate` left alive. Tests
# that were added cannot bring a killed mutant back, so the score is that of a full run.
mutate-again: $(STAMP)
	@test -d mutants || { echo "no earlier run: make mutate first"; exit 1; }
	@start=$$(date +%s); \
	alive=$$($(BIN)/python scripts/mutation_score.py --undetected $(MUTANTS)) || exit 1; \
	if [ -n "$$alive" ] && ! env DATABASE_URL= CACHE_URL= CELERY_BROKER_URL= \
		$(BIN)/mutmut run $$alive > mutants/mutmut-again.log 2>&1; then \
		tail -c 3000 mutants/mutmut-again.log; exit 1; \
	fi; \
	times > mutants/cpu-times; \
	echo "took $$(( ($$(date +%s) - start) / 60 )) min $$(( ($$(date +%s) - start) % 60 )) s;" \
		"CPU (user, system) of the run and its forks: $$(tail -n 1 mutants/cpu-times)"
	$(BIN)/python scripts/mutation_score.py $(MUTANTS)

clean:
	rm -rf $(VENV) .tools .pytest_cache .ruff_cache staticfiles requirements.txt mutants

# Refresh the Japanese catalog after changing a translatable string (needs GNU gettext:
# apt-get install gettext), translate the new entries in the .po file, then compile.
messages: $(STAMP)
	cd sharelinks && ../$(BIN)/python ../manage.py makemessages -l ja --no-obsolete --no-location
	cd sharelinks && ../$(BIN)/python ../manage.py compilemessages -l ja
