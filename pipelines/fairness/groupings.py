"""Which groupings a warehouse offers the fairness lens, and its minimum group size.

Built-in groupings (always there): team and region from the roster, manager from
reporting_lines, level from the readiness rows. Extra ones are the engineers.csv columns the
framework's [fairness] groupings declared, kept by the build in `engineer_attributes`.

Works on a connection to the warehouse file (`duckdb.connect(path, read_only=True)`) and on
the dashboard's connection, which has the file attached as its default catalog.
"""

from __future__ import annotations

from pipelines.framework import BUILT_IN_GROUPINGS, DEFAULT_MIN_GROUP_SIZE

# How a grouping is named in sentences and headers.
GROUPING_LABELS = {"team": "Team", "region": "Region", "manager": "Manager", "level": "Level"}


def has_table(con, name: str) -> bool:
    """Whether the warehouse (the connection's default catalog) holds table `name`."""
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() "
            "where database_name = current_database() and table_name = $t",
            {"t": name},
        ).fetchone()[0]
    )


def declared_groupings(con) -> list[str]:
    """The extra roster columns the build's framework declared (none on an older warehouse)."""
    if not has_table(con, "framework_fairness"):
        return []
    row = con.execute("select groupings from framework_fairness").fetchone()
    return list(row[0] or []) if row else []


def fairness_groupings(con) -> list[str]:
    """Every grouping usable on this warehouse: the built-ins first, then each declared extra
    column that the build loaded (a declared column missing from engineers.csv is left out;
    the build's report said so)."""
    loaded: set[str] = set()
    if has_table(con, "engineer_attributes"):
        rows = con.execute("select distinct attribute from engineer_attributes").fetchall()
        loaded = {attribute for (attribute,) in rows}
    return list(BUILT_IN_GROUPINGS) + [g for g in declared_groupings(con) if g in loaded]


def fairness_min_group_size(con, at_least: int = 0) -> int:
    """The smallest group the lens shows: the build's framework's [fairness] min_group_size
    (default 5), raised to `at_least` — the access file's [privacy] min_aggregate_people, so
    an org that hides aggregates of fewer than 10 people never sees a group of 7 here."""
    framework_minimum = DEFAULT_MIN_GROUP_SIZE
    if has_table(con, "framework_fairness"):
        row = con.execute("select min_group_size from framework_fairness").fetchone()
        if row and row[0] is not None:
            framework_minimum = int(row[0])
    return max(framework_minimum, at_least)


def grouping_label(grouping: str) -> str:
    """'Team' for team; an extra column keeps its own spelling with underscores as spaces."""
    return GROUPING_LABELS.get(grouping, grouping.replace("_", " ").capitalize())
