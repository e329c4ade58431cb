# hvlab: `make test` and `make serve` do all set-up themselves.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test lint docs site format tui serve bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,unicorn,tui]'
	touch $(STAMP)

test: $(STAMP) lint docs
	$(VENV)/bin/hvlab lessons check lessons/
	$(PY) -m pytest -q -n 2 --dist loadgroup

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

docs: $(STAMP)
	$(PY) -m mkdocs build --strict --quiet

# The documentation site with the browser lab published inside it, at site/lab/.
site: docs
	$(VENV)/bin/hvlab web build --out site/lab

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

tui: $(STAMP)
	$(VENV)/bin/hvlab tui

serve: $(STAMP)
	$(VENV)/bin/hvlab web serve

bench: $(STAMP)
	$(VENV)/bin/hvlab bench

clean:
	rm -rf $(VENV) build site *.egg-info
