"""The [fairness] section of the framework file, and the extra roster columns it declares:
parsed or refused with a fix, kept by the build in engineer_attributes, and grouped by."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines import audit
from pipelines.cli import app
from pipelines.errors import FrameworkError
from pipelines.fairness import fairness_groupings, fairness_min_group_size, fairness_table
from pipelines.framework import FairnessSettings, load_framework
from pipelines.load.build import build
from tests.pipeline_fixtures import ENGINEERS, make_source, query, write_csv

DEFAULT = Path("data/framework.toml")
ANCHOR = "[calibration]\npromotion_share = 0.15\n"


def framework_with(tmp_path: Path, section: str) -> Path:
    """The default framework file with `section` added after [calibration]."""
    text = DEFAULT.read_text()
    assert ANCHOR in text
    path = tmp_path / "framework.toml"
    path.write_text(text.replace(ANCHOR, ANCHOR + "\n" + section + "\n", 1))
    return path


def test_a_framework_without_the_section_gets_the_defaults():
    assert load_framework(DEFAULT).fairness == FairnessSettings((), 5)


def test_the_section_is_read(tmp_path):
    path = framework_with(
        tmp_path, '[fairness]\ngroupings = ["location", "tenure_band"]\nmin_group_size = 8'
    )
    assert load_framework(path).fairness == FairnessSettings(("location", "tenure_band"), 8)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("[fairness]\nmin_group_size = 1", "at least 2"),
        ('[fairness]\nmin_group_size = "5"', "whole number"),
        ("[fairness]\nmin_group_size = 4.5", "whole number"),
        ('[fairness]\ngroupings = "location"', "list of engineers.csv column names"),
        ('[fairness]\ngroupings = ["region"]', "a column the roster already has"),
        ('[fairness]\ngroupings = ["Manager"]', "a column the roster already has"),
        ('[fairness]\ngroupings = ["site", "site"]', "lists a column twice"),
        ("[fairness]\nminimum = 5", "unknown setting 'minimum'"),
    ],
)
def test_a_broken_section_is_refused_with_the_file_and_the_fix(tmp_path, section, message):
    with pytest.raises(FrameworkError, match=message) as err:
        load_framework(framework_with(tmp_path, section))
    assert "framework.toml" in str(err.value)
    assert "Fix:" in str(err.value)


def _roster_with(folder: Path, column: str, values: dict[str, str]) -> Path:
    """The three-person fixture org with one extra engineers.csv column."""
    make_source(folder)
    rows = [row | {column: values.get(row["engineer_id"], "")} for row in ENGINEERS]
    write_csv(folder / "engineers.csv", [*ENGINEERS[0], column], rows)
    return folder


def test_a_declared_column_loads_into_engineer_attributes_and_groups(tmp_path):
    source = _roster_with(tmp_path / "in", "location", {"E1": "Lisbon", "E2": " Lisbon "})
    framework = framework_with(tmp_path, '[fairness]\ngroupings = ["location"]\nmin_group_size = 2')
    target = tmp_path / "w.duckdb"
    report = build(source, target, framework)
    assert query(
        target, "select engineer_id, value from engineer_attributes order by engineer_id"
    ) == [("E1", "Lisbon"), ("E2", "Lisbon"), ("M1", None)]
    # The roster keeps its contract's columns; the kept column is not reported as ignored.
    columns = [c for (c,) in query(target, "select column_name from duckdb_columns() "
                                           "where table_name = 'engineers'")]  # fmt: skip
    assert "location" not in columns and not [c for c in columns if c.startswith("__")]
    assert not [n for n in report.notes if "location" in n]
    with duckdb.connect(str(target), read_only=True) as con:
        assert fairness_groupings(con) == ["team", "region", "manager", "level", "location"]
        assert fairness_min_group_size(con) == 2
        month = con.execute("select max(month) from readiness").fetchone()[0]
        table = fairness_table(con, "location", month, month, 2)
    assert list(table.rows["group"]) == ["Lisbon"]
    assert table.rows.loc[0, "people"] == 2


def test_a_declared_column_missing_from_the_roster_is_named_with_the_fix(tmp_path):
    source = _roster_with(tmp_path / "in", "Location", {"E1": "Lisbon"})
    framework = framework_with(tmp_path, '[fairness]\ngroupings = ["location"]')
    target = tmp_path / "w.duckdb"
    report = build(source, target, framework)
    [note] = [n for n in report.notes if "[fairness]" in n]
    assert note.startswith("engineers.csv: has no column 'location' (is 'Location' meant?)")
    assert "Fix: add a 'location' column to engineers.csv, or remove 'location'" in note
    assert str(framework) in note
    with duckdb.connect(str(target), read_only=True) as con:
        assert fairness_groupings(con) == ["team", "region", "manager", "level"]


def test_a_rejected_roster_row_leaves_no_attributes_behind(tmp_path):
    source = _roster_with(tmp_path / "in", "site", {"E1": "North", "E2": "South"})
    rows = list(csv.DictReader((source / "engineers.csv").open()))
    rows[2]["hire_date"] = "not a date"  # E2 is rejected
    write_csv(source / "engineers.csv", list(rows[0]), rows)
    framework = framework_with(tmp_path, '[fairness]\ngroupings = ["site"]')
    target = tmp_path / "w.duckdb"
    build(source, target, framework)
    assert query(target, "select engineer_id from engineer_attributes order by 1") == [
        ("E1",),
        ("M1",),
    ]


def test_the_real_build_serves_the_lens_for_every_grouping(fixture_warehouse):
    """The lens reads the columns the pipeline writes (the hand-made warehouse of
    test_fairness.py mirrors them), on the demo org."""
    from tests.test_fairness import HAND_MADE

    with duckdb.connect(str(fixture_warehouse), read_only=True) as con:
        for table, frame in HAND_MADE.items():
            real = {c for (c,) in con.execute(
                "select column_name from duckdb_columns() where table_name = ?", [table]
            ).fetchall()}  # fmt: skip
            assert set(frame.columns) <= real, table
        end = con.execute("select max(month) from readiness").fetchone()[0]
        start = date(end.year - 1, end.month, 1)
        for grouping in fairness_groupings(con):
            result = fairness_table(con, grouping, start, end, 5)
            assert (result.rows["people"] >= 5).all()
            assert result.org["people"] >= result.rows["people"].sum()


def test_the_cli_is_for_admins_and_leadership_and_audits_them(tmp_path, monkeypatch):
    source = make_source(tmp_path / "in")
    target = tmp_path / "w.duckdb"
    build(source, target)
    access = tmp_path / "access.toml"
    access.write_text('[roles]\nadmin = ["boss@example.com"]\n')
    monkeypatch.setenv("RUNGS_ACCESS_FILE", str(access))
    runner = CliRunner()
    refused = runner.invoke(
        app, ["fairness", "--warehouse", str(target), "--as-user", "mara@example.com"]
    )
    assert refused.exit_code == 1
    assert "for admins and leadership" in refused.output
    allowed = runner.invoke(
        app,
        ["fairness", "--warehouse", str(target), "--as-user", "boss@example.com",
         "--format", "json"],
    )  # fmt: skip
    assert allowed.exit_code == 0, allowed.output
    # The export is in the audit log, with the viewer and what they took.
    events = audit.recent(20)
    mine = events[events["who"] == "boss@example.com"]
    assert any(t.startswith("fairness by team ") for t in mine["target"])
