# Pruning Lab: the two commands of the README, plus their shared set-up.
#   make book          executes every chapter and writes _build/html/index.html (fails on any error or warning)
#   make test          unit tests of the package + nbval (strict) of every chapter
#   make data          the Fashion-MNIST files, verified, in the cache directory (~/.cache/pruning_lab;
#                      nothing done when present); make book and make test run it first
#   make lint          ruff: lint rules and formatting (configured in pyproject.toml)
#   make test-theory   the unit tests in a second environment with only the package's base
#                      dependencies (no torch, mlxtend or ipywidgets): the theory modules must work there
# All create the virtual environment .venv from requirements.txt on first use (test-theory: .venv-theory).

PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed
VENDOR  = _vendor
# MathJax for offline pages, from the npm registry; the tarball's integrity is checked against this pin.
MATHJAX_VERSION   = 3.2.2
MATHJAX_INTEGRITY = sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==
THEORY_VENV ?= .venv-theory
THEORY_STAMP = $(THEORY_VENV)/.installed
# matplotlib's font cache lives in this checkout's venv: a cache shared by several checkouts can
# point at the bundled fonts of one that was deleted, and the chapters would then print font warnings
export MPLCONFIGDIR := $(abspath $(VENV))/matplotlib

.PHONY: install data set-repository vendor book book-html check-book test lint format test-theory benchmark soak clean

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -r requirements.txt
	$(PY) -m pip install --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (pruning-lab)"
	touch $(STAMP)

# Fashion-MNIST into $(PRUNING_LAB_FASHION_MNIST) or ~/.cache/pruning_lab/fashion-mnist (XDG_CACHE_HOME honoured),
# from the upstream release or else Debian's package dataset-fashion-mnist; checked by SHA-256, so a
# copy that is there costs a fraction of a second.
data: $(STAMP)
	$(PY) -m pruning_lab fetch fashion-mnist

vendor: $(VENDOR)/.installed

$(VENDOR)/.installed: Makefile
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/pack $(VENDOR)/static
	cd $(VENDOR)/pack && npm pack --silent mathjax@$(MATHJAX_VERSION) > /dev/null
	$(PYTHON) -c "import base64, hashlib, sys; data = open('$(VENDOR)/pack/mathjax-$(MATHJAX_VERSION).tgz', 'rb').read(); \
	    got = 'sha512-' + base64.b64encode(hashlib.sha512(data).digest()).decode(); \
	    sys.exit(None if got == '$(MATHJAX_INTEGRITY)' else 'mathjax tarball: integrity ' + got + ' differs from the pin')"
	tar -xzf $(VENDOR)/pack/mathjax-$(MATHJAX_VERSION).tgz -C $(VENDOR)/pack
	mv $(VENDOR)/pack/package/es5 $(VENDOR)/static/mathjax && rm -rf $(VENDOR)/pack
	touch $(VENDOR)/.installed

book: $(STAMP) $(VENDOR)/.installed data
	rm -rf _build/html _build/.doctrees
	$(VENV)/bin/jupyter-book build . --warningiserror --nitpick --keep-going --all
	@echo "Book written to _build/html/index.html"

# The HTML from the committed outputs, without executing the chapters (for CI: `make test` has just
# proved with strict nbval that the committed outputs are what the chapters produce).
book-html: $(STAMP) $(VENDOR)/.installed
	rm -rf _build/html _build/.doctrees _build/noexec
	mkdir -p _build/noexec
	$(PY) -c "import os, yaml; c = yaml.safe_load(open('_config.yml')); c['execute']['execute_notebooks'] = 'off'; \
	    ext = c['sphinx']['local_extensions']; ext.update({k: os.path.abspath(v) for k, v in ext.items()}); \
	    yaml.safe_dump(c, open('_build/noexec/_config.yml', 'w'), sort_keys=False)"
	$(VENV)/bin/jupyter-book build . --config _build/noexec/_config.yml --warningiserror --nitpick --keep-going --all
	@echo "Book written to _build/html/index.html (committed outputs, not re-executed)"

# Open every page in headless Chromium with no network: math typeset, images loaded, no console
# errors, internal links resolve; screenshots in _build/screenshots.
check-book: $(STAMP)
	$(PY) tests/browser/check_book.py _build/html --screenshots _build/screenshots

test: $(STAMP) data
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
	$(PY) benchmarks/bench_oneshot.py
	$(PY) benchmarks/bench_structured.py
	$(PY) benchmarks/bench_sparse.py
	$(PY) benchmarks/bench_dask.py

# SIGKILL a small command-line sweep 20 times per mode (serial, --jobs 2, Dask); not part of CI (minutes)
soak: $(STAMP) data
	$(PY) benchmarks/soak_kill.py --kills 20 --mode all

# Point the book at its published repository (pyproject.toml names it once; this copies it everywhere).
set-repository:
	@test -n "$(URL)" || { echo "usage: make set-repository URL=https://github.com/<owner>/<name>"; exit 2; }
	$(PYTHON) book/_ext/set_repository.py "$(URL)"

clean:
	rm -rf _build $(THEORY_VENV) $(VENDOR)
