# One entry point for people and CI: `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test check lint typecheck format pytest goldens clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m bot chat

test: $(STAMP)
	$(PY) -m ruff check bot tests
	$(PY) -m ruff format --check bot tests
	$(PY) -m mypy
	$(PY) -m bot lint
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m bot lint

format: $(STAMP)
	$(PY) -m ruff format bot tests
	$(PY) -m ruff check --fix bot tests

goldens: $(STAMP)
	$(PY) -m pytest tests/test_transcripts.py --update-goldens

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
