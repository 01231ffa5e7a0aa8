"""The column-mapping importer: each export shape, every kind of problem, all-or-nothing output,
and the worked examples in docs/mappings (each run against a sample export)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from pipelines.errors import SourceError
from pipelines.importers.cli import mapped_source
from pipelines.importers.mapping import apply_mapping, preview_mapping
from pipelines.importers.mapping_config import load_mapping
from pipelines.importers.mapping_dates import suggest_format

FIXTURES = Path(__file__).parent / "fixtures" / "mapping"
DOCS = Path(__file__).parent.parent / "docs" / "mappings"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path


def rows_of(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def by_id(rows: list[dict], key: str = "ticket_id") -> dict[str, dict]:
    return {r[key]: r for r in rows}


# -- plain shape --------------------------------------------------------------------------------

PLAIN_EXPORT = """
Ticket,Agent,Opened,Closed,State,Urgency,Rating
T-1,a.kim,31/01/2024 23:30,01/02/2024 08:15,Done,P1,?
T-2,N/A,01/02/2024 09:00,,Waiting,P3,Happy
"""

PLAIN_MAPPING = """
timezone = "Europe/Berlin"
timestamp_formats = ["%d/%m/%Y %H:%M"]
null_tokens = ["", "N/A", "?"]

[tickets]
file = "export.csv"

[tickets.columns]
ticket_id = "Ticket"
assignee_id = "Agent"
created_at = "Opened"
solved_at = "Closed"
status = "State"
priority = "Urgency"
csat = "Rating"
reopens = { const = 0 }

[tickets.values.status]
"Done" = "solved"
"Waiting" = "pending"

[tickets.values.priority]
"P1" = "urgent"
"*" = "normal"

[tickets.values.csat]
"Happy" = "good"
"""


def test_plain_export_maps_columns_values_constants_nulls_and_time_zone(tmp_path):
    write(tmp_path, "export.csv", PLAIN_EXPORT)
    mapping = write(tmp_path, "map.toml", PLAIN_MAPPING)
    apply_mapping(mapping, tmp_path / "out")
    assert rows_of(tmp_path / "out" / "tickets.csv") == [
        # Berlin is UTC+1 in winter: 23:30 local on the 31st is 22:30 UTC.
        {
            "ticket_id": "T-1",
            "assignee_id": "a.kim",
            "created_at": "2024-01-31T22:30:00Z",
            "solved_at": "2024-02-01T07:15:00Z",
            "status": "solved",
            "priority": "urgent",
            "sla_breached": "",
            "csat": "",
            "reopens": "0",
            "updated_at": "",
        },
        {
            "ticket_id": "T-2",
            "assignee_id": "",
            "created_at": "2024-02-01T08:00:00Z",
            "solved_at": "",
            "status": "pending",
            "priority": "normal",
            "sla_breached": "",
            "csat": "good",
            "reopens": "0",
            "updated_at": "",
        },
    ]


def test_iso_values_with_offsets_keep_their_offset_and_booleans_are_normalised(tmp_path):
    write(
        tmp_path,
        "people.csv",
        """
id,full_name,mail,squad,site,boss,started,is_lead
e1,Rin Ito,rin@example.com,Core,APAC,,2023-04-01T09:00:00+09:00,Yes
e2,Ola Berg,ola@example.com,Core,EMEA,e1,2022-01-10,no
""",
    )
    mapping = write(
        tmp_path,
        "map.toml",
        """
