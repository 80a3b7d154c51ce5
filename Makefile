# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[all]'
	touch $(STAMP)

## demo: build the sample street in demo.db and print its summary
demo: $(STAMP)
	$(VENV)/bin/orggraph demo --db demo.db

## test: every test, doctests included
test: $(STAMP)
	$(PY) -m pytest

## bench: every benchmark, on 200,000 and 2,000,000 households (takes about twenty minutes)
bench: $(STAMP)
	$(PY) bench/load.py
	$(PY) bench/queries.py
	$(PY) bench/server.py
	$(PY) bench/api.py
	$(PY) bench/concurrency.py
	$(PY) bench/workbooks.py

clean:
	rm -rf $(VENV) demo.db demo.db-wal demo.db-shm demo.db-audit demo.db-audit-wal demo.db-audit-shm .pytest_cache
