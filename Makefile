# One command per job. `make lab` and `make test` set everything up on a fresh machine.
#
#   make lab     install, build, copy the notebooks into work/, start JupyterLab there with
#                the learner's settings (`tradeoffs jupyter`; NO_BROWSER=1 to not open a
#                browser, PORT=8888 to choose the port)
#   make test    install, then lint, `tradeoffs build --check` and the whole test suite
#   make check   lint, types and `tradeoffs dev check` (the course's rules), without the tests
#   make build   regenerate course/*.ipynb and exercises/ from their sources
#   make bench   benchmarks (not tests): grading throughput against plain nbgrader
#   make lock    re-resolve requirements.lock from pyproject.toml (after changing dependencies);
#                pins already in the lock are kept unless UPGRADE=1

PYTHON ?= python3
VENV ?= .venv
BIN := $(CURDIR)/$(VENV)/bin
PORT ?= 8888
PYTEST_WORKERS ?= 2
# The resolved, tested set of every distribution: every install is constrained to it.
LOCK := requirements.lock

# nbgrader runs `alembic` and Jupyter runs kernels by name: the venv's bin/ must be on PATH.
export PATH := $(BIN):$(PATH)
# nbgrader (and its JupyterLab "Validate" button) read autograder/nbgrader_config.py.
export JUPYTER_CONFIG_PATH := $(CURDIR)/autograder
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: lab test check build install lint types bench lock clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

build: install
	$(BIN)/tradeoffs build

lab: install
	$(BIN)/tradeoffs build
	$(BIN)/tradeoffs workspace
	$(BIN)/tradeoffs jupyter --port=$(PORT) $(if $(NO_BROWSER),--no-browser,)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: install
	$(BIN)/mypy

check: lint types
	$(BIN)/tradeoffs dev check

test: lint
	$(BIN)/tradeoffs build --check
	$(BIN)/pytest -n $(PYTEST_WORKERS) --durations=10

# One command, deterministic: uv resolves pyproject.toml (with the dev extra) for every
# platform and Python >= 3.11 from its default index (PyPI), preferring the versions
# already in the lock, so a new dependency changes only what it must.
lock: | $(BIN)/python
	@test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet -c $(LOCK) uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--custom-compile-command "make lock" \
		$(if $(UPGRADE),--upgrade,) --quiet -o $(LOCK)

bench: install
	$(BIN)/python benchmarks/grade_bench.py --submissions 40

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache work
