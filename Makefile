# Two commands for a fresh machine: `make run` and `make test`. Both bootstrap .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: run test check lint typecheck migrate demo clean venv bench system-deps graphiql-assets

venv: system-deps $(STAMP)

# Debian packages the PDF notices need (Pango, HarfBuzz's subsetter, Noto CJK fonts),
# installed when missing; a no-op when they are there.
system-deps:
	@scripts/system-deps

$(STAMP): pyproject.toml
	@scripts/system-deps
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing tuopin and its dependencies into $(VENV) ..."
	@$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

# GraphiQL's pinned files, fetched once from npm into a cache (scripts/graphiql-assets).
graphiql-assets:
	@scripts/graphiql-assets

run: system-deps $(STAMP) graphiql-assets
	@$(BIN)/tuopin migrate
	@$(BIN)/tuopin demo --if-empty
	@$(BIN)/tuopin tokens
	@$(BIN)/tuopin serve --host $(HOST) --port $(PORT)

test: $(STAMP) graphiql-assets
	@scripts/system-deps --test
	@$(BIN)/pytest

check: lint typecheck

lint: $(STAMP)
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .

typecheck: $(STAMP)
	@$(BIN)/mypy

migrate: $(STAMP)
	@$(BIN)/tuopin migrate

demo: $(STAMP)
	@$(BIN)/tuopin demo

clean:
	rm -rf $(VENV) tuopin.sqlite3* .tuopin .pytest_cache .mypy_cache .ruff_cache api/graphiql/static

# Generated PostgreSQL databases per size are made once and reused (see bench/run.py).
bench: $(STAMP)
	@$(BIN)/python bench/run.py
