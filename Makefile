# Two entry points for a fresh machine: `make demo` (install + a whole triage
# on a simulated mail stack and AWS, through the real Slack app) and
# `make test` (install + every gate and test, what CI runs).
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: install test lint demo clean lock

install: $(VENV)/.installed

# Exactly the versions that were tested: the lock, hash-checked; then this
# project itself, editable and without resolving anything again.
$(VENV)/.installed: pyproject.toml requirements/test.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/test.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

lint: install
	$(BIN)/python tools/lock.py --check
	$(BIN)/hadolint --failure-threshold info Dockerfile
	$(BIN)/ruff check bot tests bench tools
	$(BIN)/ruff format --check bot tests bench tools
	$(BIN)/mypy bot tools
	$(BIN)/lint-imports
	$(BIN)/triage lint runbooks
	$(BIN)/triage test runbooks

test: lint
	$(BIN)/pytest -q

# Interactive on a terminal (press buttons by number), scripted to the end
# otherwise (CI, a pipe). FAULT=ntfy-no-tasks picks another scenario.
FAULT ?= smtp-relay-down
demo: install
	@if [ -t 0 ]; then $(BIN)/triage demo --fault $(FAULT); \
	else $(BIN)/triage demo --no-input --fault $(FAULT); fi

# After changing dependencies in pyproject.toml (needs PyPI): keeps existing
# pins, adds what is new; `tools/lock.py --upgrade` moves every pin.
lock:
	$(BIN)/python tools/lock.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
