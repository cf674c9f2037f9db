# Two targets do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test docs emulator dbt notebooks bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

demo: $(VENV)/.installed  ## split a generated table on embedded DuckDB, printing the BigQuery SQL
	$(BIN)/bqml-tools demo

test: $(VENV)/.installed  ## the whole test suite
	$(BIN)/python -m pytest

docs: $(VENV)/.installed  ## build the documentation site into site/ (mkdocs build --strict)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

EMULATOR_PORT ?= 9050
EMULATOR_GRPC_PORT ?= 9060
EMULATOR_PROJECT ?= bqml-demo

emulator: $(VENV)/.installed  ## a local BigQuery-API emulator in the foreground (in memory; Ctrl-C stops it)
	@echo "provisioning the emulator's own venv in .cache/bqemulator (the first time: 1-2 min, one pip install)"
	@$(BIN)/python -c "import sys; sys.path.insert(0, 'tests'); import emulator; emulator.provision()"
	@echo "BigQuery API on http://127.0.0.1:$(EMULATOR_PORT), project $(EMULATOR_PROJECT): pass --api-endpoint http://127.0.0.1:$(EMULATOR_PORT) --project $(EMULATOR_PROJECT)"
	.cache/bqemulator/bin/bqemulator start --rest-host 127.0.0.1 --rest-port $(EMULATOR_PORT) \
	    --grpc-host 127.0.0.1 --grpc-port $(EMULATOR_GRPC_PORT) --project $(EMULATOR_PROJECT) --log-level warning

dbt: $(VENV)/.installed  ## build dbt/integration_tests with dbt-duckdb (its own venv in .cache/dbt) and check it
	$(BIN)/python -m pytest -m dbt tests/test_dbt.py

notebooks: $(VENV)/.installed  ## re-execute notebooks/*.ipynb in place (they are committed with their outputs)
	$(BIN)/python notebooks/execute.py

bench: $(VENV)/.installed  ## speed figures of issue 8 (printed, never asserted; BENCHMARKS.md keeps the latest)
	$(BIN)/python benchmarks/bench_fingerprint.py
	$(BIN)/python benchmarks/bench_split.py
	$(BIN)/python benchmarks/bench_evaluate.py
	$(BIN)/python benchmarks/bench_intervals.py
	$(BIN)/python benchmarks/bench_scale.py

clean:
	rm -rf $(VENV) build dist site .pytest_cache .hypothesis
