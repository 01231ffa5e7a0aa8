"""The journal out to files and back: backups in one command, and CSV files into the journal.

`export` writes four files. evidence.csv and decisions.csv hold the current state in the input
contract (what a build would read from the app, as a person would keep it in files);
snapshots.jsonl and entries.jsonl hold everything, every version and removal included, so a
backup loses nothing. `import` reads entries.jsonl and snapshots.jsonl when they are there
(each row once, by its entry_key or snapshot_id), else the two CSV files, row by row through
the same pandera models as the build: a bad row is reported with its file, line and fix, and
the good rows load. Every imported CSV row is keyed by a hash of its content, so importing the
same files twice adds nothing.

CSV is written plain, not spreadsheet-escaped: the contract already refuses prose that starts
like a formula, and an escaped cell would not read back as what was saved.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
import pandera.polars as pa
import polars as pl

from pipelines.framework import Framework
from pipelines.journal import entries
from pipelines.journal.store import Journal
from pipelines.load.table import explain_failures
from pipelines.schemas import schema_for
from pipelines.tables import TABLES_BY_NAME

EVIDENCE_FILE = "evidence.csv"
DECISIONS_FILE = "decisions.csv"
SNAPSHOTS_FILE = "snapshots.jsonl"
ENTRIES_FILE = "entries.jsonl"
ENTRY_TABLES = ("evidence_entries", "decision_entries")
SNAPSHOT_COLUMNS = (
    "snapshot_id",
    "engineer_id",
    "taken_at",
    "build_id",
    "framework_version",
    "payload",
)
# A decisions.csv row says what was decided, not which outcome the meeting chose: 'deferred'
# comes back as a hold (a development plan exports as deferred too; entries.jsonl keeps it).
_KEPT = ("removed", "removal_reason", "recorded_by", "recorded_at")
# The columns an import may write, per table: a JSON key outside these is refused, never
# spliced into SQL.
COLUMNS = {
    "evidence_entries": ("entry_key", *entries.EVIDENCE_COLUMNS, *_KEPT),
    "decision_entries": ("entry_key", *entries.DECISION_COLUMNS, *_KEPT),
    "snapshots": SNAPSHOT_COLUMNS,
}
DECISION_AS_OUTCOME = {"promotion": "promotion", "in_band_raise": "in_band_raise"}
DEFERRED_OUTCOME = "hold"


@dataclass
class Exported:
    folder: Path
    counts: dict[str, int]


@dataclass(frozen=True)
class Problem:
    """A row that was not imported: where it is and what to fix."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file} line {self.line}: {self.reason}"


@dataclass
class Imported:
    added: int = 0
    already_there: int = 0
    rejected: list[Problem] = field(default_factory=list)
    read_from: list[str] = field(default_factory=list)


# --- export -----------------------------------------------------------------------------------


def export_journal(journal: Journal, folder: Path) -> Exported:
    folder.mkdir(parents=True, exist_ok=True)
    evidence = current_evidence(journal)
    decisions = current_decisions(journal)
    snaps = entries.snapshots(journal)
    rows = _all_entries(journal)
    _write(folder / EVIDENCE_FILE, evidence.to_csv(index=False, lineterminator="\n"))
    _write(folder / DECISIONS_FILE, decisions.to_csv(index=False, lineterminator="\n"))
    _write(folder / SNAPSHOTS_FILE, _jsonl(snaps.to_dict("records")))
    _write(folder / ENTRIES_FILE, _jsonl(rows))
    return Exported(
        folder,
        {
            EVIDENCE_FILE: len(evidence),
            DECISIONS_FILE: len(decisions),
            SNAPSHOTS_FILE: len(snaps),
            ENTRIES_FILE: len(rows),
        },
    )


def current_evidence(journal: Journal) -> pd.DataFrame:
    """The app's current items as evidence.csv rows, in the contract's column order."""
    columns = list(TABLES_BY_NAME["evidence"].columns())
    return entries.evidence(journal)[columns]


def current_decisions(journal: Journal) -> pd.DataFrame:
    """The meeting's current calibrated outcomes that are decisions, as decisions.csv rows."""
    columns = list(TABLES_BY_NAME["decisions"].columns())
    calibrated = entries.decisions(journal)
    calibrated = calibrated.loc[
        (calibrated["stage"] == "calibrated")
        & calibrated["outcome"].isin(entries.OUTCOME_AS_DECISION)
    ]
    return pd.DataFrame(
        {
            "engineer_id": calibrated["engineer_id"],
            "decided_on": calibrated["decided_on"],
            "decision": calibrated["outcome"].map(entries.OUTCOME_AS_DECISION),
            "note": calibrated["rationale"],
        },
        columns=columns,
    )


