# One entry point for people and CI: `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
NPM := /usr/bin/npm
BROWSER_TESTS := tests/browser
AXE := $(BROWSER_TESTS)/node_modules/axe-core/axe.min.js
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run chat test check lint typecheck format pytest goldens clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
$(CHROMIUM):
	$(SUDO) apt-get install -y -q --no-install-recommends chromium \
		|| ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q --no-install-recommends chromium)

# npm (Debian's) for axe-core, the accessibility checker the browser tests inject into each page.
$(NPM):
	$(SUDO) apt-get install -y -q --no-install-recommends npm \
		|| ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q --no-install-recommends npm)

# axe-core at the version package-lock.json pins (npm ci installs exactly that, or fails).
$(AXE): $(BROWSER_TESTS)/package.json $(BROWSER_TESTS)/package-lock.json | $(NPM)
	cd $(BROWSER_TESTS) && npm ci --no-audit --no-fund --loglevel=error
	touch $(AXE)

run: $(STAMP)
	$(PY) -m bot serve --host 127.0.0.1 --port 8080

chat: $(STAMP)
	$(PY) -m bot chat

test: $(STAMP) $(CHROMIUM) $(AXE)
	$(PY) -m ruff check bot tests bench
	$(PY) -m ruff format --check bot tests bench
	$(PY) -m mypy
	$(PY) -m bot lint
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m bot lint

format: $(STAMP)
	$(PY) -m ruff format bot tests
	$(PY) -m ruff check --fix bot tests

# The load benchmark (about 8 minutes; see bench/README.md). Needs PostgreSQL for pg*.
bench: $(STAMP)
	$(PY) -m bench.load

goldens: $(STAMP)
	$(PY) -m pytest tests/test_transcripts.py --update-goldens

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(BROWSER_TESTS)/node_modules
