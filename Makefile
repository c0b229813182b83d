# Both targets do their own set-up on a fresh machine: a virtualenv in .venv with everything installed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/contexten up

test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(MAKE) typecheck
	$(BIN)/pytest

# mypy resolves modules by folder name; this view maps src/<name> to contexten/<name> as installed.
typecheck: $(STAMP)
	rm -rf build/typecheck && mkdir -p build/typecheck/contexten
	for d in src/contexten/*; do ln -s ../../../$$d build/typecheck/contexten/; done
	for d in common daemon tui client cli analysis; do ln -s ../../../src/$$d build/typecheck/contexten/$$d; done
	$(BIN)/mypy -p contexten
	$(BIN)/mypy tests

bench: $(STAMP)
	$(BIN)/python bench/event_pipeline.py
	$(BIN)/python bench/polling.py
	$(BIN)/python bench/flood.py
	$(BIN)/python bench/analysis.py
	$(BIN)/python bench/dead_code_vs_vulture.py
	$(BIN)/python bench/start_flow.py
	$(BIN)/python bench/cli_startup.py
	$(BIN)/python bench/queue_drain.py
	$(BIN)/python bench/security_audit.py
	$(BIN)/python bench/test_optimization.py
	$(BIN)/python bench/analytics.py
	$(BIN)/python bench/idle.py
	$(BIN)/python bench/console.py

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info
