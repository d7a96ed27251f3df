# Parcours: `make run` and `make test` work on a fresh machine with Python 3.11+.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
export DATABASE_URL ?= sqlite:///$(CURDIR)/var/parcours.db

.PHONY: run test test-pg lint format bench migration i18n clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(DEV_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

run: $(STAMP)
	mkdir -p var
	$(BIN)/parcours db upgrade
	$(BIN)/parcours demo --if-empty
	$(BIN)/parcours serve --host 127.0.0.1 --port 8000

# The whole suite (service, routes, migrations, browser tests). TEST_DATABASE_URL picks PostgreSQL.
test: $(DEV_STAMP)
	$(BIN)/pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Benchmarks (not tests): real HTTP requests to a real server at 1,000 and 100,000 persons on PostgreSQL (databases
# parcours_bench_1k and parcours_bench_100k, created and filled once) and SQLite at 1,000; writes bench/results.*
# and the README's Performance table. BENCH_PG=postgresql+psycopg://user@host:port; BENCH_ARGS="--scales 1000".
BENCH_ARGS ?=
bench: $(DEV_STAMP)
	mkdir -p var
	$(BIN)/python bench/run.py $(BENCH_ARGS)
	# 500 writes queued offline, synced with one lost answer: time, 0 lost, 0 doubled (exit 1 otherwise)
	DATABASE_URL=sqlite:///$(CURDIR)/var/bench-sync.db $(BIN)/python bench/sync.py

# Usage: make migration m="what changed"  (then read and edit the generated file)
migration: $(STAMP)
	$(BIN)/alembic revision --autogenerate -m "$(m)"

# Re-extract the strings and merge them into the catalogs; translate the new ones in the .po files.
i18n: $(DEV_STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k lazy -k _ -k gettext -k ngettext:1,2 --no-location --sort-output -w 120 -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations -l fr --no-fuzzy-matching -w 120

clean:
	rm -rf $(VENV) var
