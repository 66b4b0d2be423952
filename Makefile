# pf_app: environment, demo and tests.  Needs only a Python >= 3.12 somewhere (PATH or pyenv).
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# First interpreter >= 3.12: python3.13/python3.12/python3 on PATH, then pyenv's versions directory.
FIND_PYTHON = for c in python3.13 python3.12 python3 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	  if command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then echo $$c; exit 0; fi; \
	done; echo "no Python >= 3.12 found on PATH or under pyenv" >&2; exit 1

.PHONY: env demo test test-fast bench clean
env: $(STAMP)

$(STAMP): pyproject.toml
	@PYBIN=$$($(FIND_PYTHON)) && echo "using $$PYBIN ($$($$PYBIN --version))" && \
	  ( [ -x $(PY) ] || $$PYBIN -m venv $(VENV) )
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

demo: env
	$(VENV)/bin/mpirun -n 2 $(PY) -m pf_app run inputs/b2_demo.yaml

test: env
	$(PY) -m pytest -q

test-fast: env
	$(PY) -m pytest -q -m "not slow"

bench: env
	@for b in benchmarks/*.py; do echo "# $$b"; $(PY) $$b; done

clean:
	rm -rf $(VENV) results .pytest_cache