def _all_entries(journal: Journal) -> list[dict]:
    if not journal.exists():
        return []
    out = []
    with journal.transaction() as cur:
        for table in ENTRY_TABLES:
            out += [{"table": table, **r} for r in cur.rows(f"select * from {table} order by id")]
    return out


def _jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r, sort_keys=True, default=str) + "\n" for r in rows)


def _write(path: Path, text: str) -> None:
    """Whole or not at all: a backup cut short must not pass for a complete one."""
    part = path.with_name(path.name + ".part")
    part.write_text(text, encoding="utf-8")
    part.replace(path)


# --- import -----------------------------------------------------------------------------------


def import_folder(journal: Journal, folder: Path, framework: Framework) -> Imported:
    """Load `folder` (as export writes it) into `journal`."""
    result = Imported()
    if (folder / ENTRIES_FILE).exists():
        _import_full(journal, folder, result)
        return result
    for name, rows_of in ((EVIDENCE_FILE, _evidence_drafts), (DECISIONS_FILE, _decision_drafts)):
        path = folder / name
        if path.exists():
            result.read_from.append(name)
            rows_of(journal, path, framework, result)
    return result


def _import_full(journal: Journal, folder: Path, result: Imported) -> None:
    """Every snapshot and entry, as exported, in one transaction; those already there (same
    snapshot_id or entry_key) are left alone."""
    snaps = folder / SNAPSHOTS_FILE
    batches = [(SNAPSHOTS_FILE, "snapshots", snaps)] if snaps.exists() else []
    batches.append((ENTRIES_FILE, None, folder / ENTRIES_FILE))
    result.read_from = [name for name, _t, _p in batches]
    with journal.transaction() as cur:
        for name, table, path in batches:
            for line, row in _json_lines(path, name, result):
                target = table or row.pop("table", None)
                if target not in COLUMNS:
                    result.rejected.append(
                        Problem(name, line, f"table {target!r} is not one the journal keeps")
                    )
                    continue
                row.pop("id", None)  # numbered anew here, in the order written
                unknown = sorted(set(row) - set(COLUMNS[target]))
                if unknown:
                    result.rejected.append(
                        Problem(
                            name,
                            line,
                            f"has field(s) {', '.join(unknown)} that {target} does not have; "
                            "import it with the version of Rungs that exported it",
                        )
                    )
                    continue
                names = ", ".join(row)
                marks = ", ".join("?" for _ in row)
                unique = "snapshot_id" if target == "snapshots" else "entry_key"
                try:
                    written = cur.execute(
                        f"insert into {target} ({names}) values ({marks}) "
                        f"on conflict ({unique}) do nothing",
                        tuple(row.values()),
                    )
                except Exception as exc:  # a column this journal does not have, a null
                    raise ValueError(f"{name} line {line}: cannot be imported ({exc})") from exc
                if written:
                    result.added += 1
                else:
                    result.already_there += 1


def _json_lines(path: Path, name: str, result: Imported):
    for line, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            result.rejected.append(Problem(name, line, f"is not JSON ({exc.msg})"))
            continue
        if not isinstance(row, dict):
            result.rejected.append(Problem(name, line, "is not a JSON object"))
            continue
        yield line, row


def _csv_rows(path: Path, result: Imported) -> tuple[list[str], list[tuple[int, dict]]]:
    """The header, and (first line, row) per record; the header is line 1."""
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    rows, start = [], 2
    for row in reader:
        if None in row or any(v is None for v in row.values()):
            result.rejected.append(
                Problem(path.name, start, "has a different number of fields than the header")
            )
        else:
            rows.append((start, {k.strip(): v for k, v in row.items()}))
        start = reader.line_num + 1
    return header, rows


