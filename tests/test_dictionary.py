"""The README documents exactly what the code enforces."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipelines.dictionary import data_dictionary, refresh_readme
from pipelines.schemas import TABLES
from pipelines.settings import RULE_SETTINGS

README = Path("README.md")


def test_readme_generated_sections_are_current(tmp_path):
    copy = shutil.copy(README, tmp_path / "README.md")
    assert refresh_readme(Path(copy)) is False, "run `python -m pipelines docs` and commit"


def test_every_contract_column_has_a_description():
    for spec in TABLES:
        for name, column in spec.model.to_schema().columns.items():
            assert column.description, f"{spec.name}.{name} has no description"


def test_dictionary_lists_every_column_of_every_table():
    text = data_dictionary()
    for spec in TABLES:
        for name in spec.columns():
            assert f"| `{name}` |" in text


def test_readme_documents_every_rule_setting():
    text = README.read_text()
    for setting in RULE_SETTINGS:
        assert f"`{setting.name}`" in text and setting.help in text
