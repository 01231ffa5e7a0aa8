"""Warehouses for the dashboard tests, made by the real pipeline so pages meet the contract.

A small demo org (fixed seed and end month) goes through `generate_demo` and `build`, the
functions behind `python -m pipelines demo` and `python -m pipelines build`, once per test
session (in process: the CLI itself is tested in test_cli.py); the other helpers make the
awkward cases: no file at all, a file with no tables, and a rebuild swapped in under a running
session.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
DEMO_ENGINEERS = 12
DEMO_MONTHS = 18
DEMO_SEED = 4
END_MONTH = "2026-10"


# The pipeline is imported inside the helpers: conftest imports this module for every test run,
# and the build brings pandera, which is slow to import.


def make_demo_source(
    folder: Path,
    seed: int = DEMO_SEED,
    end_month: str = END_MONTH,
    engineers: int = DEMO_ENGINEERS,
    months: int = DEMO_MONTHS,
) -> Path:
    """The small org by default; `engineers` and `months` for a realistic one (the layout
    tests at an org's real size)."""
    from pipelines.demo.generate import generate_demo

    generate_demo(folder, engineers=engineers, months=months, seed=seed, end_month=end_month)
    return folder


def build_warehouse(source: Path, warehouse: Path) -> Path:
    from pipelines.load.build import build

    build(source, warehouse)
    return warehouse


def make_empty_warehouse(path: Path) -> Path:
    """A DuckDB file with no tables: what an interrupted or foreign file looks like."""
    duckdb.connect(str(path)).close()
    return path


def swap_in(new: Path, target: Path) -> None:
    """Replace the warehouse the way the pipeline does: a complete file, one atomic rename."""
    os.replace(new, target)


def people_names(warehouse: Path) -> dict[str, str]:
    """engineer id -> name, for tests that look for names on a page."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return dict(con.execute("select engineer_id, name from engineers").fetchall())
    finally:
        con.close()
