# The two commands a newcomer needs: `make up` (start everything) and `make test`.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

.PHONY: install up test bench chromium screenshots fuzz
install: $(BIN)/.installed

up: $(BIN)/.installed
	$(BIN)/vigil up

# The console's browser tests drive Debian's Chromium (never a browser download of Playwright's own).
chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

# The console's accessibility check runs axe-core in the browser: package.json, pinned by
# package-lock.json, installed with npm (Debian's, when missing).
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || (apt-get update && apt-get install -y npm)
	npm ci --no-audit --no-fund
	touch $@

# Most of the suite waits on timers and sockets, so files run side by side in TEST_PROCESSES
# processes, each with its own Temporal dev server, databases and stack. The files that wait
# minutes on the wall clock are packed into TEST_PROCESSES - 3 processes of their own; the
# other files share the remaining three (tests/utils/wall_clock_scheduling.py).
TEST_PROCESSES ?= 7
# The suite starts about a hundred Python processes (stacks, workers, CLI runs); where the
# environment says PYTHONDONTWRITEBYTECODE, each compiled Vigil's 233 modules again (0.3 s of
# CPU a process). An empty value lets them write and share __pycache__ (ignored by git).
test: export PYTHONDONTWRITEBYTECODE =
test: $(BIN)/.installed chromium node_modules/.installed
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist loadfile --no-loadscope-reorder

# The console's main pages at 360 and 1280 px, into screenshots/ (ignored by git).
screenshots: $(BIN)/.installed chromium
	$(BIN)/python -m cli.screenshots

# Generated requests against a stack of its own: FUZZ_EXAMPLES per operation and role,
# FUZZ_DATABASE=postgres to run it on PostgreSQL as production does.
FUZZ_EXAMPLES ?= 100
fuzz: $(BIN)/.installed
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/e2e/test_fuzz_openapi.py -s -p no:cacheprovider --timeout=3600

bench: $(BIN)/.installed
	$(BIN)/python bench/emergency_latency.py
	$(BIN)/python bench/monitoring_ingest.py
	$(BIN)/python bench/webhook_fanout.py
