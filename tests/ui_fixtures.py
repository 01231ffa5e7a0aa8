"""Warehouses for the dashboard tests, made by the real pipeline so pages meet the contract.

A small demo org (fixed seed and end month) goes through `python -m pipelines demo` and
`python -m pipelines build` once per test session; the other helpers make the awkward cases:
no file at all, a file with no tables, and a rebuild swapped in under a running session.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
DEMO_ENGINEERS = 12
DEMO_MONTHS = 18
DEMO_SEED = 4
END_MONTH = "2026-10"


def _pipelines(*args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pipelines", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"python -m pipelines {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        )


def make_demo_source(folder: Path, seed: int = DEMO_SEED, end_month: str = END_MONTH) -> Path:
    _pipelines(
        "demo",
        "--out",
        str(folder),
        "--engineers",
        str(DEMO_ENGINEERS),
        "--months",
        str(DEMO_MONTHS),
        "--seed",
        str(seed),
        "--end-month",
        end_month,
    )
    return folder


def build_warehouse(source: Path, warehouse: Path) -> Path:
    _pipelines("build", "--source", str(source), "--warehouse", str(warehouse))
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
