"""A roster to start from: engineers.csv and levels.csv drafts with one row per ticket assignee.

A helpdesk export names who worked the tickets but not their team, region, hire date or level;
only a person can say those. The draft lists every assignee exactly as the build will see them
(the mapping converts the export first, so ids are the ones tickets.csv will carry) and fills
what only a person knows with values that start with PLACEHOLDER. A value like that is never a
real team or date, and `unfilled_placeholder` lets the build refuse a draft left half filled,
so a draft can never be loaded as real data by accident.
"""

from __future__ import annotations

import csv
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.errors import SourceError
from pipelines.framework import DEFAULT_FRAMEWORK, load_framework
from pipelines.importers.contract import column_names, contract_file
from pipelines.importers.mapping import apply_mapping
from pipelines.importers.mapping_config import load_mapping
from pipelines.importers.publish import publish
from pipelines.load.scratch import temp_prefix

PLACEHOLDER = "TODO:"
ROSTER_TABLES = ("engineers", "levels")


@dataclass(frozen=True)
class ToFill:
    """One column a person must fill, with what belongs there."""

    table: str
    column: str
    meaning: str


@dataclass
class RosterDraft:
    mapping_path: Path
    out_dir: Path
    tickets_file: Path
    assignees: int = 0
    written: list[Path] = field(default_factory=list)
    to_fill: list[ToFill] = field(default_factory=list)

    def render(self) -> str:
        lines = [
            f"Roster draft for {self.assignees} assignee(s) of {self.tickets_file}, "
            f"written to {', '.join(str(p) for p in self.written)}.",
            f'Replace every value that starts with "{PLACEHOLDER}" (build and check refuse '
            "the files until none is left):",
        ]
        width = max(len(f"{f.table}.csv {f.column}") for f in self.to_fill)
        lines.extend(
            f"  {f'{f.table}.csv {f.column}'.ljust(width)}  {f.meaning}" for f in self.to_fill
        )
        lines += [
            "Optional (may stay empty): engineers.csv email, manager_id (the manager's "
            "engineer_id; fill it to get manager views), left_on, onboarded_on; team_lead is "
            "false until you say otherwise.",
            "When they are filled, check and build with the roster folder as --source:",
            f"  python -m pipelines check --mapping {self.mapping_path} --source {self.out_dir}",
            f"  python -m pipelines build --mapping {self.mapping_path} --source {self.out_dir}",
            f"(or add [engineers] and [levels] sections to {self.mapping_path} naming "
            + " and ".join(_relative(p, self.mapping_path.parent) for p in self.written)
            + ").",
        ]
        return "\n".join(lines)


def draft_roster(
    mapping_path: Path | str,
    out_dir: Path | str,
    framework_path: Path | str = DEFAULT_FRAMEWORK,
    force: bool = False,
) -> RosterDraft:
    """Write engineers.csv and levels.csv drafts into `out_dir` from the mapped tickets'
    distinct assignees. Refuses to replace existing files unless `force`."""
    mapping = load_mapping(mapping_path)
    out_dir = Path(out_dir)
    if "tickets" not in mapping.tables:
        raise SourceError(
            f"{mapping.path}: the mapping has no [tickets] section, so there are no assignees "
            "to draft a roster from. Fix: map your helpdesk export in [tickets] first"
        )
    existing = [p for p in (out_dir / contract_file(t) for t in ROSTER_TABLES) if p.exists()]
    if existing and not force:
        raise SourceError(
            f"{existing[0]} already exists and would be replaced by the draft. Fix: choose "
            "another --out folder, or pass --force to overwrite it"
        )
    levels = load_framework(framework_path).levels
    tickets = mapping.tables["tickets"]
    # The export as the user's mapping names it, not the resolved absolute path.
    draft = RosterDraft(mapping.path, out_dir, Path(tickets.shown_file or tickets.file))
    assignees = _assignees(mapping.path)
    if not assignees:
        raise SourceError(
            f"{draft.tickets_file}: no ticket has an assignee once mapped, so there is nobody "
            f"to list. Fix: map assignee_id in [tickets.columns] of {mapping.path}"
        )
    draft.assignees = len(assignees)
    draft.to_fill = _to_fill(levels)
    draft.written = publish(
        out_dir,
        {
            contract_file("engineers"): lambda p: _write(p, "engineers", _engineer_rows(assignees)),
            contract_file("levels"): lambda p: _write(p, "levels", _level_rows(assignees, levels)),
        },
    )
    return draft


