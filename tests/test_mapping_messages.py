"""Messages about a mapped export name the user's own file, line and key, never the converted
contract files in a temporary folder; the build records the exports themselves."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.importers.mapping import preview_mapping
from tests.pipeline_fixtures import make_source

# A ServiceNow-shaped incident update log: `?` for nothing, day-first times, a
# sys_updated_at column; INC0002's description spans two lines, so its lines shift.
INCIDENTS = """\
number,sys_updated_at,sys_updated_by,opened_at,resolved_at,state,assigned_to,description
INC0001,01/02/2024 10:00:00,admin,01/02/2024 09:00:00,01/02/2024 10:00:00,Resolved,E1,"VPN"
INC0002,02/02/2024 10:00:00,admin,02/02/2024 09:00:00,?,Active,E1,"Printer
jams"
INC0002,03/02/2024 10:00:00,admin,02/02/2024 09:00:00,01/02/2024 08:00:00,Resolved,E1,"x"
"""

MAPPING = """timestamp_formats = ["%d/%m/%Y %H:%M:%S"]
null_tokens = ["", "?"]

[tickets]
file = "incidents.csv"
shape = "snapshot_log"
updated_column = "sys_updated_at"

[tickets.columns]
ticket_id = "number"
assignee_id = "assigned_to"
created_at = "opened_at"
solved_at = "resolved_at"
status = "state"
reopens = { const = 0 }

