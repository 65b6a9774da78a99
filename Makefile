# fundvote: `make run` serves the demo at http://127.0.0.1:8000, `make test` runs the suite.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint bench messages system-deps system-deps-test clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "fundvote: Python 3.11 or newer is needed (apt-get install python3)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[test]'
	@touch $@ $(VENV)/.installed

system-deps:
	@scripts/system-deps.sh run

system-deps-test:
	@scripts/system-deps.sh test

run: system-deps $(VENV)/.installed
	$(BIN)/fundvote demo --if-empty --base-url http://127.0.0.1:$(PORT)
	$(BIN)/fundvote serve --host 127.0.0.1 --port $(PORT)

test: system-deps-test $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Translations: extract msgids, merge them into every catalogue, compile the .mo files.
# Translate the new entries in fundvote/translations/zh_Hans/LC_MESSAGES/messages.po (and en),
# then run `make messages` again to compile. Tests fail on untranslated or stale catalogues.
messages: $(VENV)/.installed-test
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k N_ --no-location --sort-output \
		--project fundvote --copyright-holder "fundvote contributors" \
		-o fundvote/translations/messages.pot .
	$(BIN)/pybabel update -i fundvote/translations/messages.pot -d fundvote/translations \
		--no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d fundvote/translations --statistics

bench: $(VENV)/.installed-test
	$(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
