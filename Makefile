# The two commands a newcomer needs: `make up` (start everything) and `make test`.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

.PHONY: install up test bench fuzz
install: $(BIN)/.installed

up: $(BIN)/.installed
	$(BIN)/vigil up

test: $(BIN)/.installed
	$(BIN)/python -m pytest

# Generated requests against a stack of its own: FUZZ_EXAMPLES per operation and role,
# FUZZ_DATABASE=postgres to run it on PostgreSQL as production does.
FUZZ_EXAMPLES ?= 100
fuzz: $(BIN)/.installed
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/test_fuzz_openapi.py -s -p no:cacheprovider --timeout=3600

bench: $(BIN)/.installed
	$(BIN)/python bench/emergency_latency.py
	$(BIN)/python bench/monitoring_ingest.py
