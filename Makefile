# The two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DATA   ?= ./.amlite
HOST   ?= 127.0.0.1
PORT   ?= 8600

.PHONY: run test bench install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

# Azurite (Azure Storage's emulator) for the BlobStore contract tests, pinned, installed with npm
# into .tools/ (the stamp file reinstalls it when the pin changes).
AZURITE_VERSION ?= 3.37.0
AZURITE_STAMP   := .tools/.azurite-$(AZURITE_VERSION)

$(AZURITE_STAMP):
	npm install --no-audit --no-fund --prefix .tools azurite@$(AZURITE_VERSION)
	touch $(AZURITE_STAMP)

install-test: $(BIN)/python $(AZURITE_STAMP)
	$(BIN)/pip install --quiet -e '.[test]'

run: install
	$(BIN)/amlite server --data-dir $(DATA) --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/python -m pytest -n 2 --dist worksteal $(PYTEST_ARGS)

# The benchmark compares amlite with MLflow's tracking server; MLflow lives in its own venv
# (.bench-venv) so its pins never touch amlite's. psycopg2-binary is MLflow's PostgreSQL driver
# (BENCH_ARGS="--db postgresql"); py-spy profiles either server while the bench runs.
.bench-venv/bin/mlflow:
	$(PYTHON) -m venv .bench-venv
	.bench-venv/bin/pip install --quiet --upgrade pip
	.bench-venv/bin/pip install --quiet "mlflow==3.17.2" "httpx==0.28.1" "psycopg2-binary==2.9.13" "py-spy==0.4.3"

bench: install $(AZURITE_STAMP) .bench-venv/bin/mlflow
	$(BIN)/python bench/registry_bench.py --mlflow .bench-venv/bin/mlflow $(BENCH_ARGS)
	$(BIN)/python bench/artifact_bench.py
	$(BIN)/python bench/replication_bench.py
	$(BIN)/python bench/replication_bench.py --azure
	$(BIN)/python bench/keepalive_bench.py

clean:
	rm -rf $(VENV) .bench-venv .tools build src/*.egg-info .pytest_cache
