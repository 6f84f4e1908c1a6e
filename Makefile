# The two set-up commands: `make run` serves the dashboard, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8050

.PHONY: run test lint build-data bench bench-quick system-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { echo "error: could not create $(VENV); on Debian/Ubuntu: apt-get install python3-venv" >&2; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(VENV)/.runtime $@

run: $(VENV)/.runtime
	bash tools/system-deps.sh --optional
	$(BIN)/python -m dashboard --host $(HOST) --port $(PORT)

system-deps:
	bash tools/system-deps.sh

test: $(VENV)/.dev system-deps
	$(BIN)/python -m pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

build-data: $(VENV)/.dev
	$(BIN)/python -m geodata.build

$(VENV)/.bench: $(VENV)/.dev requirements-bench.txt
	$(BIN)/python -m pip install --quiet -r requirements-bench.txt
	touch $@

# bench_load's planners send at most ~46 req/s at their think times: a second run at 0.6 of them loads the worker
# past the 50 req/s goal.
BUSY_LOAD = benchmarks/bench_load.py --no-exports --pace 0.6 --baseline ''

bench: $(VENV)/.bench
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done
	$(BIN)/python $(BUSY_LOAD)

# The same figures from shorter runs (under 10 minutes): each script that has a --quick variant runs it.
bench-quick: $(VENV)/.bench
	for script in benchmarks/bench_*.py; do \
		flag=$$(grep -q -e '"--quick"' $$script && echo --quick); $(BIN)/python $$script $$flag || exit 1; \
	done
	$(BIN)/python $(BUSY_LOAD) --quick
