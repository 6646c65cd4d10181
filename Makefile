# The developer's verbs. Each one installs what it needs into .venv first.
# With DATABASE_URL / REDIS_URL / BROKER_URL unset, embedded PostgreSQL and Redis run under var/.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench bench-http venv clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)  ## start the whole platform in the foreground (Ctrl-C stops it)
	$(PY) -m betting.stack run

test: $(STAMP)  ## lint, import contracts, then the whole suite against real services
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

bench: $(STAMP)  ## every benchmark scenario; figures in var/bench/ and docs/benchmarks.md
	$(PY) -m betting.stack exec -- $(PY) -m bench all

bench-%: $(STAMP)
	$(PY) -m betting.stack exec -- $(PY) -m bench $*

clean:
	rm -rf var/ .pytest_cache .ruff_cache
