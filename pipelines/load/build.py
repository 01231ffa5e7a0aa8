"""Build the warehouse: read -> validate -> quarantine -> cross-table checks -> derived tables.

The build writes a brand-new DuckDB file next to the target and swaps it in with one atomic
rename, so a build that fails for any reason (bad file, full disk, crash) leaves the previous
warehouse exactly as it was, still readable by the dashboard.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from pipelines.errors import BuildFailed, FileProblem
from pipelines.framework import (
    DEFAULT_FRAMEWORK,
    Framework,
    framework_params,
    load_framework,
    write_framework,
)
from pipelines.load import integrity, lines
from pipelines.load.progress import Steps
from pipelines.load.sources import find_file
from pipelines.load.table import REJECTED_ROWS_DDL, SQL_TYPES, load_table
from pipelines.models import run_model
from pipelines.rules.readiness import build_readiness
from pipelines.schemas import TABLES, TableSpec

# DuckDB may use this much memory before spilling to disk; keeps a 25M-ticket build well under
# 4 GiB on a laptop. Override with RUNGS_MEMORY_LIMIT (e.g. "8GB").
MEMORY_LIMIT = os.environ.get("RUNGS_MEMORY_LIMIT", "2500MB")


@dataclass
class FileStats:
    table: str
    file: str | None
    sha256: str | None = None
    bytes: int = 0
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    extra_columns: list[str] = field(default_factory=list)


@dataclass
class BuildReport:
    build_id: str
    source: str
    warehouse: str | None
    framework_version: str
    files: list[FileStats] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rejected_sample: list[tuple] = field(default_factory=list)
    as_of_month: str | None = None
    duration_s: float = 0.0
    step_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)


def _new_build_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def build(
    source: Path | str,
    warehouse: Path | str | None,
    framework_path: Path | str = DEFAULT_FRAMEWORK,
    progress: bool = False,
    as_of: str | None = None,
) -> BuildReport:
    """Build `warehouse` from the files in `source`. With warehouse=None, validate only."""
    started = time.perf_counter()
    as_of_month = _parse_as_of(as_of)
    source = Path(source)
    if not source.is_dir():
        raise BuildFailed(
            f"{source}: source folder not found. Fix: pass --source with the "
            "folder holding engineers.csv, levels.csv and tickets.csv"
        )
    framework = load_framework(framework_path)
    report = BuildReport(
        _new_build_id(), str(source), str(warehouse) if warehouse else None, framework.version
    )
    target = Path(warehouse) if warehouse else None
    scratch = None
    if target:
        target.parent.mkdir(parents=True, exist_ok=True)
        scratch = target.with_name(f".{target.name}.{report.build_id}.building")
    try:
        con = duckdb.connect(str(scratch) if scratch else ":memory:")
    except duckdb.Error as exc:
        raise BuildFailed(f"{scratch}: cannot create the new warehouse ({exc})") from exc
    try:
        with con, ThreadPoolExecutor(max_workers=1) as hasher:
            _run(con, source, framework, report, progress, hasher, as_of_month)
            report.duration_s = round(time.perf_counter() - started, 2)
            _record_build(con, report, framework)
        if scratch and target:
            os.replace(scratch, target)
    except Exception as exc:
        _discard(scratch)
        if isinstance(exc, BuildFailed):
            raise
        if isinstance(exc, FileProblem):
            raise BuildFailed(str(exc)) from exc
        raise BuildFailed(
            f"build {report.build_id} failed and nothing was changed: {type(exc).__name__}: {exc}"
        ) from exc
    return report


def _discard(scratch: Path | None) -> None:
    if scratch is None:
        return
    for leftover in (scratch, scratch.with_name(scratch.name + ".wal")):
        leftover.unlink(missing_ok=True)


def _run(
    con: duckdb.DuckDBPyConnection,
    source: Path,
    framework: Framework,
    report: BuildReport,
    progress: bool,
    hasher: ThreadPoolExecutor,
    as_of: date | None,
) -> None:
    con.execute("set memory_limit = $m", {"m": MEMORY_LIMIT})
    # DuckDB's own bar would interleave with the build's step lines (and its report on stdout).
    con.execute("set enable_progress_bar = false")
    write_framework(con, framework)
    con.execute(REJECTED_ROWS_DDL)

    steps = Steps(progress)
    with steps:
        for spec in TABLES:
            with steps.step(f"load {spec.name}"):
                _load_one(con, source, spec, framework, report, hasher)
        with steps.step("cross-table checks"):
            _cross_checks(con, report, framework, source)
        with steps.step("engineer_dates"):
            run_model(con, "engineer_dates", framework_params(framework))
        if has_metrics(report):
            with steps.step("engineer_months"):
                run_model(con, "engineer_months", framework_params(framework))
            with steps.step("readiness"):
                report.as_of_month = _readiness(con, framework, as_of)
        else:
            report.notes.append("no ticket or monthly metric loaded: nothing to judge yet")
    report.step_seconds = {name: round(s, 3) for name, s in steps.timings.items()}
    for stats in report.files:
        if isinstance(stats.sha256, Future):
            stats.sha256 = stats.sha256.result()[0]
    report.rejected_sample = con.execute(
        'select table_name, file, line, "column", value, reason from rejected_rows '
        "order by table_name, line limit 20"
    ).fetchall()


def _load_one(
    con,
    source: Path,
    spec: TableSpec,
    framework: Framework,
    report: BuildReport,
    hasher: ThreadPoolExecutor,
) -> None:
    path = find_file(source, spec)
    if path is None:
        _create_empty(con, spec)
        report.files.append(FileStats(spec.name, None))
        return
    # Hashed (and its lines counted) on a second thread while DuckDB reads it.
    digest = hasher.submit(lines.fingerprint, path)
    with tempfile.TemporaryDirectory(prefix="rungs-") as scratch:
        result = load_table(
            con,
            path,
            spec,
            framework,
            report.build_id,
            Path(scratch),
            newlines=lambda: digest.result()[1],
        )
    report.files.append(
        FileStats(
            spec.name,
            path.name,
            digest,
            path.stat().st_size,
            result.rows_read,
            result.rows_loaded,
            result.rows_rejected,
            result.extra_columns,
        )
    )
    if result.extra_columns:
        report.notes.append(
            f"{path.name}: ignored extra column(s) {', '.join(result.extra_columns)}"
        )


def _create_empty(con, spec: TableSpec) -> None:
    cols = ", ".join(
        f'"{n}" {SQL_TYPES.get(m["kind"], "varchar")}' for n, m in spec.columns().items()
    )
    con.execute(f"create or replace table {spec.name} ({cols}, source_line bigint)")


def has_metrics(report: BuildReport) -> bool:
    loaded = {f.table: f.rows_loaded for f in report.files}
    return bool(loaded.get("tickets") or loaded.get("monthly_metrics"))


def _cross_checks(con, report: BuildReport, framework: Framework, source: Path) -> None:
    stats = {s.table: s for s in report.files}
    if not has_metrics(report) and report.warehouse:
        # Without any metric every month would be 'presumed at level': flags with no basis.
        # (A check still runs to the end, so its report can show why nothing loaded.)
        raise FileProblem(
            source / (stats["tickets"].file or "tickets.csv"),
            "holds no ticket that loaded, and there is no monthly_metrics.csv",
            "export the helpdesk's tickets (or a monthly report per agent) "
            "into the source folder; see the data dictionary",
        )

    def moved(table: str, n: int) -> None:
        stats[table].rows_loaded -= n
        stats[table].rows_rejected += n

    if stats["tickets"].file:
        superseded, tied = integrity.dedupe_tickets(con, report.build_id, stats["tickets"].file)
        moved("tickets", tied)
        stats["tickets"].rows_loaded -= superseded
        if superseded:
            report.notes.append(
                f"{stats['tickets'].file}: {superseded} older version(s) of "
                "repeated ticket ids replaced by the newest updated_at"
            )
    for table in integrity.ENGINEER_REFERENCES:
        if stats[table].file:
            moved(
                table,
                integrity.reject_unknown_engineers(con, table, report.build_id, stats[table].file),
            )
    for engineer, manager in integrity.unknown_managers(con):
        report.notes.append(
            f"engineers.csv: {engineer}'s manager_id {manager} is not on the "
            "roster; loaded without a known manager"
        )
    if not stats["monthly_metrics"].file:
        return
    overlap = con.execute(
        "select count(*) from monthly_metrics m semi join ("
        "select distinct assignee_id as engineer_id, date_trunc('month', "
        "timezone($tz, solved_at))::date as month from tickets "
        "where solved_at is not null) t using (engineer_id, month)",
        {"tz": framework.timezone},
    ).fetchall()[0][0]
    if overlap:
        report.notes.append(
            f"monthly_metrics.csv: {overlap} engineer-month(s) also covered by "
            "tickets; the ticket figures were used"
        )


def _readiness(con, framework: Framework, as_of: date | None) -> str | None:
    month = build_readiness(con, framework, as_of)
    return f"{month:%Y-%m}" if month else None


def _parse_as_of(as_of: str | None) -> date | None:
    """Checked before any file is read: a typo should not cost a 25-million-row load."""
    if as_of is None:
        return None
    try:
        return datetime.strptime(as_of, "%Y-%m").date()
    except ValueError as exc:
        raise BuildFailed(
            f"--as-of {as_of!r} is not a month. Fix: write it as YYYY-MM, e.g. 2026-10"
        ) from exc


def _record_build(con, report: BuildReport, framework: Framework) -> None:
    con.execute("""create table builds (build_id varchar, built_at timestamptz,
        source_dir varchar, framework_version varchar, framework_digest varchar,
        timezone varchar, as_of_month varchar, duration_s double, rows_loaded bigint,
        rows_rejected bigint, status varchar, notes varchar[])""")
    con.execute(
        "insert into builds values ($id, now(), $src, $fv, $fd, $tz, $asof, $d, $ok, "
        "$bad, 'ok', $notes)",
        {
            "id": report.build_id,
            "src": report.source,
            "fv": framework.version,
            "fd": framework.digest,
            "tz": framework.timezone,
            "asof": report.as_of_month,
            "d": report.duration_s,
            "ok": report.rows_loaded,
            "bad": report.rows_rejected,
            "notes": report.notes,
        },
    )
    con.execute("""create table build_files (build_id varchar, table_name varchar,
        file varchar, sha256 varchar, bytes bigint, rows_read bigint, rows_loaded bigint,
        rows_rejected bigint, extra_columns varchar[])""")
    con.executemany(
        "insert into build_files values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                report.build_id,
                f.table,
                f.file,
                f.sha256,
                f.bytes,
                f.rows_read,
                f.rows_loaded,
                f.rows_rejected,
                f.extra_columns,
            )
            for f in report.files
        ],
    )
    con.execute("update rejected_rows set build_id = $b", {"b": report.build_id})
    con.execute("checkpoint")
