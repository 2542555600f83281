# Two commands matter: `make chat` (the bot, locally, no token) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: chat test run bench lint clean mutation browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(STAMP)

chat: $(STAMP)
	@$(BIN)/kcert-bot chat

run: $(STAMP)
	$(BIN)/kcert-bot run

# The Mini App's browser tests use Debian's Chromium (never `playwright install`).
browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver)

test: $(DEV_STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/mypy bot faq
	$(BIN)/python -m pytest -q

bench: $(DEV_STAMP)
	$(BIN)/python bench/e2e.py
	$(BIN)/python bench/certs.py
	$(BIN)/python bench/faq.py
	$(BIN)/python bench/flows.py
	$(BIN)/python bench/webapp.py

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bot faq

# Mutation testing (not part of `make test`): mutmut over the paths in [tool.mutmut] of
# pyproject.toml (bot/flows/callbacks.py today; bot/certs later). Survivors: `mutmut results`.
mutation: $(DEV_STAMP)
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2
	$(BIN)/mutmut results

clean:
	rm -rf $(VENV) mutants
