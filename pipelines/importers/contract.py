"""The input contract as the real sources need to see it: each table's columns in order, and how
each column's text must be shaped (timestamp, date, boolean, a fixed vocabulary...).

Read from pipelines/tables.py, the one definition of the contract (the pandera models in
pipelines/schemas.py stay the judge of validity); this only tells the importers how to convert a
foreign export's text into the contract's spelling so the build accepts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from pipelines.tables import TABLES_BY_NAME


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | timestamp | date | month | bool | int | number | choice
    choices: tuple[str, ...] = ()


# The contract's parsing kinds, folded into what conversion needs: ids, levels and categories
# are text to the importer (the build checks levels and categories against the framework).
_KINDS = {
    "id": "text",
    "text": "text",
    "level": "text",
    "category": "text",
    "enum": "choice",
    "float": "number",
    "timestamp": "timestamp",
    "date": "date",
    "month": "month",
    "bool": "bool",
    "int": "int",
}

TRUE_WORDS = ("true", "1", "yes")
FALSE_WORDS = ("false", "0", "no")


@cache
def contract() -> dict[str, tuple[Column, ...]]:
    return {
        name: tuple(Column(col.name, _KINDS[col.kind], col.choices) for col in spec.fields)
        for name, spec in TABLES_BY_NAME.items()
    }


def contract_file(table: str) -> str:
    return f"{table}.csv"


def column_names(table: str) -> list[str]:
    return [c.name for c in contract()[table]]