[engineers]
file = "people.csv"
[engineers.columns]
engineer_id = "id"
name = "full_name"
email = "mail"
team = "squad"
region = "site"
manager_id = "boss"
hire_date = "started"
team_lead = "is_lead"
""",
    )
    apply_mapping(mapping, tmp_path / "out")
    rows = rows_of(tmp_path / "out" / "engineers.csv")
    assert [(r["hire_date"], r["team_lead"], r["manager_id"]) for r in rows] == [
        ("2023-04-01", "true", ""),
        ("2022-01-10", "false", "e1"),
    ]


def test_contract_named_columns_need_no_mapping_line(tmp_path):
    write(tmp_path, "levels.csv", "engineer_id,level,effective_on,comment\ne1,IC2,2023-01-01,x\n")
    mapping = write(tmp_path, "map.toml", '[levels]\nfile = "levels.csv"\n')
    report = apply_mapping(mapping, tmp_path / "out")
    assert rows_of(tmp_path / "out" / "levels.csv") == [
        {"engineer_id": "e1", "level": "IC2", "effective_on": "2023-01-01"}
    ]
    assert report.ok


# -- snapshot log ------------------------------------------------------------------------------


def test_snapshot_log_keeps_the_newest_row_of_each_ticket(tmp_path):
    shutil.copy(FIXTURES / "snapshot" / "incident_updates.csv", tmp_path)
    shutil.copy(DOCS / "servicenow.toml", tmp_path)
    apply_mapping(tmp_path / "servicenow.toml", tmp_path / "out")
    rows = by_id(rows_of(tmp_path / "out" / "tickets.csv"))
    assert list(rows) == ["INC0010001", "INC0010002", "INC0010003", "INC0010004", "INC0010005"]
    # Reopened and re-resolved by someone else: the last update tells the final state.
    # 04-01-2024 13:30 Chicago (UTC-6) = 19:30 UTC.
    assert rows["INC0010002"] | {} == {
        "ticket_id": "INC0010002",
        "assignee_id": "casey.novak",
        "created_at": "2024-01-02T17:00:00Z",
        "solved_at": "2024-01-04T19:30:00Z",
        "status": "solved",
        "priority": "urgent",
        "sla_breached": "true",
        "csat": "",
        "reopens": "1",
        "updated_at": "2024-01-04T19:30:00Z",
    }
    assert rows["INC0010003"]["status"] == "hold"
    assert rows["INC0010003"]["solved_at"] == ""
    # Two updates share 12:40; the later line wins, then the 17:05 close beats both.
    assert (rows["INC0010004"]["status"], rows["INC0010004"]["sla_breached"]) == ("closed", "false")
    assert rows["INC0010005"]["assignee_id"] == ""


def test_snapshot_tie_on_update_time_goes_to_the_later_line(tmp_path):
    write(
        tmp_path,
        "log.csv",
        """
id,changed,state
7,2024-05-01 10:00,open
7,2024-05-01 10:00,pending
8,2024-05-01 09:00,open
""",
    )
    mapping = write(
        tmp_path,
        "map.toml",
        """
