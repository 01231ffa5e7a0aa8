"""The shrink guard: a build must never silently shrink the org.

A build that loads sharply fewer engineers, levels or tickets than the previous build of the
same warehouse, or that rejects a large share of any input file, is not swapped in unless the
user accepts the drop (`--accept-drop`): one stray quote or a bad id can otherwise turn a
40-person warehouse into a 2-person one with exit 0. This module only decides and words the
decision; `build()` acts on it and `check` reports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

from pipelines.errors import BuildFailed

if TYPE_CHECKING:
    import duckdb

# duckdb and the table contract are imported where they are used: the CLI imports this
# module for its defaults, and `demo` and `docs` should not pay for them.

# The tables whose loss empties the dashboard: the people, their levels, their work.
GUARDED_TABLES = ("engineers", "levels", "tickets")
DEFAULT_MAX_DROP = 0.2
DEFAULT_MAX_REJECTED = 0.1


class FileCounts(Protocol):
    """What the guard reads of a build's per-file statistics (build.FileStats)."""

    table: str
    file: str | None
    rows_read: int
    rows_loaded: int
    rows_rejected: int


@dataclass(frozen=True)
class DropGuard:
    """The thresholds (shares from 0 to 1) and whether the user accepted a drop.

    `previous` is the warehouse to compare with when the build writes none (`check`); a real
    build compares with the warehouse it replaces."""

    max_drop: float = DEFAULT_MAX_DROP
    max_rejected: float = DEFAULT_MAX_REJECTED
    accept_drop: bool = False
    previous: Path | None = None


@dataclass(frozen=True)
class Shrink:
    table: str
    before: int
    after: int

    def words(self) -> str:
        change = (self.after - self.before) / self.before
        return f"{self.table}: {self.before:,} → {self.after:,} ({change:+.0%})"


@dataclass(frozen=True)
class HeavyRejection:
    file: str
    read: int
    rejected: int
    limit: float

    def words(self) -> str:
        return (
            f"{self.file}: {self.rejected:,} of {self.read:,} rows rejected "
            f"({self.rejected / self.read:.0%}, more than the {self.limit:.0%} allowed)"
        )


class RejectedRow(NamedTuple):
    """Where the first rejected row is, and why it was rejected (with any "did you mean")."""

    file: str
    line: int
    reason: str = ""


@dataclass(frozen=True)
class Verdict:
    """What this build would lose. Empty (falsy) when nothing crosses a threshold."""

    shrinks: tuple[Shrink, ...] = ()
    heavy: tuple[HeavyRejection, ...] = ()
    first_rejected: tuple[str, int] | RejectedRow | None = None

    def __bool__(self) -> bool:
        return bool(self.shrinks or self.heavy)

    def losses(self) -> str:
        shrinks = ", ".join(s.words() for s in self.shrinks)
        return "; ".join(part for part in (shrinks, *(h.words() for h in self.heavy)) if part)

    def where_to_look(self) -> str:
        if self.first_rejected is None:
            return "if the smaller org is intended, rerun with --accept-drop"
        file, line, reason = RejectedRow(*self.first_rejected)
        why = f": {reason}" if reason else ""
        return f"check {file} line {line} (first rejected row{why}) or rerun with --accept-drop"

    def refusal(self, warehouse: Path, guard: DropGuard) -> str:
        kept = "the previous warehouse stays" if warehouse.exists() else "nothing was written"
        return (
            f"this build was not swapped into {warehouse}: {self.losses()}; {kept}. "
            f"Fix: {self.where_to_look()} (thresholds: --max-drop {guard.max_drop:g}, "
            f"--max-rejected {guard.max_rejected:g})"
        )

    def warning(self) -> str:
        """What `check` notes: the same losses and where to look."""
        return (
            f"a build would not be swapped in without --accept-drop: {self.losses()}; "
            f"{self.where_to_look()}"
        )


class DropRefused(BuildFailed):
    """The build completed but would shrink the org; the previous warehouse stays."""


def judge(
    guard: DropGuard,
    previous: Mapping[str, int],
    files: Iterable[FileCounts],
    first_rejected: tuple[str, int] | RejectedRow | None = None,
) -> Verdict:
    """Compare this build's counts with the previous build's and with the thresholds."""
    files = list(files)
    loaded = {t: sum(f.rows_loaded for f in files if f.table == t) for t in GUARDED_TABLES}
    shrinks = tuple(
        Shrink(table, previous[table], loaded[table])
        for table in GUARDED_TABLES
        if previous.get(table, 0) > 0
        and (previous[table] - loaded[table]) / previous[table] > guard.max_drop
    )
    heavy = tuple(
        HeavyRejection(f.file, f.rows_read, f.rows_rejected, guard.max_rejected)
        for f in files
        if f.file and f.rows_read and f.rows_rejected / f.rows_read > guard.max_rejected
    )
    return Verdict(shrinks, heavy, first_rejected)


def previous_counts(warehouse: Path | None) -> dict[str, int]:
    """Rows each table loaded in the warehouse's last build, read-only. A missing warehouse, or
    one from before build_files existed, compares as empty: the guard then only judges the
    rejected shares. One that exists but cannot be read stops the build: comparing against
    nothing would let any shrink through."""
    import duckdb

    if warehouse is None or not warehouse.is_file():
        return {}
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            if not con.execute(
                "select count(*) from duckdb_tables() where table_name = 'build_files'"
            ).fetchone()[0]:
                return {}
            rows = con.execute(
                "select table_name, sum(rows_loaded) from build_files group by table_name"
            ).fetchall()
    except (duckdb.Error, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BuildFailed(
            f"{warehouse}: the current warehouse could not be read ({first}), so this build "
            "cannot be checked against it for a shrinking org. Fix: close the program that "
            "holds it open (a duckdb shell, say) and build again, or rerun with --accept-drop"
        ) from exc
    return {table: int(n or 0) for table, n in rows}


def first_rejected_row(
    con: duckdb.DuckDBPyConnection, roster_file: str | None = None
) -> RejectedRow | None:
    """The first rejected row of the first file in load order (engineers before the files
    that refer to them), where the cause of a cascade of rejections usually is."""
    from pipelines.schemas import TABLES

    firsts = {
        table: (file, line, reason, value)
        for table, file, line, reason, value in con.execute(
            "select table_name, file, min(line), arg_min(reason, line), arg_min(value, line) "
            "from rejected_rows group by table_name, file"
        ).fetchall()
    }
    first = next((firsts[spec.name] for spec in TABLES if spec.name in firsts), None)
    if first is None:
        return None
    file, line, reason, value = first
    return RejectedRow(file, line, _with_roster_guess(con, reason or "", value, roster_file))


def _with_roster_guess(con, reason: str, value: str | None, roster_file: str | None) -> str:
    """An unknown engineer whose id is a roster id in other letter case is a typo in one of
    the two files (exports often upper-case ids): name the roster's spelling."""
    if not value or not reason.startswith("unknown engineer "):
        return reason
    meant = con.execute(
        "select min(engineer_id) from engineers where lower(engineer_id) = lower($v)",
        {"v": value},
    ).fetchall()[0][0]
    if meant is None:
        return reason
    return f"{reason}; did you mean {meant} in {roster_file or 'the roster'}?"
