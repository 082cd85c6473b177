# The README's commands. `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="-m 'not slow'"`.
PYTEST_ARGS ?=

.PHONY: demo report test test-quick lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-experiments: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[experiments]"
	touch $@

# The benchmarks' optional peers (PyTorch, Keras 3) on top of the experiments' extras.
$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[experiments,bench]"
	touch $@ $(VENV)/.installed-experiments

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed-experiments

demo: $(VENV)/.installed-experiments
	$(BIN)/python -m experiments.demo

# Every experiment at full size into results/REPORT.md, published as experiments/RESULTS.md.
report: $(VENV)/.installed-experiments
	$(BIN)/python -m experiments.report --run full --publish experiments/RESULTS.md

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# The inner loop: every test but the real-data runs and those marked heavy (seconds each, or
# the bulk of a grid); `make test` runs them all, as CI does.
test-quick: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n 2 -m "not slow and not heavy" $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Training throughput against the peers (BENCHMARKS.md); the other benchmarks:
# python -m experiments.bench.sweep, python -m experiments.bench.backprop.
bench: $(VENV)/.installed-bench
	$(BIN)/python -m experiments.bench.peers

clean:
	rm -rf $(VENV) results .pytest_cache