[tickets]
file = "log.csv"
shape = "snapshot_log"
updated_column = "changed"
[tickets.columns]
ticket_id = "id"
created_at = "changed"
status = "state"
""",
    )
    apply_mapping(mapping, tmp_path / "out")
    assert {r["ticket_id"]: r["status"] for r in rows_of(tmp_path / "out" / "tickets.csv")} == {
        "7": "pending",
        "8": "open",
    }


# -- activity log ------------------------------------------------------------------------------


def test_activity_log_rebuilds_each_case_from_its_activities(tmp_path):
    shutil.copy(FIXTURES / "activity" / "case_events.csv", tmp_path)
    shutil.copy(DOCS / "activity-log.toml", tmp_path)
    apply_mapping(tmp_path / "activity-log.toml", tmp_path / "out")
    rows = by_id(rows_of(tmp_path / "out" / "tickets.csv"))
    # Amsterdam is UTC+1 in March. C-1002: resolved by res-12, reopened, closed by res-03.
    assert rows["C-1002"] == {
        "ticket_id": "C-1002",
        "assignee_id": "res-03",
        "created_at": "2024-03-04T10:00:00Z",
        "solved_at": "2024-03-06T11:00:00Z",
        "status": "solved",
        "priority": "urgent",
        "sla_breached": "",
        "csat": "bad",
        "reopens": "1",
        "updated_at": "2024-03-06T11:00:00Z",
    }
    # Never solved: stays open, held by its latest resource.
    assert (
        rows["C-1003"]["status"],
        rows["C-1003"]["solved_at"],
        rows["C-1003"]["assignee_id"],
    ) == ("open", "", "res-07")
    # Rows out of order in the file: times decide, not lines.
    assert (rows["C-1004"]["created_at"], rows["C-1004"]["solved_at"]) == (
        "2024-03-07T07:30:00Z",
        "2024-03-07T09:00:00Z",
    )
    # Three solving activities: two reopens; "Neutral" is mapped to empty.
    assert (rows["C-1005"]["reopens"], rows["C-1005"]["assignee_id"], rows["C-1005"]["csat"]) == (
        "2",
        "res-07",
        "",
    )


def test_activity_log_with_no_solving_activity_warns_and_lists_what_it_saw(tmp_path):
    shutil.copy(FIXTURES / "activity" / "case_events.csv", tmp_path)
    text = (DOCS / "activity-log.toml").read_text().replace('["Resolve", "Close"]', '["Solved"]')
    mapping = write(tmp_path, "map.toml", text)
    report = preview_mapping(mapping)
    note = next(p for p in report.problems if "solved_activities" in p.message)
    assert not note.blocking
    assert "'Reply to customer'" in note.message
    assert note.line == text.splitlines().index('solved_activities = ["Solved"]') + 1


def test_activity_log_refuses_a_mapping_for_the_columns_it_derives(tmp_path):
    mapping = write(
        tmp_path,
        "map.toml",
        """
