"""Checks across tables, run after each table passed its own schema.

A row that refers to an engineer nobody listed is rejected (it would count for no one we can
show); an unassigned ticket loads and counts for nobody. Repeated ticket ids keep the newest
version; a tie cannot be decided, so every tied row is rejected.
"""

from __future__ import annotations

import duckdb

# Table -> column holding an engineer_id that must exist in engineers.
ENGINEER_REFERENCES = {
    "levels": "engineer_id",
    "tickets": "assignee_id",
    "evidence": "engineer_id",
    "decisions": "engineer_id",
    "leave": "engineer_id",
    "monthly_metrics": "engineer_id",
}


def _quarantine(
    con: duckdb.DuckDBPyConnection,
    table: str,
    where: str,
    column: str,
    reason_sql: str,
    build_id: str,
    file: str,
) -> int:
    """Move rows matching `where` from `table` into rejected_rows with the given reason."""
    n = con.execute(
        "insert into rejected_rows select $b, $t, $f, source_line, $c, "
        f"{column}::varchar, {reason_sql} from {table} where {where}",
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
    tied = _quarantine(
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


def reject_unknown_engineers(
    con: duckdb.DuckDBPyConnection, table: str, build_id: str, file: str
) -> int:
    column = ENGINEER_REFERENCES[table]
    where = f"{column} is not null and {column} not in (select engineer_id from engineers)"
    reason = f"'unknown engineer ' || {column} || ': add them to engineers.csv or correct the id'"
    return _quarantine(con, table, where, column, reason, build_id, file)


def unknown_managers(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Engineers whose manager_id is nobody on the roster: kept, but reported."""
    return con.execute(
        "select engineer_id, manager_id from engineers where manager_id is not null "
        "and manager_id not in (select engineer_id from engineers) order by engineer_id"
    ).fetchall()
