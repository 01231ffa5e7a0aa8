# Two commands for a newcomer: `make run` and `make test`. Everything else is a convenience.
SHELL := /bin/bash
# uv gives a reproducible venv from uv.lock. Use the one on PATH, else the Python module
# (installed for this user on first use, so nothing else is needed but python3).
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
PY := .venv/bin/python
SOURCE ?= data/demo
WAREHOUSE ?= data/warehouse.duckdb
# Extra build options, e.g. BUILD_ARGS=--accept-drop after a deliberate shrink of the org.
BUILD_ARGS ?=
PORT ?= 8501

.PHONY: run test lint bench demo build check flags backup screenshots clean

.venv/.synced: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --user --quiet uv
	$(UV) sync --frozen --quiet
	touch $@

# A synthetic org of fake people: 150 engineers in 15 teams over 36 months (the `demo`
# command's defaults; `make run` makes it once and keeps it).
demo: .venv/.synced
	$(PY) -m pipelines demo --out $(SOURCE)

build: .venv/.synced
	$(PY) -m pipelines build --source $(SOURCE) --warehouse $(WAREHOUSE) $(BUILD_ARGS)

check: .venv/.synced
	$(PY) -m pipelines check --source $(SOURCE)

flags: .venv/.synced
	$(PY) -m pipelines flags --warehouse $(WAREHOUSE)

# The journal (evidence and decisions recorded in the app) as files, in a new dated folder.
backup: .venv/.synced
	$(PY) -m pipelines journal export --out backups/journal-$$(date -u +%Y%m%dT%H%M%SZ)

$(SOURCE)/engineers.csv:
	$(MAKE) demo

run: .venv/.synced $(SOURCE)/engineers.csv build
	$(PY) -m rungs_ui.serve --server.port $(PORT)

# Two workers (one per core here); a test file stays on one worker so its server and browser
# are started once.
test: .venv/.synced
	$(PY) -m pytest -n auto --dist loadfile

lint: .venv/.synced
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# Build speed against DuckDB's bare load, each page cold and warm on that warehouse, and the
# Engineer page checked against its rows for a sample of that org, one case packet, a
# what-if against the readiness step it reruns, and every page settled in a real browser beside
# a trivial Streamlit page (on the bench org and on the demo org benchmarks.build makes).
bench: .venv/.synced
	$(PY) -m benchmarks.build
	$(PY) -m benchmarks.pages --warehouse data/bench/w.duckdb
	$(PY) -m benchmarks.consistency --warehouse data/bench/w.duckdb --sample 60
	$(PY) -m benchmarks.packets --warehouse data/bench/w.duckdb
	$(PY) -m benchmarks.whatif --warehouse data/bench/w.duckdb
	$(PY) -m benchmarks.browser --warehouse data/bench/w.duckdb --warehouse data/bench-demo/w.duckdb

screenshots: .venv/.synced
	$(PY) -m pytest -m browser -p no:cacheprovider tests/test_browser.py

clean:
	rm -rf .venv data/warehouse* data/demo data/bench screenshots