[tickets]
file = "x.csv"
shape = "activity_log"
[tickets.activity]
case_column = "c"
activity_column = "a"
resource_column = "r"
timestamp_column = "t"
solved_activities = ["done"]
[tickets.columns]
solved_at = "closed"
""",
    )
    with pytest.raises(SourceError, match=r"map.toml, line 11 .*solved_at is computed"):
        load_mapping(mapping)


# -- problems ----------------------------------------------------------------------------------


def test_unknown_column_names_mapping_line_lists_columns_and_suggests_one(tmp_path):
    write(tmp_path, "export.csv", PLAIN_EXPORT)
    text = PLAIN_MAPPING.replace('created_at = "Opened"', 'created_at = "Opend"')
    mapping = write(tmp_path, "map.toml", text)
    report = preview_mapping(mapping)
    [problem] = [p for p in report.problems if p.blocking]
    assert problem.file == str(mapping)
    assert problem.line == text.lstrip("\n").splitlines().index('created_at = "Opend"') + 1
    assert "'Opend' is not in export.csv" in problem.message
    assert (
        "['Ticket', 'Agent', 'Opened', 'Closed', 'State', 'Urgency', 'Rating']" in problem.message
    )
    assert "did you mean 'Opened'" in problem.fix


def test_dates_in_no_format_are_listed_with_line_count_and_a_format_that_reads_them(tmp_path):
    write(
        tmp_path,
        "export.csv",
        PLAIN_EXPORT + "T-3,a.kim,2024-02-03 10:00,,Done,P1,\nT-4,a.kim,Feb 3 2024,,Done,P1,\n",
    )
    mapping = write(
        tmp_path,
        "map.toml",
        PLAIN_MAPPING.replace(
            'timestamp_formats = ["%d/%m/%Y %H:%M"]', 'timestamp_formats = ["%m-%d-%Y"]'
        ),
    )
    report = preview_mapping(mapping)
    problem = next(p for p in report.problems if p.column == "Opened")
    assert problem.file.endswith("export.csv")
    assert problem.line == 2
    assert "'31/01/2024 23:30' (1 rows)" in problem.message
    assert "'Feb 3 2024' (1 rows)" in problem.message
    assert "3 value(s) match no date format" in problem.message
    # ISO text always parses, so only the foreign layouts need a format.
    assert "2024-02-03 10:00" not in problem.message
    # The fix names the mapping file and the line of its timestamp_formats.
    at = mapping.read_text().splitlines().index('timestamp_formats = ["%m-%d-%Y"]') + 1
    assert problem.fix == (
        f'add "%d/%m/%Y %H:%M" to timestamp_formats in {mapping} (line {at}) '
        "(it reads 2 of these 3; the rest need another)"
    )


def test_suggested_format_prefers_one_that_reads_every_sample():
    assert suggest_format(["13/02/2024 10:00", "01/02/2024 09:30"]) == ("%d/%m/%Y %H:%M", 2)
    assert suggest_format(["02/13/2024 10:00 PM"]) == ("%m/%d/%Y %I:%M %p", 1)
    assert suggest_format(["not a date"]) == (None, 0)


def test_unmapped_values_are_counted_per_value_with_first_line(tmp_path):
    write(
        tmp_path,
        "export.csv",
        PLAIN_EXPORT + "T-3,a.kim,01/02/2024 10:00,,Escalated,P1,\n"
        "T-4,a.kim,01/02/2024 11:00,,Escalated,P1,\nT-5,a.kim,01/02/2024 12:00,,Parked,P1,\n",
    )
    mapping = write(tmp_path, "map.toml", PLAIN_MAPPING)
    report = preview_mapping(mapping)
    # Every uncovered value in one problem (issue 13: one round of edits fixes the map).
    [problem] = [p for p in report.problems if p.blocking]
    assert (problem.column, problem.line) == ("State", 4)
    assert problem.message == (
        "2 distinct values are not in [tickets.values.status], so they have no status: "
        "'Escalated' (2 row(s), first on line 4), 'Parked' (1 row(s), first on line 6)"
    )
    assert problem.fix.startswith(f"add to [tickets.values.status] in {mapping}: ")
    assert '"Escalated" = … (one of [' in problem.fix and '; "Parked" = … (one of [' in problem.fix


def test_values_already_in_contract_spelling_need_no_value_map(tmp_path):
    # Only a column without a map: a mapped column must cover every value (test_mapping_values).
    write(tmp_path, "export.csv", PLAIN_EXPORT.replace("Done", "Solved").replace("Waiting", "Open"))
    mapping = write(
        tmp_path,
        "map.toml",
        PLAIN_MAPPING.replace(
            '[tickets.values.status]\n"Done" = "solved"\n"Waiting" = "pending"\n', ""
        ),
    )
    apply_mapping(mapping, tmp_path / "out")
    assert by_id(rows_of(tmp_path / "out" / "tickets.csv"))["T-2"]["status"] == "open"


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ('[tikets]\nfile = "a.csv"\n', r"line 1 \[tikets\]: \[tikets\] is not a contract table"),
        (
            '[tickets]\nfile = "a.csv"\n[tickets.columns]\nasignee = "x"\n',
            r"line 4 \[tickets.columns\]: 'asignee' is not a column",
        ),
        ('[tickets]\nfile = "a.csv"\nshape = "log"\n', r"line 3 \[tickets\]: unknown shape 'log'"),
        ('[tickets]\nfile = "a.csv"\nshape = "snapshot_log"\n', r"add updated_column"),
        ('timezone = "Mars/Olympus"\n[tickets]\nfile = "a.csv"\n', r"unknown time zone"),
        ('[tickets\nfile = "a.csv"\n', r"not valid TOML"),
    ],
)
def test_malformed_mapping_names_the_line_and_the_fix(tmp_path, body, match):
    mapping = write(tmp_path, "map.toml", body)
    with pytest.raises(SourceError, match=match):
        load_mapping(mapping)


def test_missing_export_file_points_at_the_file_line_of_the_mapping(tmp_path):
    mapping = write(tmp_path, "map.toml", '[levels]\nfile = "nowhere.csv"\n')
    [problem] = preview_mapping(mapping).problems
    assert (problem.line, "does not exist" in problem.message) == (2, True)


# -- all or nothing ----------------------------------------------------------------------------


def test_a_problem_in_one_table_writes_no_table_and_keeps_previous_files(tmp_path):
    write(tmp_path, "export.csv", PLAIN_EXPORT)
    write(tmp_path, "levels_export.csv", "engineer_id,level,effective_on\ne1,IC1,someday\n")
    mapping = write(
        tmp_path, "map.toml", PLAIN_MAPPING + '\n[levels]\nfile = "levels_export.csv"\n'
    )
    out = tmp_path / "out"
    out.mkdir()
    (out / "tickets.csv").write_text("previous good file\n")
    with pytest.raises(SourceError, match=r"levels_export.csv, line 2, column 'effective_on'"):
        apply_mapping(mapping, out)
    assert sorted(p.name for p in out.iterdir()) == ["tickets.csv"]
    assert (out / "tickets.csv").read_text() == "previous good file\n"


def test_preview_writes_nothing_and_shows_first_rows(tmp_path):
    write(tmp_path, "export.csv", PLAIN_EXPORT)
    mapping = write(tmp_path, "map.toml", PLAIN_MAPPING)
    before = sorted(tmp_path.rglob("*"))
    report = preview_mapping(mapping, rows=1)
    assert sorted(tmp_path.rglob("*")) == before
    assert [r["ticket_id"] for r in report.tables["tickets"].preview] == ["T-1"]
    assert report.tables["tickets"].rows_written == 2
    text = report.render()
    assert "T-1" in text and "No problems" not in text  # notes list unmapped contract columns


def test_mapped_source_returns_a_folder_of_contract_files(tmp_path):
    write(tmp_path, "export.csv", PLAIN_EXPORT)
    mapping = write(tmp_path, "map.toml", PLAIN_MAPPING)
    folder = mapped_source(mapping, tmp_path / "scratch")
    assert [p.name for p in folder.iterdir()] == ["tickets.csv"]


# -- the worked examples in docs/mappings ------------------------------------------------------

EXAMPLES = {
    "servicenow.toml": ["snapshot/incident_updates.csv"],
    "activity-log.toml": ["activity/case_events.csv"],
    "zendesk-csv.toml": ["examples/zendesk_tickets.csv"],
    "freshdesk.toml": ["examples/freshdesk_tickets.csv"],
    "intercom.toml": ["examples/intercom_conversations.csv"],
    "jira-service-management.toml": ["examples/jsm_issues.csv"],
    "hr-roster.toml": ["examples/hr_roster.csv", "examples/hr_job_history.csv"],
}


def test_every_worked_example_is_tested():
    assert sorted(EXAMPLES) == sorted(p.name for p in DOCS.glob("*.toml"))


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_worked_example_converts_its_sample_export_cleanly(tmp_path, example):
    shutil.copy(DOCS / example, tmp_path)
    for sample in EXAMPLES[example]:
        shutil.copy(FIXTURES / sample, tmp_path)
    report = apply_mapping(tmp_path / example, tmp_path / "out")
    assert report.ok, report.render()
    for result in report.tables.values():
        written = rows_of(tmp_path / "out" / f"{result.table}.csv")
        assert len(written) == result.rows_written > 0
        key = result.columns[0]
        assert all(row[key] for row in written)


def test_publishing_sweeps_scratch_left_by_a_killed_run_but_not_a_live_runs(tmp_path):
    import os

    from pipelines.importers.publish import publish

    dead = tmp_path / ".rungs-writing-999999999-abc"  # no such pid
    live = tmp_path / f".rungs-writing-{os.getpid()}-def"
    for folder in (dead, live):
        folder.mkdir()
        (folder / "engineers.csv").write_text("half a copy of people data\n")

    written = publish(tmp_path, {"levels.csv": lambda path: path.write_text("x\n")})

    assert written == [tmp_path / "levels.csv"]
    assert not dead.exists()
    assert (live / "engineers.csv").exists()
