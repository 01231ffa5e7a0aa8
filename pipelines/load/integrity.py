"""Checks across tables, run after each table passed its own schema.

A row that refers to an engineer nobody listed is rejected (it would count for no one we can
show); an unassigned ticket loads and counts for nobody. When the engineer was listed but their
engineers.csv row was rejected, the row says so and points at that line: the fix is there, not
in the file that refers to them, and the build report counts such rows under that one cause.
Repeated ticket ids keep the newest version; a tie cannot be decided, so every tied row is
rejected. A roster that loads but looks wrong (own manager, a loop of managers, a level before
the hire date) is noted, not rejected.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.load import lines
from pipelines.load.sources import header
from pipelines.load.table import REJECTED_COLUMNS


# An id as the person meant it: without the white space and invisible characters that get an
# engineers.csv row rejected, so 'E0003' in tickets.csv finds the rejected 'E0003 '. Only used
# to point at the rejected row, never to load one.
def _meant_id(sql: str) -> str:
    return "regexp_replace(" + sql + r", '[\p{Cc}\p{Cf}\p{Z}]', '', 'g')"


def rejection_of(column: str, what: str) -> str:
    """SQL for `what` (columns of r) about the rejected engineers.csv row that `column` names;
    NULL when it names nobody rejected."""
    return f"(select {what} from _rejected_engineers r where r.meant_id = {_meant_id(column)})"


# Notes the build report lists one by one before saying how many more there are.
NOTES_SHOWN = 10

# Table -> column holding an engineer_id that must exist in engineers.
ENGINEER_REFERENCES = {
    "levels": "engineer_id",
    "tickets": "assignee_id",
    "evidence": "engineer_id",
    "decisions": "engineer_id",
    "leave": "engineer_id",
    "manager_changes": "engineer_id",
    "monthly_metrics": "engineer_id",
}


def quarantine(
    con: duckdb.DuckDBPyConnection,
    table: str,
    where: str,
    column: str,
    reason_sql: str,
    build_id: str,
    file: str,
    caused_by_sql: str = "null",
) -> int:
    """Move rows matching `where` from `table` into rejected_rows with the given reason (and the
    rejected row that caused it, if any)."""
    n = con.execute(
        f"insert into rejected_rows ({REJECTED_COLUMNS}, caused_by) select $b, $t, $f, "
        f"source_line, $c, {column}::varchar, {reason_sql}, {caused_by_sql} from {table} "
        f"where {where}",
        {"b": build_id, "t": table, "f": file, "c": column},
    ).fetchall()[0][0]
    if n:
        con.execute(f"delete from {table} where {where}")
    return n


def dedupe_tickets(con: duckdb.DuckDBPyConnection, build_id: str, file: str) -> tuple[int, int]:
    """Keep the newest version of each repeated ticket id. Returns (superseded, tied)."""
    # Most exports repeat nothing: finding that out first makes the common case one pass
    # over the tickets instead of four.
    if not con.execute(
        "select exists (select 1 from tickets group by ticket_id having count(*) > 1)"
    ).fetchall()[0][0]:
        return 0, 0
    con.execute("""
        create or replace temp table _ticket_versions as
        with repeated as (
            select ticket_id from tickets group by ticket_id having count(*) > 1
        ),
        versions as (
            select t.ticket_id, t.source_line, t.updated_at,
                   rank() over (partition by t.ticket_id
                                order by t.updated_at desc nulls last) as newness,
                   count(*) over (partition by t.ticket_id, t.updated_at) as same_time
            from tickets t semi join repeated using (ticket_id)
        )
        select * from versions
    """)
    tied = quarantine(
        con,
        "tickets",
        "source_line in (select source_line from _ticket_versions "
        "where newness = 1 and same_time > 1)",
        "ticket_id",
        "'ticket_id repeats with the same updated_at, so the newest version is unknown; "
        "keep one row or fix updated_at'",
        build_id,
        file,
    )
    superseded = con.execute(
        "delete from tickets where source_line in "
        "(select source_line from _ticket_versions where newness > 1)"
    ).fetchall()[0][0]
    return superseded, tied


def remember_rejected_engineers(con: duckdb.DuckDBPyConnection, engineers_file: Path) -> None:
    """Keep, per id as meant, where and why engineers.csv rows were rejected (table
    _rejected_engineers), for the rows of other files that refer to them. The ids come from
    the file as written, because a row the reader set aside never reached a table."""
    rejected = con.execute(
        "select line, arg_min(reason, rowid) from rejected_rows "
        "where table_name = 'engineers' group by line order by line"
    ).fetchall()
    _columns, delimiter = header(engineers_file, engineers_file)
    written = lines.column_by_line(engineers_file, delimiter, "engineer_id") if rejected else {}
    rows = [(written[line], line, reason) for line, reason in rejected if written.get(line)]
    con.execute(
        "create or replace temp table _rejected_rows_of_engineers "
        "(engineer_id varchar, line bigint, reason varchar)"
    )
    if rows:
        con.executemany("insert into _rejected_rows_of_engineers values (?, ?, ?)", rows)
    meant = _meant_id("engineer_id")
    # An id that still loaded from another row is not missing; a repeated id is rejected on
    # every row, so it is not among those.
    con.execute(f"""
        create or replace temp table _rejected_engineers as
        select {meant} as meant_id,
               'engineers.csv ' || if(count(*) = 1, 'line ', 'lines ')
                   || string_agg(line::varchar, ', ' order by line) as at_lines,
               arg_min(reason, line) as reason
        from _rejected_rows_of_engineers
        where {meant} <> ''
          and {meant} not in (select {meant} from engineers)
        group by all
    """)


def reject_unknown_engineers(
    con: duckdb.DuckDBPyConnection, table: str, build_id: str, file: str
) -> int:
    """Reject rows naming an engineer who is not in engineers: with the engineers.csv line and
    reason when that person's row was rejected, else as unknown."""
    column = ENGINEER_REFERENCES[table]
    where = f"{column} is not null and {column} not in (select engineer_id from engineers)"
    rejected = rejection_of(
        column,
        f"'engineer ' || {column} || ' was rejected at ' || r.at_lines "
        "|| ' (' || r.reason || '); fix that row'",
    )
    unknown = f"'unknown engineer ' || {column} || ': add them to engineers.csv or correct the id'"
    reason = f"coalesce({rejected}, {unknown})"
    caused_by = rejection_of(column, "r.at_lines")
    return quarantine(con, table, where, column, reason, build_id, file, caused_by)