def _checked(
    path: Path, table: str, framework: Framework, result: Imported
) -> list[tuple[int, dict]]:
    """The file's rows that pass the table's pandera model, typed; the others as problems."""
    spec = TABLES_BY_NAME[table]
    columns = spec.columns()
    header, rows = _csv_rows(path, result)
    missing = [n for n, m in columns.items() if not m["optional_column"] and n not in header]
    if missing:
        result.rejected.append(
            Problem(path.name, 1, f"lacks the column(s) {', '.join(missing)}; add them")
        )
        return []
    typed = []
    for line, row in rows:
        values, bad = {}, []
        for name, meta in columns.items():
            values[name], problem = _cell(row.get(name), name, meta, framework)
            if problem:
                bad.append(problem)
        if bad:
            result.rejected += [Problem(path.name, line, p) for p in bad]
        else:
            typed.append((line, values))
    if not typed:
        return []
    types = {n: pl.Date if m["kind"] in ("date", "month") else pl.Utf8 for n, m in columns.items()}
    frame = pl.DataFrame(
        [{**values, "source_line": line} for line, values in typed],
        schema={**types, "source_line": pl.Int64},
    )
    try:
        schema_for(spec, framework).validate(frame, lazy=True)
        return typed
    except pa.errors.SchemaErrors as exc:
        cases = explain_failures(exc.failure_cases, frame)
    result.rejected += [
        Problem(path.name, line, reason)
        for line, reason in cases.select("line", "reason").iter_rows()
    ]
    failed = set(cases["line"].to_list())
    return [(line, values) for line, values in typed if line not in failed]


def _cell(text: str | None, name: str, meta: dict, framework: Framework):
    """A CSV cell as the build reads it: trimmed enums, the framework's spelling of a level or
    category, a default for an empty optional cell, dates as dates. (value, problem)."""
    value = (text or "").strip() if meta["kind"] != "text" else (text or None)
    if value == "" or value is None:
        return meta["default"], None
    if meta["kind"] in ("date", "month"):
        try:
            return date.fromisoformat(value), None
        except ValueError:
            return None, f"{name} {value!r} is not a date; write YYYY-MM-DD"
    if meta["kind"] == "enum":
        return value.lower(), None
    if meta["kind"] in ("level", "category"):
        known = framework.levels if meta["kind"] == "level" else framework.categories
        return next((k for k in known if k.lower() == value.lower()), value), None
    return value, None


def _key(table: str, row: dict) -> str:
    """The same row, the same key: a second import finds it taken."""
    content = json.dumps({"table": table, **row}, sort_keys=True, default=str)
    return "import-" + hashlib.sha256(content.encode("utf-8")).hexdigest()[:32]


def _evidence_drafts(journal: Journal, path: Path, framework: Framework, result: Imported) -> None:
    current = {
        r["evidence_id"]: r
        for r in entries.evidence(journal, include_removed=True).to_dict("records")
    }
    for _line, row in _checked(path, "evidence", framework, result):
        draft = entries.EvidenceDraft(
            engineer_id=row["engineer_id"],
            observed_on=row["observed_on"],
            category=row["category"],
            level=row["level"],
            summary=row["summary"],
            kind=row["kind"],
            link=row["link"],
            source=row["source"],
        )
        mine = current.get(row["evidence_id"])
        if mine is not None and not mine["removed"] and _same_evidence(mine, row):
            result.already_there += 1  # e.g. exported from this journal and imported back
            continue
        saved = entries.record_evidence(
            journal,
            draft,
            who=row["recorded_by"] or entries.LOCAL,
            key=_key("evidence", row),
            evidence_id=row["evidence_id"],
        )
        result.added += saved.written
        result.already_there += not saved.written


def _same_evidence(stored: dict, row: dict) -> bool:
    return (
        all(
            str(stored[c] or "") == str(row[c] or "")
            for c in entries.EVIDENCE_COLUMNS
            if c != "observed_on"
        )
        and str(stored["observed_on"]) == row["observed_on"].isoformat()
    )


def _decision_drafts(journal: Journal, path: Path, framework: Framework, result: Imported) -> None:
    """Each row a calibrated outcome in the cycle of its date."""
    current = {
        (r["cycle"], r["engineer_id"]): r
        for r in entries.decisions(journal).to_dict("records")
        if r["stage"] == "calibrated"
    }
    for _line, row in _checked(path, "decisions", framework, result):
        draft = entries.DecisionDraft(
            cycle=entries.cycle_of(row["decided_on"]),
            engineer_id=row["engineer_id"],
            stage="calibrated",
            outcome=DECISION_AS_OUTCOME.get(row["decision"], DEFERRED_OUTCOME),
            decided_on=row["decided_on"],
            rationale=row["note"],
        )
        mine = current.get((draft.cycle, draft.engineer_id))
        if mine is not None and (
            entries.OUTCOME_AS_DECISION.get(mine["outcome"]) == row["decision"]
            and str(mine["decided_on"]) == row["decided_on"].isoformat()
            and (mine["rationale"] or None) == ((row["note"] or "").strip() or None)
        ):
            result.already_there += 1
            continue
        saved = entries.record_decision(
            journal, draft, who=entries.LOCAL, key=_key("decisions", row), snapshot=None
        )
        result.added += saved.written
        result.already_there += not saved.written
