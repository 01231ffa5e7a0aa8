"""Checks of manager_changes.csv against the roster, run after the rows that name nobody on it
were rejected (pipelines/load/integrity.py).

The reporting lines built from these rows decide whom a manager may see in a past month, so a
history that contradicts itself is rejected row by row rather than guessed at:

- a person who would report to themselves;
- a change before the hire date or after the leaving day;
- two changes of one person on one day (which came last is unknown): both rows;
- a chain that does not join up. engineers.csv's manager_id is the truth about today, so the
  walk starts there and goes back in time: each change has to move the person to the manager
  the next change (or, for the last one, engineers.csv) says they had. A change that does not
  is rejected, naming the row it contradicts; the walk goes on from the last change that loaded.

A manager id that is nobody on the roster loads with a note, as it does in engineers.csv.
"""

from __future__ import annotations

from itertools import groupby

import duckdb

from pipelines.load.integrity import NOTES_SHOWN, quarantine, rejection_of
from pipelines.load.table import REJECTED_COLUMNS

TABLE = "manager_changes"


def _engineers(column: str) -> str:
    """SQL for `column` of the engineers row of the manager_changes row at hand."""
    return f"(select e.{column} from engineers e where e.engineer_id = manager_changes.engineer_id)"


def _sentence(text: str, *values: str) -> str:
    """SQL filling the {}s of `text` with the SQL `values`, in order."""
    return f"format('{text}', {', '.join(values)})"


# Each row check: (where, column, reason). Self-reporting comes first, so a row that breaks
# several rules is rejected for the plainest one.
_SAME_DAY = (
    "from manager_changes o where o.engineer_id = manager_changes.engineer_id "
    "and o.changed_on = manager_changes.changed_on"
)
_ROW_CHECKS = (
    *(
        (
            f"{column} = engineer_id",
            column,
            _sentence(
                f"{{}} cannot report to themselves ({column} {{}}); write the engineer_id of "
                "their manager, or leave it empty for none",
                "engineer_id",
                column,
            ),
        )
        for column in ("from_manager_id", "to_manager_id")
    ),
    (
        f"changed_on < {_engineers('hire_date')}",
        "changed_on",
        _sentence(
            "changed_on {} is before {}''s hire_date {} (engineers.csv line {}); correct one "
            "of the two dates (the manager they were hired under is the from_manager_id of "
            "their first change)",
            "changed_on",
            "engineer_id",
            _engineers("hire_date"),
            _engineers("source_line"),
        ),
    ),
    (
        f"changed_on > {_engineers('left_on')}",
        "changed_on",
        _sentence(
            "changed_on {} is after {} left on {} (engineers.csv line {}); correct changed_on, "
            "or left_on in engineers.csv",
            "changed_on",
            "engineer_id",
            _engineers("left_on"),
            _engineers("source_line"),
        ),
    ),
    (
        f"(select count(*) {_SAME_DAY}) > 1",
        "changed_on",
        _sentence(
            "{} has more than one manager change on {} (lines {}), so which came last is "
            "unknown; keep one row for the day",
            "engineer_id",
            "changed_on",
            f"(select string_agg(o.source_line::varchar, ', ' order by o.source_line) {_SAME_DAY})",
        ),
    ),
)


def reject_broken_changes(con: duckdb.DuckDBPyConnection, build_id: str, file: str) -> int:
    """Move every change that cannot be placed in its person's history to rejected_rows, with
    the reason and the fix; returns how many."""
    moved = sum(
        quarantine(con, TABLE, where, column, reason, build_id, file)
        for where, column, reason in _ROW_CHECKS
    )
    return moved + _reject_broken_chains(con, build_id, file)


def _reject_broken_chains(con: duckdb.DuckDBPyConnection, build_id: str, file: str) -> int:
    """The walk back from engineers.csv described above. A loop, not a window function: where
    a change is compared depends on whether the later ones loaded."""
    rows = con.execute("""
        select c.engineer_id, c.changed_on, c.from_manager_id, c.to_manager_id, c.source_line,
               e.manager_id, e.source_line
        from manager_changes c join engineers e using (engineer_id)
        order by c.engineer_id, c.changed_on desc
    """).fetchall()
    out = []
    for person, changes in groupby(rows, key=lambda row: row[0]):
        later = None  # the latest change of this person that loads: (line, day, from)
        for position, (_, day, source, target, line, today, roster_line) in enumerate(changes):
            expected = today if later is None else later[2]
            if target == expected:
                later = (line, day, source)
                continue
            moves = f"{person}'s change on {day} moves them to {_manager(target)}"
            if later is None:
                which = "" if position == 0 else " (their later ones were rejected)"
                reason = (
                    f"{moves}{which}, but engineers.csv line {roster_line} says "
                    + (f"their manager today is {today}" if today else "they have no manager")
                    + "; engineers.csv is today's truth, so correct to_manager_id here, or "
                    "manager_id in engineers.csv if it is out of date"
                )
            else:
                reason = (
                    f"{moves}, but their next change (line {later[0]}, on {later[1]}) says they "
                    f"came from {_manager(later[2])}; correct to_manager_id here or "
                    f"from_manager_id on line {later[0]}"
                )
            out.append((build_id, TABLE, file, line, "to_manager_id", target, reason))
    if out:
        con.executemany(
            f"insert into rejected_rows ({REJECTED_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?)", out
        )
        con.execute(
            "delete from manager_changes where source_line in (select unnest($lines))",
            {"lines": [row[3] for row in out]},
        )
    return len(out)


def _manager(manager_id: str | None) -> str:
    return manager_id if manager_id is not None else "no manager"


def unknown_manager_notes(con: duckdb.DuckDBPyConnection, file: str) -> list[str]:
    """One note per manager id of a loaded change that is nobody on the roster (with where
    their own row was rejected, when it was), as engineers.csv's manager_id gets."""
    found = con.execute(f"""
        select c.source_line, c.engineer_id, c.col, c.manager_id,
               {rejection_of("c.manager_id", "r.at_lines || ' (' || r.reason || ')'")}
        from (
            select source_line, engineer_id, 'from_manager_id' as col,
                   from_manager_id as manager_id
            from manager_changes
            union all
            select source_line, engineer_id, 'to_manager_id', to_manager_id
            from manager_changes
        ) c
        where c.manager_id is not null
          and c.manager_id not in (select engineer_id from engineers)
        order by c.source_line, c.col
    """).fetchall()
    notes = [
        f"{file} line {line}: {person}'s {column} {manager} "
        + (
            f"was rejected at {rejected_at}; loaded, fix that row"
            if rejected_at
            else "is not on the roster; loaded, add them to engineers.csv or correct the id"
        )
        for line, person, column, manager, rejected_at in found[:NOTES_SHOWN]
    ]
    if len(found) > NOTES_SHOWN:
        notes.append(f"{file}: {len(found) - NOTES_SHOWN} more manager id(s) not on the roster")
    return notes
