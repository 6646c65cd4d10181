# The developer's verbs. Each one installs what it needs into .venv first.
# With DATABASE_URL / REDIS_URL / BROKER_URL unset, embedded PostgreSQL and Redis run under var/.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench venv clean browser-deps

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)  ## start the whole platform in the foreground (Ctrl-C stops it)
	$(PY) -m betting.stack run

test: $(STAMP) browser-deps  ## lint, import contracts, then the whole suite against real services
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest $(PYTEST_ARGS)

# The browser tests drive Debian's Chromium through Playwright: never a browser download (no
# `playwright install`). Installed here when missing, as root; otherwise the command to run.
CHROMIUM ?= /usr/bin/chromium
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
browser-deps:  ## Debian's Chromium for the browser tests (apt-get, as root)
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get install -y --no-install-recommends chromium \
	      || { apt-get update && apt-get install -y --no-install-recommends chromium; }; \
	  else \
	    echo "error: the browser tests need Debian's Chromium at $(CHROMIUM); run:" >&2; \
	    echo "  sudo apt-get install -y --no-install-recommends chromium" >&2; \
	    exit 1; \
	  fi; }

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

# The harness resolves (or embeds) the services itself and uses its own database and Redis db.
# bench-% is a pattern rule, so it must stay out of .PHONY (make skips pattern rules for phony
# targets). BENCH_ARGS=--quick gives a short smoke run.
bench: $(STAMP)  ## every benchmark scenario; figures in var/bench/ and docs/benchmarks.md
	$(PY) -m bench all $(BENCH_ARGS)

bench-%: $(STAMP)  ## one scenario, e.g. make bench-http
	$(PY) -m bench $* $(BENCH_ARGS)

clean:
	rm -rf var/ .pytest_cache .ruff_cache
