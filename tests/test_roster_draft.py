"""`roster draft`: a roster to start from, one row per ticket assignee, that no build loads
until a person has filled it in.

The fixture is a helpdesk ticket export (agents named by display name, one unassigned ticket)
and a mapping of its tickets only, as a new user has on day one.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli import app

FIXTURE = Path(__file__).parent / "fixtures" / "roster"
runner = CliRunner()
ASSIGNEES = ["Ines Vahl", "Priya Raman", "Tomás Okafor"]


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def rows(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """The export and its tickets-only mapping, copied where the test may write."""
    for name in ("helpdesk_tickets.csv", "tickets_only.toml"):
        shutil.copy(FIXTURE / name, tmp_path / name)
    return tmp_path / "tickets_only.toml"


@pytest.fixture
def drafted(export: Path) -> Path:
    result = run("roster", "draft", "--mapping", export, "--out", export.parent / "roster")
    assert result.exit_code == 0, result.output
    return export.parent / "roster"


def fill(roster: Path) -> None:
    """What the person does with the draft: each TODO replaced in place, the rest kept."""
    people = {
        "Ines Vahl": ("Blue", "EMEA", "", "2023-01-09", "IC3"),
        "Priya Raman": ("Blue", "EMEA", "Ines Vahl", "2023-05-02", "IC2"),
        "Tomás Okafor": ("Green", "AMER", "Ines Vahl", "2024-02-12", "IC1"),
    }
    engineers = rows(roster / "engineers.csv")
    for row in engineers:
        team, region, manager, hired, _ = people[row["engineer_id"]]
        row.update(
            name=row["engineer_id"], team=team, region=region, manager_id=manager, hire_date=hired
        )
    levels = rows(roster / "levels.csv")
    for row in levels:
        *_, hired, level = people[row["engineer_id"]]
        row.update(level=level, effective_on=hired)
    for name, table in (("engineers.csv", engineers), ("levels.csv", levels)):
        with (roster / name).open("w", newline="", encoding="utf-8") as f:
            out = csv.DictWriter(f, fieldnames=list(table[0]))
            out.writeheader()
            out.writerows(table)


def test_draft_lists_each_assignee_once_as_the_mapping_converts_them(drafted):
    engineers = rows(drafted / "engineers.csv")
    levels = rows(drafted / "levels.csv")
    # Six tickets, one unassigned: three people, each once, ids exactly as the export has them.
    assert [r["engineer_id"] for r in engineers] == ASSIGNEES
    assert [r["engineer_id"] for r in levels] == ASSIGNEES
    assert list(engineers[0]) == [
        "engineer_id",
        "name",
        "email",
        "team",
        "region",
        "manager_id",
        "hire_date",
        "team_lead",
        "left_on",
        "onboarded_on",
    ]
    assert list(levels[0]) == ["engineer_id", "level", "effective_on"]


def test_every_value_a_person_must_fill_is_marked_todo(drafted):
    tomas = rows(drafted / "engineers.csv")[2]
    assert tomas["name"] == "TODO: name"
    assert tomas["team"] == "TODO: team"
    assert tomas["region"] == "TODO: region"
    # The first ticket bounds the hire date: Tomás's first ticket was created on 4 March 2025.
    assert tomas["hire_date"] == "TODO: YYYY-MM-DD, on or before 2025-03-04"
    assert (tomas["email"], tomas["manager_id"], tomas["team_lead"]) == ("", "", "false")
    level = rows(drafted / "levels.csv")[2]
    # The framework's levels, not a list of the code's own.
    assert level["level"] == "TODO: one of IC1 IC2 IC3 IC4 IC5"
    assert level["effective_on"] == "TODO: YYYY-MM-DD, usually the hire_date"


def test_the_command_prints_what_to_fill_and_how_to_build_next(export):
    result = run("roster", "draft", "--mapping", export, "--out", export.parent / "roster")
    out = result.output
    assert out.startswith(
        f"Roster draft for 3 assignee(s) of {export.parent / 'helpdesk_tickets.csv'}, written to "
        f"{export.parent / 'roster' / 'engineers.csv'}, {export.parent / 'roster' / 'levels.csv'}."
    )
    for column in ("name", "team", "region", "hire_date"):
        assert f"engineers.csv {column}" in out
    assert "levels.csv level" in out and "one of IC1, IC2, IC3, IC4, IC5" in out
    assert "levels.csv effective_on" in out
    assert f"python -m pipelines build --mapping {export} --source {export.parent / 'roster'}" in (
        out.replace("\n", " ")
    )


def test_existing_roster_files_are_not_overwritten_without_force(drafted, export):
    (drafted / "engineers.csv").write_text("engineer_id\nkept\n", encoding="utf-8")
    result = run("roster", "draft", "--mapping", export, "--out", drafted)
    assert result.exit_code == 1
    assert f"{drafted / 'engineers.csv'} already exists" in result.output
    assert "pass --force" in result.output
    assert (drafted / "engineers.csv").read_text(encoding="utf-8") == "engineer_id\nkept\n"
    forced = run("roster", "draft", "--mapping", export, "--out", drafted, "--force")
    assert forced.exit_code == 0, forced.output
    assert len(rows(drafted / "engineers.csv")) == 3


def test_a_draft_left_unfilled_is_refused_by_build_and_check(drafted, export):
    warehouse = export.parent / "wh.duckdb"
    built = run(
        "build", "--mapping", export, "--source", drafted, "--warehouse", warehouse, "--no-journal"
    )
    assert built.exit_code == 1
    assert (
        f"{drafted / 'engineers.csv'}, line 2, column 'name': 'TODO: name' is a roster-draft "
        "placeholder (12 value(s) in this file still start with 'TODO:')"
    ) in built.output
    assert f"{drafted / 'levels.csv'}, line 2, column 'level'" in built.output
    assert "Fix: replace each with the real value" in built.output
    assert not warehouse.exists()
    checked = run("check", "--source", drafted, "--no-journal")
    assert checked.exit_code == 1
    assert "roster-draft placeholder" in checked.output


def test_one_value_left_unfilled_is_enough_to_refuse(drafted, export):
    fill(drafted)
    text = (drafted / "engineers.csv").read_text(encoding="utf-8")
    (drafted / "engineers.csv").write_text(text.replace(",Green,", ",TODO: team,"), "utf-8")
    result = run("check", "--mapping", export, "--source", drafted, "--no-journal")
    assert result.exit_code == 1
    assert (
        f"{drafted / 'engineers.csv'}, line 4, column 'team': 'TODO: team' is a roster-draft "
        "placeholder (1 value(s)"
    ) in result.output


def test_filled_draft_builds_a_first_warehouse(drafted, export):
    fill(drafted)
    warehouse = export.parent / "wh.duckdb"
    result = run(
        "build", "--mapping", export, "--source", drafted, "--warehouse", warehouse, "--no-journal"
    )
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from engineers").fetchone()[0] == 3
        # Five assigned tickets and the unassigned one all load.
        assert con.execute("select count(*) from tickets").fetchone()[0] == 6
        assert con.execute(
            "select team from engineers where engineer_id = 'Tomás Okafor'"
        ).fetchone() == ("Green",)


def test_check_of_a_mapping_without_roster_offers_the_draft(export):
    result = run("check", "--mapping", export, "--no-journal")
    assert result.exit_code == 1
    assert f"python -m pipelines roster draft --mapping {export} --out DIR" in (
        result.output.replace("\n", " ")
    )
    assert result.output.count("roster draft") == 1


def test_mapping_without_tickets_has_nobody_to_draft(tmp_path):
    mapping = tmp_path / "roster_only.toml"
    mapping.write_text('[engineers]\nfile = "people.csv"\n', encoding="utf-8")
    result = run("roster", "draft", "--mapping", mapping, "--out", tmp_path / "roster")
    assert result.exit_code == 1
    assert f"{mapping}: the mapping has no [tickets] section" in result.output
    assert not (tmp_path / "roster").exists()
