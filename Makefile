# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
# Extra runserver options, e.g. --noreload (the installed-app tests use it: a file edited while they run must not
# restart the server under them).
RUNSERVER_ARGS ?=
export PIP_CONSTRAINT := $(CURDIR)/build-constraints.txt
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install install-dev messages makemessages run migrate demo test lint check clean

$(VENV)/.installed: pyproject.toml build-constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml build-constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -e ".[dev]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# The German and English catalogues are compiled, never committed as .mo.
messages: $(VENV)/.installed
	DEBUG=1 $(PY) manage.py compilemessages --verbosity 0 --ignore=.venv --ignore=var

makemessages: $(VENV)/.installed
	DEBUG=1 $(PY) manage.py makemessages -l de -l en --ignore=.venv --ignore=var --no-obsolete

migrate: $(VENV)/.installed
	mkdir -p var
	DEBUG=1 $(PY) manage.py migrate --verbosity 0

# Loads reference and demo data only when the database has no parties yet; the search index is brought up to
# date either way (idempotent), so a database from an older version finds what the new one indexes.
demo: migrate
	DEBUG=1 $(PY) manage.py load_reference --verbosity 0
	DEBUG=1 $(PY) manage.py load_demo --if-empty
	DEBUG=1 $(PY) manage.py rebuild_search_index --verbosity 0

run: messages demo
	DEBUG=1 $(PY) manage.py runserver $(RUNSERVER_ARGS) $(HOST):$(PORT)

# On every core (pytest-xdist); the browser tests of a module stay on one worker (--dist loadgroup, tests/conftest.py).
# PYTEST_ARGS is added at the end, e.g. PYTEST_ARGS="-n 0 tests/test_goals.py" for one module in one process.
TEST_WORKERS ?= auto
test: $(VENV)/.installed-dev messages
	DEBUG=0 SECRET_KEY=tests-only $(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .

check: lint
	mkdir -p var
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var/db.sqlite3 var/media var/static