def cascade_notes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One note per rejected engineers.csv row that took rows of other files with it, the
    largest first: the report counts those rows once, under the row to fix."""
    causes = con.execute("""
        select r.caused_by, any_value(e.reason), sum(r.n)::bigint,
               string_agg(format('{:,} in {}', r.n, r.file), ', ' order by r.n desc)
        from (select caused_by, file, count(*) as n from rejected_rows
              where caused_by is not null group by all) r
        join _rejected_engineers e on e.at_lines = r.caused_by
        group by r.caused_by order by sum(r.n) desc, r.caused_by
    """).fetchall()
    notes = [
        f"{at} was rejected ({reason}), and {total:,} row(s) of other files with it "
        f"({per_file}); fixing that row brings them back"
        for at, reason, total, per_file in causes[:NOTES_SHOWN]
    ]
    if len(causes) > NOTES_SHOWN:
        notes.append(
            f"… and {len(causes) - NOTES_SHOWN} more rejected engineers.csv row(s) "
            "took rows of other files with them (see caused_by in rejected_rows)"
        )
    return notes


def unknown_managers(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str | None]]:
    """Engineers whose manager_id is nobody on the roster: kept, but reported, with where the
    manager's own row was rejected when it was."""
    return con.execute(f"""
        select e.engineer_id, e.manager_id,
               {rejection_of("e.manager_id", "r.at_lines || ' (' || r.reason || ')'")}
        from engineers e where e.manager_id is not null
          and e.manager_id not in (select engineer_id from engineers)
        order by e.engineer_id
    """).fetchall()


def roster_notes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Things in a roster that load but are probably wrong: a person who is their own
    manager, managers in a loop, a level that takes effect before the hire date."""
    notes = [
        f"engineers.csv line {line}: {person} is their own manager (manager_id {person}); "
        "loaded, check manager_id"
        for person, line in con.execute(
            "select engineer_id, source_line from engineers "
            "where manager_id = engineer_id order by source_line"
        ).fetchall()
    ]
    notes += _manager_loops(con)
    early = con.execute("""
        select l.source_line, l.engineer_id, l.level, l.effective_on, e.hire_date
        from levels l join engineers e using (engineer_id)
        where l.effective_on < e.hire_date order by l.source_line
    """).fetchall()
    notes += [
        f"levels.csv line {line}: {person}'s level {level} takes effect on {on}, before their "
        f"hire_date {hired}; loaded, check the dates"
        for line, person, level, on, hired in early[:NOTES_SHOWN]
    ]
    if len(early) > NOTES_SHOWN:
        notes.append(f"levels.csv: {len(early) - NOTES_SHOWN} more level(s) before the hire date")
    return notes


def _manager_loops(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Each loop of two or more people who manage each other in a circle, once."""
    manager_of = dict(
        con.execute(
            "select engineer_id, manager_id from engineers "
            "where manager_id is not null and manager_id <> engineer_id"
        ).fetchall()
    )
    line_of = dict(con.execute("select engineer_id, source_line from engineers").fetchall())
    loops, settled = [], set()
    for start in sorted(manager_of):
        path, person = [], start
        while person in manager_of and person not in settled and person not in path:
            path.append(person)
            person = manager_of[person]
        if person in path:
            loop = path[path.index(person) :]
            first = loop.index(min(loop))  # the same loop reads the same from any start
            loop = loop[first:] + loop[:first]
            shown = " → ".join([*loop, loop[0]])
            at = ", ".join(str(line_of[p]) for p in loop)
            loops.append(
                f"engineers.csv lines {at}: managers form a loop ({shown}); loaded, "
                "check manager_id"
            )
        settled.update(path)
    return loops
