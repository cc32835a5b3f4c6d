# Jäkälä analysis workspace. The two commands: `make findings` and `make test`.
# Both create the local virtual environment (.venv) when it is missing, register its
# Jupyter kernel ("jakala") so papermill and JupyterLab use the same environment, then run.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.jakala-installed
JOBS   ?=
# make lab: PORT=8890 BROWSER=no IP=0.0.0.0 LAB_ARGS="--IdentityProvider.token=..." (any jupyter lab option)
PORT     ?= 8888
IP       ?= localhost
BROWSER  ?= yes
LAB_ARGS ?=

.PHONY: findings test test-fast lab list bench clean-outputs help venv

help:
	@echo "make findings  - set up, generate demo data if data/raw is empty, ingest, run the batch"
	@echo "make test      - set up and run the tests"
	@echo "make test-fast - the unit tests and docstring examples (skips tests marked integration or slow)"
	@echo "make lab       - JupyterLab at the project root with the jakala kernel"
	@echo "                 (options: PORT=8890 BROWSER=no IP=0.0.0.0 LAB_ARGS=\"...\")"
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

# the unit tests and docstring examples only (no batch, no notebooks, kernels, R or LibreOffice):
# for the edit-test loop, under a minute
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not integration and not slow" -x -q

# Opens at the project root (figures/, reports/, scratch/ browsable), new notebooks get the
# workspace kernel; as root (containers) it adds --allow-root.
lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --ServerApp.port=$(PORT) --ServerApp.ip=$(IP) \
	  --MappingKernelManager.default_kernel_name=jakala \
	  $(if $(filter no false 0,$(BROWSER)),--no-browser,) \
	  $(if $(filter 0,$(shell id -u)),--allow-root,) $(LAB_ARGS)

list: $(STAMP)
	$(BIN)/jakala list

bench: $(STAMP)
	$(BIN)/jakala bench --scales 1 10 100

clean-outputs:
	rm -rf reports figures/*/ data/processed/*.parquet data/processed/cache
