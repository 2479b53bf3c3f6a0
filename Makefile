# Alliance: the developer's and CI's entry points. `make help` lists them.
#
# Everything runs from the project's own virtualenv (.venv), made by `make setup`
# from requirements.lock. `make test` needs nothing but python3: the PostgreSQL
# run and the browser tests are skipped, with a message, when PostgreSQL or
# /usr/bin/chromium are missing (and fail instead when CI=true).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The install stamp is keyed on the lock (and the project's metadata): a change
# to either re-installs, an unchanged tree makes `make setup` a no-op.
LOCK_KEY := $(shell cat requirements.lock pyproject.toml 2>/dev/null | sha256sum | cut -c1-16)
STAMP := $(VENV)/.alliance-installed-$(LOCK_KEY)
PYTEST_ARGS ?=
DEMO_ADDR ?= 127.0.0.1:8000

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help setup demo test test-sqlite test-postgres lint format typecheck bench messages clean

help:
	@echo "make setup          create .venv and install requirements.lock, then the project (-e)"
	@echo "make demo           migrate, seed the demo data, serve on http://$(DEMO_ADDR)/"
	@echo "make test           lint, then the test suite on SQLite, then on a throwaway PostgreSQL"
	@echo "make test-sqlite    the test suite on SQLite    (PYTEST_ARGS='-k foo' to narrow)"
	@echo "make test-postgres  the test suite on a throwaway PostgreSQL cluster"
	@echo "make lint           ruff format --check, ruff check, lint-imports (official boundary)"
	@echo "make format         ruff format, ruff check --fix"
	@echo "make typecheck      mypy, as configured in pyproject.toml"
	@echo "make bench          run every bench/*.py (BENCH_ACADEMIE=1: the académie one too)"

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Alliance needs Python 3.11 or newer (PYTHON=$(PYTHON))")'
	@if [ ! -x $(BIN)/python ]; then echo "creating $(VENV)"; $(PYTHON) -m venv $(VENV); fi
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@rm -f $(VENV)/.alliance-installed-*
	@touch $@

# Compile translations when the project has any (.po files) and msgfmt is there.
messages: setup
	@if find alliance -name '*.po' -print -quit | grep -q .; then \
	  if command -v msgfmt >/dev/null; then \
	    ALLIANCE_DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv --ignore=var; \
	  elif [ "$${CI:-}" = "true" ]; then \
	    echo "msgfmt is missing (apt-get install gettext)" >&2; exit 1; \
	  else \
	    echo "warning: msgfmt is missing (apt-get install gettext): translations not compiled" >&2; \
	  fi; \
	fi

demo: setup messages
	@mkdir -p "$${ALLIANCE_VAR_DIR:-var}"
	ALLIANCE_DEBUG=1 $(BIN)/python manage.py migrate --noinput
	ALLIANCE_DEBUG=1 $(BIN)/python manage.py demo_seed
	ALLIANCE_DEBUG=1 $(BIN)/python manage.py runserver $(DEMO_ADDR)

test: setup
	$(MAKE) lint
	$(MAKE) typecheck
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

test-sqlite: setup messages
	@echo "== test suite on SQLite"
	time env -u ALLIANCE_DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: setup messages
	@echo "== test suite on a throwaway PostgreSQL cluster"
	time $(BIN)/python scripts/run_with_postgres.py -- $(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: setup
	ALLIANCE_TESTING=1 $(BIN)/mypy

# bench/academie_scale.py takes minutes (and writes ~70 MB of files under /tmp once):
# it runs only with BENCH_ACADEMIE=1.
bench: setup
	@found=0; for script in bench/*.py; do \
	  [ -e "$$script" ] || continue; found=1; \
	  if [ "$$script" = bench/academie_scale.py ] && [ "$${BENCH_ACADEMIE:-}" != 1 ]; then \
	    echo "== $$script skipped (BENCH_ACADEMIE=1 make bench to run it)"; continue; \
	  fi; \
	  echo "== $$script"; $(BIN)/python "$$script"; \
	done; [ $$found = 1 ] || echo "no benchmark in bench/"

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