[tickets.values.status]
"Resolved" = "solved"
"Active" = "open"
"""


def exports(tmp_path: Path, mapping: str = MAPPING) -> Path:
    (tmp_path / "incidents.csv").write_text(INCIDENTS, encoding="utf-8")
    path = tmp_path / "map.toml"
    path.write_text(mapping, encoding="utf-8")
    return path


def run(*args) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


def test_a_mapping_without_a_roster_names_the_section_to_add(tmp_path):
    mapping = exports(tmp_path)
    result = run("check", "--mapping", mapping, "--no-journal")
    assert result.exit_code == 1
    assert f"mapping {mapping} has no [engineers] section" in result.output
    assert "docs/mappings/hr-roster.toml" in result.output
    assert "rungs-mapped" not in result.output and "/contract/" not in result.output


def test_a_rejected_mapped_row_names_the_export_its_line_and_incident(tmp_path):
    mapping = exports(tmp_path)
    roster = make_source(tmp_path / "roster")
    (roster / "tickets.csv").unlink()
    warehouse = tmp_path / "w.duckdb"
    result = run(
        "build",
        "--mapping",
        mapping,
        "--source",
        roster,
        "--warehouse",
        warehouse,
        "--quiet",
        "--no-journal",
        "--accept-drop",
    )
    assert result.exit_code == 0, result.output
    shown = str(tmp_path / "incidents.csv")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rejected = con.execute('select file, line, "key", "column" from rejected_rows').fetchall()
        files = dict(con.execute("select table_name, file from build_files").fetchall())
        digest = con.execute(
            "select sha256 from build_files where table_name = 'tickets'"
        ).fetchall()[0][0]
        source_dir = con.execute("select source_dir from builds").fetchall()[0][0]
    # The newest update of INC0002 is export line 5 (its earlier row spans lines 3-4).
    assert rejected == [(shown, 5, "INC0002", "solved_at")]
    assert "INC0002" in result.output and shown in result.output
    assert files["tickets"] == shown and files["engineers"] == str(roster / "engineers.csv")
    assert digest == hashlib.sha256((tmp_path / "incidents.csv").read_bytes()).hexdigest()
    assert source_dir == f"mapping {mapping} ({shown}) + {roster}"


def test_a_column_of_another_meaning_is_never_suggested_and_is_reported_once(tmp_path):
    text = MAPPING.replace('"sys_updated_at"', '"sys_updated_on"')
    mapping = exports(tmp_path, text)
    [problem] = [p for p in preview_mapping(mapping).problems if p.blocking]
    assert problem.file == str(mapping)
    assert problem.line == text.splitlines().index('updated_column = "sys_updated_on"') + 1
    assert problem.fix.startswith("did you mean 'sys_updated_at'?")


def test_a_column_nothing_like_the_wanted_one_gets_no_guess(tmp_path):
    mapping = exports(tmp_path, MAPPING.replace('"assigned_to"', '"owner_group"'))
    [problem] = [p for p in preview_mapping(mapping).problems if p.blocking]
    assert "did you mean" not in problem.fix


def test_a_leftover_null_looking_value_is_sent_to_null_tokens(tmp_path):
    mapping = exports(tmp_path, MAPPING.replace('null_tokens = ["", "?"]', 'null_tokens = [""]'))
    [problem] = [p for p in preview_mapping(mapping).problems if p.blocking]
    assert str(problem) == (
        f"{tmp_path / 'incidents.csv'}, line 3, column 'resolved_at': 1 cell(s) look like "
        f"'no value': '?'. Fix: add '?' to null_tokens in {mapping} (such values "
        "are then read as empty)"
    )
    assert "timestamp_formats" not in str(problem)


def test_statuses_without_a_map_are_listed_with_the_contract_statuses_in_one_message(tmp_path):
    text = MAPPING.split("[tickets.values.status]")[0]
    mapping = exports(tmp_path, text)
    [problem] = [p for p in preview_mapping(mapping).problems if p.blocking]
    assert problem.line == 2 and problem.column == "state"
    assert problem.message == (
        "3 value(s) have no mapping for status: 'Resolved' (2 rows), 'Active' (1 rows); "
        "status takes only ['new', 'open', 'pending', 'hold', 'solved', 'closed']"
    )
    assert '"Resolved" = "<one of them>"' in problem.fix and '"new"' not in problem.fix


def test_a_problem_in_a_later_row_points_at_its_physical_export_line(tmp_path):
    export = INCIDENTS.replace("01/02/2024 08:00:00", "Feb 1 2024")
    mapping = exports(tmp_path)
    (tmp_path / "incidents.csv").write_text(export, encoding="utf-8")
    [problem] = [p for p in preview_mapping(mapping).problems if p.blocking]
    # The third record starts on line 5: the second one's description spans two lines.
    assert (problem.file, problem.line, problem.column) == (
        str(tmp_path / "incidents.csv"),
        5,
        "resolved_at",
    )


def test_a_source_folder_missing_the_roster_is_named_with_the_section(tmp_path):
    mapping = exports(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("build", "--mapping", mapping, "--source", empty, "--no-journal")
    assert result.exit_code == 1
    assert f"mapping {mapping} has no [engineers] section and {empty} has no engineers.csv" in (
        result.output
    )


def test_a_contract_file_for_a_mapped_table_is_ignored_with_a_note(tmp_path):
    mapping = exports(tmp_path)
    roster = make_source(tmp_path / "roster")
    result = run("check", "--mapping", mapping, "--source", roster, "--no-journal")
    assert f"{roster / 'tickets.csv'}: ignored, because the mapping produces tickets" in (
        " ".join(result.output.split())
    )


def test_null_looking_cells_in_several_columns_are_one_problem_counting_every_cell(tmp_path):
    text = MAPPING.replace('null_tokens = ["", "?"]', 'null_tokens = [""]')
    mapping = exports(tmp_path, text)
    incidents = tmp_path / "incidents.csv"
    # '?' also for the (mapped) state of the first row and the opening time of the last.
    incidents.write_text(
        INCIDENTS.replace('Resolved,E1,"VPN"', '?,E1,"VPN"').replace(
            "10:00:00,admin,02/02/2024 09:00:00,01/02", "10:00:00,admin,?,01/02"
        ),
        encoding="utf-8",
    )
    [problem] = [p for p in preview_mapping(mapping).problems if p.blocking]
    assert str(problem) == (
        f"{incidents}, line 2: 3 cell(s) in columns ['opened_at', 'resolved_at', "
        "'state'] look like 'no value': '?'. Fix: add '?' to null_tokens in "
        f"{mapping} (such values are then read as empty)"
    )


def test_one_missing_timestamp_format_is_one_problem_naming_every_column(tmp_path):
    text = MAPPING.replace('timestamp_formats = ["%d/%m/%Y %H:%M:%S"]\n', "")
    mapping = exports(tmp_path, text)
    [problem] = [p for p in preview_mapping(mapping).problems if p.blocking]
    assert str(problem) == (
        f"{tmp_path / 'incidents.csv'}, line 2: 8 value(s) in 3 columns match no date format "
        "('opened_at': '02/02/2024 09:00:00' (2 rows), '01/02/2024 09:00:00' (1 rows); "
        "'resolved_at': '01/02/2024 08:00:00' (1 rows), '01/02/2024 10:00:00' (1 rows); "
        "'sys_updated_at': '01/02/2024 10:00:00' (1 rows), '02/02/2024 10:00:00' (1 rows), "
        "'03/02/2024 10:00:00' (1 rows)). Fix: add \"%d/%m/%Y %H:%M:%S\" to timestamp_formats "
        f"in {mapping}; it reads every one of these columns"
    )
