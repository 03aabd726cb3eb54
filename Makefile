# The README's two commands: `make demo` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

# Quiet, analytics-free Prefect on its ephemeral API (DESIGN.md: analytics lock its SQLite file).
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false

.PHONY: install demo test test-sqlite bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/sbrflow demo

test: install
	$(BIN)/python -m pytest

# Only the SQLite half (no PostgreSQL server needed).
test-sqlite: install
	$(BIN)/python -m pytest -k "not postgresql"

clean:
	rm -rf $(VENV) var .pytest_cache
