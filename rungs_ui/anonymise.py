"""Stable stand-in names for a shared screen: "Engineer A", "Engineer B", ...

Letters follow a hash of the build id and the engineer id, not names or ids, so the order gives
nothing away, and the same person keeps the same letter on every chart, table and download of
the page for as long as the build and the cohort stay the same.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd


def letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA, like spreadsheet columns."""
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(ord("A") + rest) + out
    return out


@dataclass(frozen=True)
class Anonymiser:
    aliases: dict[str, str]  # person id -> stand-in name
    real_names: dict[str, str]  # person id -> real name, to scrub free text

    @classmethod
    def for_people(
        cls, people: Iterable[tuple[str, str]], salt: str, prefix: str = "Engineer"
    ) -> Anonymiser:
        people = dict(people)
        order = sorted(people, key=lambda pid: hashlib.sha256(f"{salt}:{pid}".encode()).digest())
        return cls(
            aliases={pid: f"{prefix} {letters(i)}" for i, pid in enumerate(order)},
            real_names=people,
        )

    def merged(self, other: Anonymiser) -> Anonymiser:
        return Anonymiser(
            {**other.aliases, **self.aliases}, {**other.real_names, **self.real_names}
        )

    def alias(self, person_id: str) -> str:
        return self.aliases.get(person_id, "Someone")

    def scrub(self, text: object) -> object:
        """Replace every known name, and each part of it, in free text such as a reason."""
        if not isinstance(text, str) or not text:
            return text
        for pid, name in self.real_names.items():
            alias = self.alias(pid)
            text = text.replace(name, alias)
            for part in name.split():
                if len(part) > 2:
                    text = re.sub(rf"\b{re.escape(part)}\b", alias, text)
        return text

    def frame(
        self,
        df: pd.DataFrame,
        name_columns: dict[str, str],
        drop: Iterable[str] = (),
        text_columns: Iterable[str] = (),
    ) -> pd.DataFrame:
        """A copy of df with each name column replaced by the alias of its id column.

        name_columns maps a name column to the id column it belongs to ({"name": "engineer_id"}).
        `drop` removes columns that identify people in other ways (ids, emails).
        """
        out = df.copy()
        for name_col, id_col in name_columns.items():
            if name_col in out.columns:
                out[name_col] = out[id_col].map(self.alias)
        for col in text_columns:
            if col in out.columns:
                out[col] = out[col].map(self.scrub)
        return out.drop(columns=[c for c in drop if c in out.columns])
