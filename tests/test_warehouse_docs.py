"""docs/warehouse.md documents every table and column a build writes, like the README's data
dictionary documents every input column: a column added without a line there fails here."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

DOC = Path(__file__).resolve().parent.parent / "docs" / "warehouse.md"


def sections() -> dict[str, str]:
    """`### `table`` heading -> the text under it, up to the next heading."""
    parts = re.split(r"^### `([a-z_]+)`\s*$", DOC.read_text(encoding="utf-8"), flags=re.M)
    pairs = zip(parts[1::2], parts[2::2], strict=True)
    return {name: body.split("\n## ")[0] for name, body in pairs}


def built_columns(warehouse: Path) -> dict[str, list[str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select table_name, column_name from information_schema.columns"
            " order by table_name, ordinal_position"
        ).fetchall()
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(table, []).append(column)
    return out


@pytest.fixture(scope="module")
def columns(fixture_warehouse) -> dict[str, list[str]]:
    return built_columns(fixture_warehouse)


def test_every_table_of_a_build_has_a_section(columns):
    assert sorted(set(columns) - set(sections())) == []


def test_every_column_of_a_build_is_named_in_its_tables_section(columns):
    documented = sections()
    missing = [
        f"{table}.{column}"
        for table, names in columns.items()
        for column in names
        if not re.search(rf"(?<![\w`]){re.escape(column)}(?![\w])", documented.get(table, ""))
    ]
    assert missing == []


def test_no_section_describes_a_table_the_build_no_longer_writes(columns):
    assert sorted(set(sections()) - set(columns)) == []