def _assignees(mapping_path: Path) -> list[tuple[str, str | None]]:
    """(assignee_id, first day they appear on a ticket) as the converted tickets.csv holds
    them: the same conversion a build runs, so ids match what the build will look up."""
    with tempfile.TemporaryDirectory(prefix=temp_prefix("mapped")) as scratch:
        folder = Path(scratch) / "contract"
        apply_mapping(mapping_path, folder)
        tickets = folder / contract_file("tickets")
        with duckdb.connect() as con:
            return con.execute(
                "select assignee_id, min(left(created_at, 10)) from read_csv($f, header = true, "
                "all_varchar = true) where assignee_id is not null group by assignee_id "
                "order by assignee_id",
                {"f": str(tickets)},
            ).fetchall()


def _to_fill(levels: tuple[str, ...]) -> list[ToFill]:
    return [
        ToFill("engineers", "name", "display name (copy engineer_id if it already is the name)"),
        ToFill("engineers", "team", "team name; volume is compared within a team"),
        ToFill("engineers", "region", "region, e.g. AMER, EMEA, APAC"),
        ToFill("engineers", "hire_date", "first working day, YYYY-MM-DD"),
        ToFill("levels", "level", f"level at hire, one of {', '.join(levels)}"),
        ToFill("levels", "effective_on", "date that level took effect, usually the hire_date"),
    ]


def _engineer_rows(assignees: list[tuple[str, str | None]]) -> list[dict]:
    rows = []
    for engineer_id, first_ticket in assignees:
        before = f", on or before {first_ticket}" if first_ticket else ""
        rows.append(
            {
                "engineer_id": engineer_id,
                "name": f"{PLACEHOLDER} name",
                "team": f"{PLACEHOLDER} team",
                "region": f"{PLACEHOLDER} region",
                # Not a date the build can read, so even a check of the bare file rejects it.
                "hire_date": f"{PLACEHOLDER} YYYY-MM-DD{before}",
                "team_lead": "false",
            }
        )
    return rows


def _level_rows(assignees: list[tuple[str, str | None]], levels: tuple[str, ...]) -> list[dict]:
    return [
        {
            "engineer_id": engineer_id,
            "level": f"{PLACEHOLDER} one of {' '.join(levels)}",
            "effective_on": f"{PLACEHOLDER} YYYY-MM-DD, usually the hire_date",
        }
        for engineer_id, _ in assignees
    ]


def _write(path: Path, table: str, rows: list[dict]) -> None:
    header = column_names(table)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows({k: row.get(k, "") for k in header} for row in rows)


def _relative(path: Path, start: Path) -> str:
    """As the mapping file would name it: relative when the draft sits beside or below it."""
    try:
        relative = Path(os.path.relpath(path.resolve(), start.resolve()))
    except ValueError:  # another drive on Windows
        return path.resolve().as_posix()
    return path.resolve().as_posix() if relative.parts[0] == ".." else relative.as_posix()


# -- refusing an unfilled draft -------------------------------------------------------------


def unfilled_placeholder(path: Path) -> str | None:
    """The message for a roster file that still holds draft placeholders, naming the first
    one's line and column; None for a file without any (or one the build should judge)."""
    if not path.is_file():
        return None  # missing, a folder or a pipe: the build's own checks say what is wrong
    first, count = None, 0
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader, [])
            for row in reader:
                for column, value in zip(header, row, strict=False):
                    if value.strip().startswith(PLACEHOLDER):
                        count += 1
                        first = first or (reader.line_num, column, value)
    except (UnicodeDecodeError, csv.Error):
        return None  # the build reports an unreadable file in its own words
    if first is None:
        return None
    line, column, value = first
    return (
        f"{path}, line {line}, column {column!r}: {value!r} is a roster-draft placeholder "
        f"({count} value(s) in this file still start with {PLACEHOLDER!r}). Fix: replace each "
        "with the real value, then run the command again"
    )


def refuse_unfilled(paths: list[Path]) -> None:
    """Raise SourceError naming every roster file that is still an unfilled draft."""
    problems = [m for m in (unfilled_placeholder(p) for p in paths) if m]
    if problems:
        raise SourceError("\n".join(problems))


def roster_files(source: Path | None, mapping_path: Path | None) -> list[Path]:
    """The engineers and levels files a build will read: the mapping's exports for the roster
    tables it maps, and the contract files in `source` for the others."""
    mapped = {}
    if mapping_path is not None:
        mapping = load_mapping(mapping_path)
        mapped = {t: mapping.tables[t].file for t in ROSTER_TABLES if t in mapping.tables}
    if source is None:
        return list(mapped.values())
    return [mapped.get(t, source / contract_file(t)) for t in ROSTER_TABLES]
