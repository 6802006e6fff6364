# Every target documents itself: `make help`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The development credential `make run` creates when none is configured (change it for real use).
DEV_KEY ?= dev
DEV_SECRET ?= dev-secret

.DEFAULT_GOAL := help
.PHONY: help install run test test-external lint format typecheck conformance js-clients bench openapi check clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(BIN)/lrs: pyproject.toml conformance/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]' ./conformance
	@touch $@

install: $(BIN)/lrs ## create .venv and install lrs, its test tools and the conformance suite

# `exec`: lrs replaces the recipe's shell, so the SIGTERM make forwards to its child reaches
# lrs, which then stops gracefully (and stops the embedded PostgreSQL).
run: install ## install, then serve xAPI on :8000 with the embedded PostgreSQL (credential dev / dev-secret)
	exec env LRS_BOOTSTRAP_KEY=$${LRS_BOOTSTRAP_KEY:-$(DEV_KEY)} \
	LRS_BOOTSTRAP_SECRET=$${LRS_BOOTSTRAP_SECRET:-$(DEV_SECRET)} \
	$(BIN)/lrs serve --port $(PORT)

test: install ## run every test on a real PostgreSQL (embedded; LRS_TEST_DATABASE_URL picks another server)
	$(BIN)/python -m pytest -q

test-external: install ## run the database tests against the PostgreSQL at 127.0.0.1:5432
	LRS_TEST_DATABASE_URL=$${LRS_TEST_DATABASE_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/test} \
	$(BIN)/python -m pytest -q tests --ignore=tests/unit/xapi

lint: install ## ruff lint and format check, the import direction (import-linter), complexity (xenon)
	$(BIN)/ruff check src tests migrations bench conformance
	$(BIN)/ruff format --check src tests migrations bench conformance
	$(BIN)/lint-imports
	$(BIN)/xenon --max-absolute C src bench conformance

format: install ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix src tests migrations bench conformance
	$(BIN)/ruff format src tests migrations bench conformance

typecheck: install ## mypy --strict over the package and its tests
	$(BIN)/mypy

conformance: install ## run the conformance suite (1.0.3 and 2.0.0) against a fresh local lrs
	PATH=$(abspath $(BIN)):$$PATH scripts/conformance-local.sh

js-clients: install ## run @xapi/xapi and TinCanJS (needs Node.js and npm) against a fresh local lrs, or LRS_URL
	PATH=$(abspath $(BIN)):$$PATH scripts/js-clients-local.sh

bench: install ## a short benchmark run against a fresh local lrs (see bench/README.md)
	$(BIN)/python -m bench --help

openapi: install ## regenerate openapi/openapi.json
	$(BIN)/lrs openapi --output openapi/openapi.json

check: lint typecheck test ## everything CI checks, except the external database and conformance passes

clean: ## remove the virtualenv and local data
	rm -rf $(VENV) .lrs .lrs-test .pytest_cache .mypy_cache .ruff_cache
