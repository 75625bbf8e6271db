# Two entry points for a fresh machine: `make demo` (install + a whole triage
# on a simulated mail stack and AWS, through the real Slack app) and
# `make test` (install + every gate and test, what CI runs).
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: install test lint demo clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,demo]'
	touch $@

lint: install
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench
	$(BIN)/mypy bot
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

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
