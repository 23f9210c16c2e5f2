# Pruning Lab: the two commands of the README, plus their shared set-up.
#   make book          executes every chapter and writes _build/html/index.html (fails on any error or warning)
#   make test          unit tests of the package + nbval (strict) of every chapter
#   make lint          ruff: lint rules and formatting (configured in pyproject.toml)
#   make test-theory   the unit tests in a second environment with only the package's base
#                      dependencies (no torch, mlxtend or ipywidgets): the theory modules must work there
# All create the virtual environment .venv from requirements.txt on first use (test-theory: .venv-theory).

PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed
THEORY_VENV ?= .venv-theory
THEORY_STAMP = $(THEORY_VENV)/.installed
# matplotlib's font cache lives in this checkout's venv: a cache shared by several checkouts can
# point at the bundled fonts of one that was deleted, and the chapters would then print font warnings
export MPLCONFIGDIR := $(abspath $(VENV))/matplotlib

.PHONY: install book test lint format test-theory benchmark clean

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -r requirements.txt
	$(PY) -m pip install --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (pruning-lab)"
	touch $(STAMP)

book: $(STAMP)
	rm -rf _build/html _build/.doctrees
	$(VENV)/bin/jupyter-book build . --warningiserror --nitpick --keep-going --all
	@echo "Book written to _build/html/index.html"

test: $(STAMP)
	$(PY) -m pytest tests book --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg \
	    -p no:cacheprovider -ra

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The base dependencies of pyproject.toml at the versions pinned in requirements.txt, plus the test runner.
$(THEORY_STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(THEORY_VENV)
	$(THEORY_VENV)/bin/python -m pip install --upgrade pip
	$(THEORY_VENV)/bin/python -m pip install -c requirements.txt -e . pytest threadpoolctl
	touch $(THEORY_STAMP)

test-theory: $(THEORY_STAMP)
	@$(THEORY_VENV)/bin/python -c "import importlib.util as u, sys; \
	    extra = [m for m in ('torch', 'mlxtend', 'ipywidgets', 'joblib') if u.find_spec(m)]; \
	    sys.exit(f'test-theory needs an environment without {extra}') if extra else None"
	$(THEORY_VENV)/bin/python -m pytest tests -p no:cacheprovider -q -ra

benchmark: $(STAMP)
	$(PY) benchmarks/bench_lsq.py
	$(PY) benchmarks/bench_masks.py
	$(PY) benchmarks/bench_dc.py
	$(PY) benchmarks/bench_sensing.py
	$(PY) benchmarks/bench_lottery.py
	$(PY) benchmarks/bench_masked_training.py

clean:
	rm -rf _build $(THEORY_VENV)
