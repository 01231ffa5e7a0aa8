"""Extra roster columns the framework declares as fairness groupings ([fairness] groupings):
moved from the engineers table, where the loader kept them in hidden columns, into
`engineer_attributes (engineer_id, attribute, value)`, one row per person per declared column
(value NULL for an empty cell), so the roster's own table keeps its contract's shape."""

from __future__ import annotations

import difflib
from pathlib import Path

from pipelines.framework import Framework
from pipelines.load.table import KEPT_PREFIX

ATTRIBUTES_DDL = (
    "create table if not exists engineer_attributes "
    "(engineer_id varchar, attribute varchar, value varchar)"
)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def take_attributes(con, framework: Framework, path: Path, other_columns: list[str]) -> list[str]:
    """Move the kept columns of `engineers` into engineer_attributes; return a build note for
    each declared column the file lacks (the lens then cannot group by it). `other_columns`:
    the file's extra columns that were not kept, to suggest one a typo may have meant."""
    con.execute(ATTRIBUTES_DDL)
    columns = [
        name
        for (name,) in con.execute(
            "select column_name from duckdb_columns() where database_name = current_database() "
            "and table_name = 'engineers' order by column_index"
        ).fetchall()
    ]
    notes = []
    for grouping in framework.fairness.groupings:
        hidden = KEPT_PREFIX + grouping
        if hidden not in columns:
            notes.append(_missing_note(path, grouping, other_columns, framework.source))
            continue
        con.execute(
            f"insert into engineer_attributes select engineer_id, $a, {_quote(hidden)} "
            "from engineers",
            {"a": grouping},
        )
        con.execute(f"alter table engineers drop column {_quote(hidden)}")
    return notes


def keep_loaded_only(con) -> None:
    """After the cross-table checks: only people still on the roster keep their attributes
    (and the table exists even when engineers.csv was missing or declared nothing)."""
    con.execute(ATTRIBUTES_DDL)
    con.execute(
        "delete from engineer_attributes where engineer_id not in "
        "(select engineer_id from engineers)"
    )


def _missing_note(path: Path, grouping: str, others: list[str], framework_file: str) -> str:
    close = difflib.get_close_matches(grouping, others, n=1, cutoff=0.6)
    meant = f" (is '{close[0]}' meant?)" if close else ""
    return (
        f"{path.name}: has no column '{grouping}'{meant}, which the framework's [fairness] "
        f"groupings declares, so the fairness lens cannot group by it. Fix: add a "
        f"'{grouping}' column to {path.name}, or remove '{grouping}' from [fairness] "
        f"groupings in {framework_file or 'the framework file'}"
    )
