# Jäkälä analysis workspace. The two commands: `make findings` and `make test`.
# Both create the local virtual environment (.venv) when it is missing, register its
# Jupyter kernel ("jakala") so papermill and JupyterLab use the same environment, then run.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.jakala-installed
JOBS   ?=

.PHONY: findings test lab list bench clean-outputs help venv

help:
	@echo "make findings  - set up, generate demo data if data/raw is empty, ingest, run the batch"
	@echo "make test      - set up and run the tests"
	@echo "make lab       - JupyterLab in the workspace environment"
	@echo "make list      - what the batch would run, and why"
	@echo "make bench     - benchmark at scales 1, 10, 100 (slow)"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name jakala --display-name "Python (jakala)" >/dev/null
	@touch $(STAMP)

venv: $(STAMP)

findings: $(STAMP)
	$(BIN)/jakala demo-data --if-empty
	$(BIN)/jakala ingest
	$(BIN)/jakala run $(if $(JOBS),--jobs $(JOBS),)

test: $(STAMP)
	$(BIN)/python -m pytest

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

list: $(STAMP)
	$(BIN)/jakala list

bench: $(STAMP)
	$(BIN)/jakala bench --scales 1 10 100

clean-outputs:
	rm -rf reports figures/*/ data/processed/*.parquet data/processed/cache
