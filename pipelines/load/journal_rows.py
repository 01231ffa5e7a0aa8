"""What was recorded in the app joins the build beside the files, by the files' own rules.

Every `evidence`, `decisions` and `levels` row says where it came from (`origin`: the file's
name, or 'app'). The journal's current evidence, its calibrated outcomes (as the decisions a
decisions.csv row would be) and its calibrated promotions once effective (as levels rows) are
checked by the same pandera schemas as the files; a row that no longer fits (the framework
renamed a level, the person left the roster) goes to rejected_rows with file 'journal' and the
journal entry's number as its line, and the build goes on. Proposals never reach the rules:
only what the meeting calibrated does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandera.polars as pa
import polars as pl

from pipelines.framework import Framework
from pipelines.journal import entries
from pipelines.journal.store import Journal
from pipelines.load import integrity
from pipelines.load.table import REJECTED_COLUMNS, explain_failures
from pipelines.schemas import schema_for
from pipelines.tables import TABLES_BY_NAME

APP = "app"
# rejected_rows.file of a journal row; its line is the journal entry's number.
JOURNAL_FILE = "journal"
# build_files.file of the journal's rows, one per table it feeds.
JOURNAL_SOURCE = "journal (recorded in the app)"
# Tables whose rows may come from a file or from the app, and the bookkeeping columns each
# gains (after the contract's, so a file's columns keep their places).
ORIGIN_COLUMNS = {
    "evidence": ("origin", "recorded_at"),
    "decisions": ("origin", "recorded_by", "recorded_at"),
    "levels": ("origin", "recorded_by", "recorded_at"),
}
_FIX = "edit or remove it in the app, or correct the framework file"
# How a rejected row names the entry it came from, by its evidence_id or its person.
LABELS = {
    "evidence": "evidence {}",
    "decisions": "the calibrated outcome for {}",
    "levels": "the calibrated promotion of {}",
}


@dataclass
class SourceCounts:
    """What the journal gave one table: rows offered, loaded and rejected."""

    table: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0


@dataclass
class JournalRows:
    counts: list[SourceCounts] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def mark_origins(con: duckdb.DuckDBPyConnection, files: dict[str, str | None]) -> None:
    """Add the bookkeeping columns, `origin` set to the file each row came from (`files`:
    table -> file name, None when absent, in which case the table is empty)."""
    for table, columns in ORIGIN_COLUMNS.items():
        for column in columns:
            kind = "timestamptz" if column == "recorded_at" else "varchar"
            con.execute(f"alter table {table} add column {column} {kind}")
        if files.get(table):
            con.execute(f"update {table} set origin = $f", {"f": files[table]})


def add_journal_rows(
    con: duckdb.DuckDBPyConnection,
    journal: Journal,
    framework: Framework,
    build_id: str,
    today: date | None = None,
) -> JournalRows:
    """Append the journal's evidence, calibrated decisions and effective promotions. Runs
    after the files' own cross-table checks, so the engineer check here sees journal rows
    only and names the journal as their file."""
    today = today or date.today()
    out = JournalRows()
    lines = _entry_numbers(journal)
    ev = _evidence_rows(journal, lines["evidence"])
    decided = entries.decisions(journal)
    calibrated = decided.loc[
        (decided["stage"] == "calibrated") & decided["outcome"].isin(entries.OUTCOME_AS_DECISION)
    ]
    dec = _decision_rows(calibrated, lines["decisions"])
    lev = _level_rows(calibrated, lines["decisions"], today)
    for table, frame in (("evidence", ev), ("decisions", dec), ("levels", lev)):
        counts = SourceCounts(table, rows_read=frame.height)
        good = _validated(con, table, frame, framework, build_id)
        if table == "evidence":
            good = _drop_file_ids(con, good, build_id)
        if table == "levels":
            good = _drop_levels_on_file(con, good, out.notes)
        _append(con, table, good)
        integrity.reject_unknown_engineers(con, table, build_id, JOURNAL_FILE)
        counts.rows_loaded = con.execute(
            f"select count(*) from {table} where origin = $o", {"o": APP}
        ).fetchall()[0][0]
        counts.rows_rejected = con.execute(
            "select count(distinct line) from rejected_rows where table_name = $t and file = $f",
            {"t": table, "f": JOURNAL_FILE},
        ).fetchall()[0][0]
        out.counts.append(counts)
    _name_entries(con, ev, dec, lev)
    return out


def _entry_numbers(journal: Journal) -> dict[str, dict]:
    """The number (the journal's row id) of each item's current entry: what a rejected row's
    'line' points at, as a file's line number does."""
    if not journal.exists():
        return {"evidence": {}, "decisions": {}}
    with journal.transaction() as cur:
        evidence = cur.rows(
            "select evidence_id, max(id) as n from evidence_entries group by evidence_id"
        )
        decisions = cur.rows(
            "select cycle, engineer_id, stage, max(id) as n from decision_entries "
            "group by cycle, engineer_id, stage"
        )
    return {
        "evidence": {r["evidence_id"]: r["n"] for r in evidence},
        "decisions": {(r["cycle"], r["engineer_id"], r["stage"]): r["n"] for r in decisions},
    }


def _typed(table: str, rows: list[dict], extra: dict[str, pl.DataType]) -> pl.DataFrame:
    """Rows as the contract's typed columns (dates as dates, the rest text), then source_line
    and the bookkeeping columns."""
    spec = TABLES_BY_NAME[table]
    types = {
        name: pl.Date if meta["kind"] in ("date", "month") else pl.Utf8
        for name, meta in spec.columns().items()
    }
    schema = {**types, "source_line": pl.Int64, **extra}
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def _day(value) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def _evidence_rows(journal: Journal, lines: dict) -> pl.DataFrame:
    current = entries.evidence(journal)
    rows = [
        {
            **{c: r[c] for c in entries.EVIDENCE_COLUMNS},
            "observed_on": _day(r["observed_on"]),
            "recorded_by": r["recorded_by"],
            "source_line": lines.get(r["evidence_id"]),
            "recorded_at": r["recorded_at"],
        }
        for r in current.to_dict("records")
    ]
    return _typed("evidence", rows, {"recorded_at": pl.Utf8})


def _decision_rows(calibrated, lines: dict) -> pl.DataFrame:
    rows = [
        {
            "engineer_id": r["engineer_id"],
            "decided_on": _day(r["decided_on"]),
            "decision": entries.OUTCOME_AS_DECISION[r["outcome"]],
            "note": r["rationale"],
            "source_line": lines.get((r["cycle"], r["engineer_id"], r["stage"])),
            "recorded_by": r["recorded_by"],
            "recorded_at": r["recorded_at"],
        }
        for r in calibrated.to_dict("records")
    ]
    return _typed("decisions", rows, {"recorded_by": pl.Utf8, "recorded_at": pl.Utf8})


def _level_rows(calibrated, lines: dict, today: date) -> pl.DataFrame:
    """Calibrated promotions whose new level has taken effect by `today`."""
    rows = [
        {
            "engineer_id": r["engineer_id"],
            "level": r["to_level"],
            "effective_on": _day(r["effective_on"]),
            "source_line": lines.get((r["cycle"], r["engineer_id"], r["stage"])),
            "recorded_by": r["recorded_by"],
            "recorded_at": r["recorded_at"],
        }
        for r in calibrated.to_dict("records")
        if r["outcome"] == "promotion"
        and r["to_level"]
        and r["effective_on"]
        and _day(r["effective_on"]) <= today
    ]
    return _typed("levels", rows, {"recorded_by": pl.Utf8, "recorded_at": pl.Utf8})


def _about(table: str, frame: pl.DataFrame) -> dict[int, str]:
    """Entry number -> the words naming that entry ('evidence app-1f…')."""
    key = "evidence_id" if table == "evidence" else "engineer_id"
    pairs = zip(frame["source_line"], frame[key], strict=True)
    return {line: LABELS[table].format(name) for line, name in pairs}


def _validated(
    con, table: str, frame: pl.DataFrame, framework: Framework, build_id: str
) -> pl.DataFrame:
    """The rows that pass the table's schema; the others go to rejected_rows."""
    if frame.is_empty():
        return frame
    spec = TABLES_BY_NAME[table]
    try:
        schema_for(spec, framework).validate(
            frame.select(["source_line", *spec.columns()]), lazy=True
        )
        return frame
    except pa.errors.SchemaErrors as exc:
        cases = explain_failures(exc.failure_cases, frame)
    about = _about(table, frame)
    _reject(
        con,
        table,
        build_id,
        [
            (
                line,
                column,
                value,
                f"{about.get(line, 'an entry')} recorded in the app: {reason}; {_FIX}",
            )
            for line, column, value, reason in cases.iter_rows()
        ],
    )
    return frame.filter(~pl.col("source_line").is_in(cases["line"].to_list()))


def _drop_file_ids(con, frame: pl.DataFrame, build_id: str) -> pl.DataFrame:
    """An evidence_id that evidence.csv also uses: the file's row stays, the app's is
    rejected (two items under one id would count once and show twice)."""
    if frame.is_empty():
        return frame
    on_file = dict(
        con.execute(
            "select evidence_id, min(source_line) from evidence where evidence_id in "
            "(select unnest($ids::varchar[])) group by evidence_id",
            {"ids": frame["evidence_id"].to_list()},
        ).fetchall()
    )
    if not on_file:
        return frame
    file = con.execute("select any_value(origin) from evidence").fetchall()[0][0]
    clashes = frame.filter(pl.col("evidence_id").is_in(list(on_file)))
    _reject(
        con,
        "evidence",
        build_id,
        [
            (
                line,
                "evidence_id",
                evidence_id,
                f"evidence {evidence_id} recorded in the app has the id of {file} line "
                f"{on_file[evidence_id]}; the file's row was kept. Fix: remove one of the two "
                "(or give the file's row another id)",
            )
            for line, evidence_id in clashes.select("source_line", "evidence_id").iter_rows()
        ],
    )
    return frame.filter(~pl.col("evidence_id").is_in(list(on_file)))


def _drop_levels_on_file(con, frame: pl.DataFrame, notes: list[str]) -> pl.DataFrame:
    """A promotion levels.csv already records (same person, same date) is not added twice."""
    if frame.is_empty():
        return frame
    held = set(con.execute("select engineer_id, effective_on from levels").fetchall())
    repeats = frame.filter(
        pl.struct("engineer_id", "effective_on").map_elements(
            lambda r: (r["engineer_id"], r["effective_on"]) in held, return_dtype=pl.Boolean
        )
    )
    for person, level, on in repeats.select("engineer_id", "level", "effective_on").iter_rows():
        notes.append(
            f"levels: the promotion of {person} to {level} from {on} calibrated in the app "
            "is already in the levels file; the file's row was used"
        )
    return frame.join(
        repeats.select("engineer_id", "effective_on"),
        on=["engineer_id", "effective_on"],
        how="anti",
    )


def _append(con, table: str, frame: pl.DataFrame) -> None:
    if frame.is_empty():
        return
    rows = frame.with_columns(
        pl.lit(APP).alias("origin"),
        pl.col("recorded_at").str.to_datetime(time_zone="UTC", time_unit="us"),
    )
    names = [*TABLES_BY_NAME[table].columns(), "source_line", *ORIGIN_COLUMNS[table]]
    con.register("_journal_rows", rows.select(names).to_arrow())
    quoted = ", ".join(f'"{n}"' for n in names)
    con.execute(f"insert into {table} ({quoted}) select {quoted} from _journal_rows")
    con.unregister("_journal_rows")


def _reject(con, table: str, build_id: str, rows: list[tuple]) -> None:
    if rows:
        con.executemany(
            f"insert into rejected_rows ({REJECTED_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?)",
            [(build_id, table, JOURNAL_FILE, *row) for row in rows],
        )


def _name_entries(con, *frames: pl.DataFrame) -> None:
    """The engineer check's reasons speak of files; say which app entry each one is."""
    for table, frame in zip(ORIGIN_COLUMNS, frames, strict=True):
        for line, words in _about(table, frame).items():
            con.execute(
                "update rejected_rows set reason = $w || ' recorded in the app: ' || reason "
                "where table_name = $t and file = $f and line = $l "
                "and reason not like '%recorded in the app%'",
                {"w": words, "t": table, "f": JOURNAL_FILE, "l": line},
            )
