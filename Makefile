# The two commands: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# Two workers: the suite is mostly waiting on databases and subprocesses.
PYTEST_ARGS ?= -n 2
RUN_DEPS := $(VENV)/.run-deps
TEST_DEPS := $(VENV)/.test-deps

.PHONY: run test lint format db demo browser clean

run: $(RUN_DEPS) db demo
	$(PY) -m cli serve

test: lint browser
	$(PY) -m pytest $(PYTEST_ARGS)

db: $(RUN_DEPS)
	$(PY) -m cli init-db

# The demo company is only seeded in development (ADFLOW_ENV unset or "development").
demo: $(RUN_DEPS)
	@if [ "$${ADFLOW_ENV:-development}" = "development" ]; then $(PY) -m cli seed-demo; fi

lint: $(TEST_DEPS)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: $(TEST_DEPS)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# Headless Chromium for the browser test comes from Debian, never from a download by Playwright.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's chromium for the browser test..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); \
	  else \
	    echo "chromium is missing: run 'sudo apt-get install -y chromium' for the browser test." >&2; exit 1; \
	  fi; }

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Re-installs whenever a requirements file is newer than the last install.
$(RUN_DEPS): requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(TEST_DEPS): requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@ $(RUN_DEPS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
