# Two entry points for a fresh machine: `make test` (install + every gate and
# test, what CI runs) and `make run` (install + a triage against this
# machine's own loopback; see README).
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: install test lint run clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

lint: install
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench
	$(BIN)/mypy bot
	$(BIN)/triage lint runbooks
	$(BIN)/triage test runbooks

test: lint
	$(BIN)/pytest -q

# Dummy credentials: there is no AWS here, only whatever listens on :5000.
run: install
	AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo $(BIN)/triage run probe-failure --target smtp-relay \
	  --set targets.smtp-relay.host=127.0.0.1 --set targets.smtp-relay.port=2525 \
	  --set aws.endpoint_url=http://127.0.0.1:5000 --set aws.max_attempts=1 || true

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
