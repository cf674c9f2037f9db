# Two targets do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

demo: $(VENV)/.installed  ## split a generated table on embedded DuckDB, printing the BigQuery SQL
	$(BIN)/bqml-tools demo

test: $(VENV)/.installed  ## the whole test suite
	$(BIN)/python -m pytest

bench: $(VENV)/.installed  ## speed figures of issue 8 (printed, never asserted; BENCHMARKS.md keeps the latest)
	$(BIN)/python benchmarks/bench_fingerprint.py
	$(BIN)/python benchmarks/bench_split.py
	$(BIN)/python benchmarks/bench_evaluate.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .hypothesis
