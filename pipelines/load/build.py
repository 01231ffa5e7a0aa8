"""Build the warehouse: read -> validate -> quarantine -> cross-table checks -> derived tables.

The build writes a brand-new DuckDB file next to the target and swaps it in with one atomic
rename, so a build that fails for any reason (bad file, full disk, crash) leaves the previous
warehouse exactly as it was, still readable by the dashboard.
"""

from __future__ import annotations

import functools
import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
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
from pipelines.journal.store import Journal
from pipelines.load import attributes, integrity, journal_rows, lines, manager_history
from pipelines.load.guard import (
    DropGuard,
    DropRefused,
    first_rejected_row,
    judge,
    previous_counts,
)
from pipelines.load.lock import writer_lock
from pipelines.load.origins import Provenance
from pipelines.load.progress import Steps
from pipelines.load.scratch import (
    raise_on_termination,
    remove_scratch,
    scratch_path,
    sweep_leftovers,
    sweep_temp_folders,
    temp_prefix,
)
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
    guard: DropGuard | None = None,
    journal: Journal | None = None,
    provenance: Provenance | None = None,
) -> BuildReport:
    """Build `warehouse` from the files in `source`. With warehouse=None, validate only.
    With a `journal`, what was recorded in the app joins the files' rows (see journal_rows).
    With a `provenance`, `source` holds files converted from the user's exports: the report,
    rejected_rows and the build records name those exports instead (see origins).

    One build at a time per warehouse (a second one fails at once, naming the first). The new
    warehouse is written to a scratch file that every way out removes, and swapped in only
    when complete. With a `guard`, a build that would shrink the org is not swapped in
    (DropRefused) unless the guard accepts the drop; a check notes what a build would refuse.
    """
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
        _new_build_id(),
        provenance.source if provenance else str(source),
        str(warehouse) if warehouse else None,
        framework.version,
    )
    # Everything but where to write it, so the two ways in below cannot drift apart.
    build_into = functools.partial(
        _build_into,
        source=source,
        framework=framework,
        report=report,
        progress=progress,
        as_of=as_of_month,
        guard=guard,
        started=started,
        journal=journal,
        provenance=provenance,
    )
    with _failures_explained(report.build_id):
        if warehouse is None:
            build_into(None)
            return report
        target = Path(warehouse)
        target.parent.mkdir(parents=True, exist_ok=True)
        with raise_on_termination(), writer_lock(target):
            _sweep_dead_builds(target)
            scratch = scratch_path(target, report.build_id)
            try:
                build_into(scratch)
                os.replace(scratch, target)
            finally:
                _discard(scratch)
    return report


def _build_into(
    scratch: Path | None,
    source: Path,
    framework: Framework,
    report: BuildReport,
    progress: bool,
    as_of: date | None,
    guard: DropGuard | None,
    started: float,
    journal: Journal | None = None,
    provenance: Provenance | None = None,
) -> None:
    """Run the whole build into `scratch` (None: in memory), complete and checkpointed."""
    try:
        con = duckdb.connect(str(scratch) if scratch else ":memory:")
    except duckdb.Error as exc:
        raise BuildFailed(f"{scratch}: cannot create the new warehouse ({exc})") from exc
    with con, ThreadPoolExecutor(max_workers=1) as hasher:
        _run(con, source, framework, report, progress, hasher, as_of, journal, provenance)
        if guard is not None:
            _apply_guard(con, report, guard)
        report.duration_s = round(time.perf_counter() - started, 2)
        _record_build(con, report, framework)


def _apply_guard(con, report: BuildReport, guard: DropGuard) -> None:
    """Refuse a build that would shrink the org, before anything is swapped in. A check, or a
    build that accepted the drop, keeps the verdict as a note (recorded in `builds.notes`)."""
    replaced = Path(report.warehouse) if report.warehouse else guard.previous
    try:
        previous = previous_counts(replaced)
    except BuildFailed as unreadable:
        # Unreadable, the old warehouse cannot vouch for this build: only a check (which swaps
        # nothing) or an accepted drop goes on, saying so.
        if report.warehouse is not None and not guard.accept_drop:
            raise
        report.notes.append(f"not compared with the previous build: {unreadable}")
        previous = {}
    # The journal's rows count towards a shrink, but a rejected app entry is no badly
    # exported file: it never refuses a build (file=None is how the guard skips a source).
    counted = [
        replace(f, file=None) if f.file == journal_rows.JOURNAL_SOURCE else f for f in report.files
    ]
    roster = next((f.file for f in report.files if f.table == "engineers"), None)
    verdict = judge(guard, previous, counted, first_rejected_row(con, roster))
    if not verdict:
        return
    if report.warehouse is None:
        report.notes.append(verdict.warning())
    elif guard.accept_drop:
        report.notes.append(f"accepted with --accept-drop: {verdict.losses()}")
    else:
        raise DropRefused(verdict.refusal(Path(report.warehouse), guard))


