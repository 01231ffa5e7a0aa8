"""Read-only access to the warehouse the pipeline builds, cached per build.

The pipeline writes each build into a new file and swaps it in with `os.replace`, so the file
at the warehouse path can change under a running dashboard. Every script run looks at the file's
identity (inode, mtime, size); a new identity means a new build, which gets its own read-only
connection, and every cached query result is keyed on the build id, so a rebuild is picked up on
the next rerun without restarting the server and without ever mixing two builds on one page.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd
import streamlit as st

if TYPE_CHECKING:
    from pipelines.access import Scope

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE = REPO_ROOT / "data" / "warehouse.duckdb"
WAREHOUSE_ENV = "RUNGS_WAREHOUSE"
# The alias the warehouse file is attached under in each connection's private in-memory database.
ALIAS = "wh"


class WarehouseUnavailable(Exception):
    """The warehouse cannot be read right now; `problem` says why and `fix` what to run."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem} {fix}")
        self.problem = problem
        self.fix = fix


@dataclass(frozen=True)
class Warehouse:
    """One build of the warehouse, opened read-only, and whose view it answers for.

    `current()` hands out the build without a scope; rungs_ui.access.scoped() gives each run a
    copy carrying the viewer's scope, which the query layer binds into every query about people
    (a query about people on an unscoped copy is refused there)."""

    path: str
    build_id: str
    tables: frozenset[str]
    con: duckdb.DuckDBPyConnection = field(repr=False, compare=False)
    scope: Scope | None = field(default=None, repr=False, compare=False)

    def has(self, *tables: str) -> bool:
        return all(t in self.tables for t in tables)

    def scoped(self, scope: Scope) -> Warehouse:
        return dataclasses.replace(self, scope=scope)


def warehouse_path() -> Path:
    configured = os.environ.get(WAREHOUSE_ENV)
    return Path(configured).expanduser().resolve() if configured else DEFAULT_WAREHOUSE


def build_command(path: Path) -> str:
    """The command that creates a warehouse at `path` from the demo org."""
    target = "" if path == DEFAULT_WAREHOUSE else f" --warehouse {path}"
    if target:
        return (
            "python -m pipelines demo --out data/demo && "
            f"python -m pipelines build --source data/demo{target}"
        )
    return "make demo build"


def _file_identity(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def current() -> Warehouse:
    """The build currently at the warehouse path; raises WarehouseUnavailable with the fix."""
    path = warehouse_path()
    try:
        identity = _file_identity(path)
    except FileNotFoundError:
        raise WarehouseUnavailable(
            f"No warehouse at {path}.", f"Build one with `{build_command(path)}`."
        ) from None
    return _open(str(path), identity)


# A new file identity is a new build. Old entries are not closed on eviction: another session may
# still be reading its page from that build, and the connection goes when its last user does.
@st.cache_resource(max_entries=4, show_spinner=False)
def _open(path: str, identity: tuple[int, int, int]) -> Warehouse:
    del identity  # only part of the cache key
    # A private in-memory database with the file attached: duckdb.connect(path) would hand back
    # the instance already open on this path, which still sees the file from before the swap.
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach '{_quote(path)}' as {ALIAS} (read_only)")
        con.execute(f"use {ALIAS}")
        tables = frozenset(
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_catalog = ?",
                [ALIAS],
            ).fetchall()
        )
        fix = f"Rebuild it with `{build_command(Path(path))}`."
        if "builds" not in tables:
            raise WarehouseUnavailable(f"The warehouse at {path} has no builds table yet.", fix)
        row = con.execute(
            "select build_id from builds order by built_at desc nulls last limit 1"
        ).fetchone()
        if row is None:
            raise WarehouseUnavailable(f"The warehouse at {path} records no build.", fix)
    except duckdb.Error as exc:
        con.close()
        raise WarehouseUnavailable(
            f"The warehouse at {path} could not be opened ({_first_line(exc)}); a build may be "
            "replacing it right now.",
            f"Reload the page in a moment, or rebuild with `{build_command(Path(path))}`.",
        ) from exc
    except WarehouseUnavailable:
        con.close()
        raise
    return Warehouse(path=path, build_id=str(row[0]), tables=tables, con=con)


def _quote(path: str) -> str:
    # ATTACH takes no bound parameter for the file name; our own path only needs quotes doubled.
    return path.replace("'", "''")


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def query(wh: Warehouse, sql: str, params: Mapping[str, object] | None = None) -> pd.DataFrame:
    """Run one SELECT on `wh` with its named parameters (`$month` in the SQL is
    `params["month"]`); results are cached per build. rungs_ui.queries is the only caller: it
    runs the named SQL files, never SQL put together from input."""
    return _cached_query(wh, wh.path, wh.build_id, sql, _cache_key(params or {}))


def _cache_key(params: Mapping[str, object]) -> tuple[tuple[str, object], ...]:
    """The parameters as a hashable cache key: sorted by name, lists as tuples."""
    return tuple(
        (name, tuple(value) if isinstance(value, list | tuple) else value)
        for name, value in sorted(params.items())
    )


@st.cache_data(max_entries=512, show_spinner=False)
def _cached_query(
    _wh: Warehouse, path: str, build_id: str, sql: str, params: tuple[tuple[str, object], ...]
):
    del path, build_id  # the cache key: same build, same SQL, same parameters, same rows
    cursor = _wh.con.cursor()
    try:
        cursor.execute(f"use {ALIAS}")
        bound = {name: list(v) if isinstance(v, tuple) else v for name, v in params}
        return cursor.execute(sql, bound).df()
    except duckdb.Error as exc:
        raise WarehouseUnavailable(
            f"A query on the warehouse failed ({_first_line(exc)}).",
            f"The build may predate this dashboard; rebuild with "
            f"`{build_command(Path(_wh.path))}`.",
        ) from exc
    finally:
        cursor.close()


@contextlib.contextmanager
def reading(wh: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor of its own on the run's read-only warehouse, with the warehouse as its default
    catalog: for code that runs pipeline SQL on it (the fairness lens), since a page's
    sessions share one connection."""
    cursor = wh.con.cursor()
    try:
        cursor.execute(f"use {ALIAS}")
        yield cursor
    finally:
        cursor.close()
