# `make demo` and `make test` work on a fresh clone: each creates .venv when it is absent.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-dev
INSTALLED_PEERS := $(VENV)/.installed-peers
PYTEST_ARGS ?=

.PHONY: demo test test-all bench bench-jobshop bench-bandits bench-soc bench-memory train-jobshop \
	lint clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

$(INSTALLED_PEERS): $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e ".[dev,peers]"
	touch $@

## demo: solve Taillard instances with CP-SAT and every dispatching rule, print the table,
## and draw a Gantt chart (into demo_output/)
demo: $(INSTALLED)
	$(BIN)/decisiongym bench jobshop --instances ta01-ta03,ft06 --time-limit 5 --no-speed \
		--out-dir demo_output
	$(BIN)/decisiongym solve jobshop ta01 --method cpsat --time-limit 10 \
		--gantt demo_output/ta01_cpsat.png
	$(BIN)/decisiongym solve jobshop ta71 --method learned
	$(BIN)/decisiongym simulate bandits decisiongym/MAB-Bernoulli-Hard-K5-Video-v1 --agent ts \
		--seeds 5
	$(BIN)/decisiongym simulate bandits decisiongym/ClassificationBandit-Digits-v0 \
		--agent linucb --horizon 2000 --seeds 3
	$(BIN)/decisiongym solve soc topcuoglu --platform topcuoglu --method heft
	$(BIN)/decisiongym simulate soc --scheduler etf --rate 10 --jobs 1000 --noise 0.1
	$(BIN)/decisiongym solve memory resnet-b16 --mode allocation --method exact
	$(BIN)/decisiongym solve memory decode-b1-c512 --mode mapping --method planner

## test: the test suite (slow checks excluded; `make test-all` runs them too)
test: $(INSTALLED)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-all: $(INSTALLED)
	$(BIN)/python -m pytest -q -m "" $(PYTEST_ARGS)

## bench: the published tables in benchmarks/results, peers side by side (installs the peers
## extra)
bench: bench-jobshop bench-bandits bench-soc bench-memory

bench-jobshop: $(INSTALLED_PEERS)
	$(BIN)/decisiongym bench jobshop --instances ta01-ta80 --cpsat-instances ta01-ta10,ta41,ta71 \
		--time-limit 10 --workers 2

bench-bandits: $(INSTALLED_PEERS)
	$(BIN)/decisiongym bench bandits --seeds 10

bench-soc: $(INSTALLED)
	$(BIN)/decisiongym bench soc --seeds 10

## bench-memory: MiniMalloc's workloads are read from ../shared/data/memory when it exists
## (DATA=path/to/memory to give another folder); without them their table says so
bench-memory: $(INSTALLED)
	$(BIN)/decisiongym bench memory --time-limit 10 --exact-time-limit 60 \
		$(if $(DATA),--data $(DATA))

## train-jobshop: retrain the shipped job-shop dispatching network (about 30 minutes on 2 cores)
train-jobshop: $(INSTALLED)
	$(BIN)/decisiongym train jobshop --method cp-imitation \
		--out decisiongym/data/jobshop_dispatch.pt --log-dir runs/jobshop

lint: $(INSTALLED)
	$(BIN)/ruff check decisiongym tests
	$(BIN)/mypy decisiongym

clean:
	rm -rf $(VENV) build dist *.egg-info demo_output .pytest_cache runs
