# fundvote: `make run` serves the demo at http://127.0.0.1:8000, `make test` runs the suite.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: verifier-pyz run test lint lock lock-upgrade lock-check bench messages system-deps system-deps-test system-deps-bench clean

# Installs are locked: scripts/install.sh bootstraps uv (pinned, hash-checked) and installs
# exactly what uv.lock holds, hashes required, then fundvote itself without re-resolving.
INSTALL := PYTHON=$(PYTHON) scripts/install.sh $(VENV) --editable
UV := $(BIN)/uv

$(UV): scripts/uv-requirements.txt scripts/install.sh
	PYTHON=$(PYTHON) scripts/install.sh $(VENV) --uv-only
	@touch $@

$(VENV)/.installed: uv.lock pyproject.toml scripts/install.sh scripts/uv-requirements.txt
	$(INSTALL)
	@touch $@

$(VENV)/.installed-test: uv.lock pyproject.toml scripts/install.sh scripts/uv-requirements.txt
	$(INSTALL) test
	@touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: uv.lock pyproject.toml scripts/install.sh scripts/uv-requirements.txt
	$(INSTALL) bench
	@touch $@

system-deps:
	@scripts/system-deps.sh run

system-deps-test:
	@scripts/system-deps.sh test

system-deps-bench:
	@scripts/system-deps.sh bench

run: system-deps $(VENV)/.installed
	$(BIN)/fundvote demo --if-empty --base-url http://127.0.0.1:$(PORT)
	$(BIN)/fundvote serve --host 127.0.0.1 --port $(PORT)

# The suite runs on every core (pytest-xdist); each worker has its own database; the tests
# that read the loaded demo share one worker (tests/conftest.py). A serial run:
# make test PYTEST_ARGS='-n 0'.
test: system-deps-test $(VENV)/.installed-test
	$(BIN)/python -m pytest -n auto --dist loadgroup $(PYTEST_ARGS)

lint: $(VENV)/.installed-test lock-check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The lock: `make lock` after editing pyproject.toml (keeps every pin that still fits);
# `make lock-upgrade` moves every pin to the newest release. `make lint` fails when uv.lock no
# longer matches pyproject.toml; that check reads only the two files, never the registry.
lock: $(UV)
	$(UV) lock

lock-upgrade: $(UV)
	$(UV) lock --upgrade

lock-check: $(UV)
	@$(UV) lock --check --offline --quiet >/dev/null 2>&1 || { \
		echo "fundvote: uv.lock is out of date with pyproject.toml: run \`make lock\` and commit uv.lock"; \
		exit 1; }

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

# Figures beside same-run baselines (docs/benchmarks.md); BENCH_ARGS="--quick cast merkle".
bench: system-deps-bench $(VENV)/.installed-test $(VENV)/.installed-bench
	$(BIN)/python -m tests.bench $(BENCH_ARGS)

# The offline verifier as one file (audit/zipapp.py): needs only Python 3.11+ and cryptography.
verifier-pyz: $(VENV)/.installed
	$(BIN)/python -m audit.zipapp dist/fundvote-verify.pyz

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
