"""The one model runner: each warehouse table derived in SQL is `models/<table>.sql`, a SELECT
whose settings arrive as named parameters (`$as_of`, `$min_sample`, ...). The file name is the
table name, so a reader finds the rule behind any column by the table it sits in."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

MODELS_DIR = Path(__file__).resolve().parent


def model_sql(table: str, params: dict) -> tuple[str, dict]:
    """A model's SELECT and the parameters it names (DuckDB rejects unused ones)."""
    sql = (MODELS_DIR / f"{table}.sql").read_text(encoding="utf-8")
    named = dict.fromkeys(re.findall(r"\$([a-z_]+)", sql))
    missing = [name for name in named if name not in params]
    if missing:
        raise KeyError(f"models/{table}.sql needs the setting(s) {missing}")
    return sql, {name: params[name] for name in named}


def run_model(con: duckdb.DuckDBPyConnection, table: str, params: dict | None = None) -> None:
    """(Re)create `table` from models/<table>.sql with the settings it names."""
    sql, bound = model_sql(table, params or {})
    con.execute(f"create or replace table {table} as\n{sql}", bound)
