# Pruning Lab: the two commands of the README, plus their shared set-up.
#   make book   executes every chapter and writes _build/html/index.html (fails on any error or warning)
#   make test   unit tests of the package + nbval (strict) of every chapter
# Both create the virtual environment .venv from requirements.txt on first use.

PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed
# matplotlib's font cache lives in this checkout's venv: a cache shared by several checkouts can
# point at the bundled fonts of one that was deleted, and the chapters would then print font warnings
export MPLCONFIGDIR := $(abspath $(VENV))/matplotlib

.PHONY: install book test benchmark clean

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

benchmark: $(STAMP)
	$(PY) benchmarks/bench_lsq.py
	$(PY) benchmarks/bench_masks.py
	$(PY) benchmarks/bench_dc.py
	$(PY) benchmarks/bench_sensing.py
	$(PY) benchmarks/bench_lottery.py
	$(PY) benchmarks/bench_masked_training.py

clean:
	rm -rf _build
