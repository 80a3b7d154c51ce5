# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

NEO4J  := tests/neo4j/target/classpath.txt

.PHONY: demo test bench neo4j neo4j-launcher clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[all]'
	touch $(STAMP)

## demo: build the sample street in demo.db and print its summary
demo: $(STAMP)
	$(VENV)/bin/orggraph demo --db demo.db

## test: every test, doctests included, on the embedded store, FalkorDB and Neo4j (each started for the run)
test: $(STAMP) $(NEO4J)
	$(PY) -m pytest -n 2 --dist loadgroup

## neo4j-launcher: build the Neo4j 5 launcher of tests/neo4j (Maven fetches the test harness once)
neo4j-launcher: $(NEO4J)
$(NEO4J): tests/neo4j/pom.xml tests/neo4j/src/main/java/org/orggraph/test/LocalNeo4j.java
	mvn -B -q -f tests/neo4j/pom.xml compile
	touch $(NEO4J)

## neo4j: a throwaway Neo4j 5 Community in the foreground; its last line is the bolt:// URI to connect to
neo4j: $(NEO4J)
	java -cp "tests/neo4j/target/classes:$$(cat $(NEO4J))" org.orggraph.test.LocalNeo4j $(PORT)

## bench: every benchmark, on 200,000 and 2,000,000 households (takes about twenty minutes)
bench: $(STAMP)
	$(PY) bench/load.py
	$(PY) bench/queries.py
	$(PY) bench/server.py
	$(PY) bench/api.py
	$(PY) bench/concurrency.py
	$(PY) bench/workbooks.py
	$(PY) bench/robustness.py
	$(PY) bench/incidents.py
	$(PY) bench/search.py
	$(PY) bench/workbench.py

clean:
	rm -rf tests/neo4j/target $(VENV) demo.db demo.db-wal demo.db-shm demo.db-audit demo.db-audit-wal demo.db-audit-shm demo.db-incidents demo.db-incidents-wal demo.db-incidents-shm .pytest_cache
