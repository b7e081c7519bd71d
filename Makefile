# Cairn: `make run` starts the app with demo data; `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= $(shell scripts/find-python)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench clean help

help:
	@echo "make run    - set up .venv, migrate, seed demo data, serve http://$(HOST):$(PORT)/ with a Celery worker"
	@echo "make test   - set up .venv and run the whole test suite"
	@echo "make lint   - ruff check and format check"
	@echo "make bench  - print the performance figures (bench/)"

$(VENV)/.python:
	@test -n "$(PYTHON)" || { echo "No Python 3.12+ found (see above)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -c 'import sys; print(sys.executable)' > $@

$(VENV)/.installed: pyproject.toml $(VENV)/.python
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $@

run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(VENV)/.installed-test
	$(PY) bench/plan_page.py
	$(PY) bench/project_history.py
	$(PY) bench/importers_parse.py
	$(PY) bench/upload_bench.py
	$(PY) bench/import_bench.py
	$(PY) bench/preview_bench.py
	$(PY) bench/charts_bench.py
	$(PY) bench/plan_charts_bench.py
	$(PY) bench/mentor_inbox.py
	$(PY) bench/public_pages.py
	$(PY) bench/page_weight.py
	$(PY) bench/code_shape.py

clean:
	rm -rf $(VENV) staticfiles
