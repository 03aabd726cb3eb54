# The README's two commands: `make demo` and `make test` (ruff and mypy first, then pytest). Both build .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

# Quiet, analytics-free Prefect on its ephemeral API (DESIGN.md: analytics lock its SQLite file).
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false

.PHONY: install demo test test-sqlite lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

# mypy cannot see the package `sbrflow` through the editable install's import hook (the checkout's root
# is the package): a link in the venv, named by mypy_path in pyproject.toml, shows it under its name.
$(VENV)/mypy-path/sbrflow: | $(STAMP)
	@mkdir -p $(VENV)/mypy-path && ln -sfn "$(CURDIR)" $@

# House rules, before any test: lint + import order (ruff), types on domain/ and config/ (mypy).
lint: install $(VENV)/mypy-path/sbrflow
	$(BIN)/ruff check .
	$(BIN)/mypy

demo: install
	$(BIN)/sbrflow demo

test: lint
	$(BIN)/python -m pytest

# Only the SQLite half (no PostgreSQL server needed).
test-sqlite: lint
	$(BIN)/python -m pytest -k "not postgresql"

clean:
	rm -rf $(VENV) var .pytest_cache