def _sweep_dead_builds(target: Path) -> None:
    """Scratch files and temp folders of builds that were killed before they could clean up.
    Called holding the writer lock, so no live build's files are touched."""
    sweep_leftovers(target)
    sweep_temp_folders()


@contextmanager
def _failures_explained(build_id: str) -> Iterator[None]:
    """Every failure leaves as a BuildFailed whose message the CLI can print as it is."""
    try:
        yield
    except BuildFailed:
        raise
    except FileProblem as exc:
        raise BuildFailed(str(exc)) from exc
    except Exception as exc:
        raise BuildFailed(
            f"build {build_id} failed and nothing was changed: {type(exc).__name__}: {exc}"
        ) from exc


def _discard(scratch: Path | None) -> None:
    """Remove the unfinished warehouse (gone already after a swap: nothing to do then)."""
    if scratch is not None:
        remove_scratch(scratch)


def _run(
    con: duckdb.DuckDBPyConnection,
    source: Path,
    framework: Framework,
    report: BuildReport,
    progress: bool,
    hasher: ThreadPoolExecutor,
    as_of: date | None,
    journal: Journal | None = None,
    provenance: Provenance | None = None,
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
        journal_rows.mark_origins(con, {f.table: f.file for f in report.files})
        with steps.step("cross-table checks"):
            _cross_checks(con, report, framework, source)
            attributes.keep_loaded_only(con)
        if provenance is not None:
            # Before the journal's rows join (they name the journal) and before the guard
            # and the report quote any rejected row.
            provenance.relabel(con, report)
        if journal is not None:
            with steps.step("journal"):
                _add_journal(con, journal, framework, report)
        with steps.step("engineer_dates"):
            run_model(con, "engineer_dates", framework_params(framework))
        with steps.step("reporting_lines"):
            run_model(con, "reporting_lines")
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
    # Rows rejected in their own right first; those rejected with another row come after.
    report.rejected_sample = con.execute(
        'select table_name, file, line, "column", value, reason, "key" from rejected_rows '
        "order by caused_by is not null, table_name, line limit 20"
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
    with tempfile.TemporaryDirectory(prefix=temp_prefix("load")) as scratch:
        result = load_table(
            con,
            path,
            spec,
            framework,
            report.build_id,
            Path(scratch),
            newlines=lambda: digest.result()[1],
            # The roster's extra columns the fairness lens groups by ([fairness] groupings).
            keep=framework.fairness.groupings if spec.name == "engineers" else (),
        )
    if spec.name == "engineers":
        report.notes.extend(attributes.take_attributes(con, framework, path, result.extra_columns))
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


def _add_journal(con, journal: Journal, framework: Framework, report: BuildReport) -> None:
    """The app's entries, after the files' cross-table checks (so those name only files)."""
    added = journal_rows.add_journal_rows(con, journal, framework, report.build_id)
    report.files.extend(
        FileStats(
            c.table,
            journal_rows.JOURNAL_SOURCE,
            rows_read=c.rows_read,
            rows_loaded=c.rows_loaded,
            rows_rejected=c.rows_rejected,
        )
        for c in added.counts
    )
    report.notes.append(
        f"entries recorded in the app read from the journal at {journal.describe()}"
    )
    report.notes.extend(added.notes)


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
    integrity.remember_rejected_engineers(con, source / stats["engineers"].file)
    for table in integrity.ENGINEER_REFERENCES:
        if stats[table].file:
            moved(
                table,
                integrity.reject_unknown_engineers(con, table, report.build_id, stats[table].file),
            )
    changes = stats["manager_changes"].file
    if changes:
        moved(
            "manager_changes",
            manager_history.reject_broken_changes(con, report.build_id, changes),
        )
    # The rows to fix come first: everything rejected with them is counted under them.
    report.notes[:0] = integrity.cascade_notes(con)
    for engineer, manager, rejected_at in integrity.unknown_managers(con):
        where = f"was rejected at {rejected_at}" if rejected_at else "is not on the roster"
        report.notes.append(
            f"engineers.csv: {engineer}'s manager_id {manager} {where}; "
            "loaded without a known manager"
        )
    if changes:
        report.notes.extend(manager_history.unknown_manager_notes(con, changes))
    report.notes.extend(integrity.roster_notes(con))
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
