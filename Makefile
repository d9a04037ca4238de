# The two commands a newcomer needs: `make up` (start everything) and `make test`.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

.PHONY: install up test bench
install: $(BIN)/.installed

up: $(BIN)/.installed
	$(BIN)/vigil up

test: $(BIN)/.installed
	$(BIN)/python -m pytest

bench: $(BIN)/.installed
	$(BIN)/python bench/emergency_latency.py
	$(BIN)/python bench/monitoring_ingest.py
