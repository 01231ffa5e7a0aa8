"""Render the data dictionary and the settings table from the code that enforces them.

The README carries both between marker comments; `python -m pipelines docs` refreshes them and
a test fails when they drift, so what users read is what the pipeline checks.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipelines.settings import RULE_SETTINGS
from pipelines.tables import TABLES

_TYPE_NAMES = {
    "id": "text (id)",
    "text": "text",
    "enum": "text (fixed values)",
    "level": "level name",
    "category": "category name",
    "date": "date YYYY-MM-DD",
    "timestamp": "timestamp ISO-8601",
    "bool": "true/false",
    "int": "whole number",
    "float": "number",
    "month": "month YYYY-MM",
}


def data_dictionary() -> str:
    parts = []
    for spec in TABLES:
        need = "required" if spec.required else "optional"
        files = " or ".join(f"`{n}`" for n in spec.file_names)
        about = f"{spec.about[:1].upper()}{spec.about[1:]}"
        parts.append(f"#### {files} ({need})\n\n{about}\n")
        parts.append("| column | type | must have a value | meaning |\n|---|---|---|---|")
        for col in spec.fields:
            kind = _TYPE_NAMES[col.kind]
            if col.optional_column:
                kind += ", column optional"
            required = "yes" if col.must_have_value else "no"
            parts.append(f"| `{col.name}` | {kind} | {required} | {col.description} |")
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def settings_table() -> str:
    rows = ["| setting | default | meaning |", "|---|---|---|"]
    rows += [f"| `{s.name}` | {s.default} | {s.help} |" for s in RULE_SETTINGS]
    return "\n".join(rows) + "\n"


SECTIONS = {"data-dictionary": data_dictionary, "rule-settings": settings_table}


def refresh_readme(readme: Path) -> bool:
    """Rewrite the generated sections of `readme`; True if anything changed."""
    text = readme.read_text(encoding="utf-8")
    new = text
    for name, render in SECTIONS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
        if not pattern.search(new):
            raise ValueError(
                f"{readme}: no '<!-- {name}:start -->' marker; add the markers "
                "where the generated section belongs"
            )
        new = pattern.sub(
            lambda m, render=render: m.group(1) + "\n" + render() + "\n" + m.group(2), new
        )
    if new != text:
        readme.write_text(new, encoding="utf-8")
    return new != text
