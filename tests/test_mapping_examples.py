"""Golden end-to-end runs of the worked examples in docs/mappings.

Each example runs unchanged against a small export written in its product's own shape (column
names, date layout, boolean and null spelling: see tests/fixtures/mapping/examples/<example>/
and docs/mappings/README.md), through `python -m pipelines build --mapping`, into a warehouse.
The expected figures are worked out by hand from the fixture; the comments say how.

The only addition to a mapping is what its README tells a user to add: a ticket mapping names
no roster, so `[engineers]` and `[levels]` sections point at roster files already in contract
spelling (and the HR example gets a contract `tickets.csv` the same way).
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from pipelines.cli import app

DOCS = Path(__file__).parent.parent / "docs" / "mappings"
FIXTURES = Path(__file__).parent / "fixtures" / "mapping" / "examples"
# The fixtures are a handful of rows, so one rejected row is more than the default 10% share
# the shrink guard allows; the guard is tested elsewhere (tests/test_build_safety.py).
MAX_REJECTED = "0.5"


def build_example(tmp_path: Path, example: str) -> Path:
    """Copy the example mapping next to its fixture export, build from it with the CLI and
    return the warehouse."""
    work = tmp_path / example
    shutil.copytree(FIXTURES / example, work)
    text = (DOCS / f"{example}.toml").read_text(encoding="utf-8")
    mapped = tomllib.loads(text)
    for table in ("engineers", "levels", "tickets"):
        if table not in mapped and (work / f"{table}.csv").is_file():
            text += f'\n[{table}]\nfile = "{table}.csv"\n'
    mapping = work / f"{example}.toml"
    mapping.write_text(text, encoding="utf-8")
    warehouse = tmp_path / "warehouse.duckdb"
    result = CliRunner().invoke(
        app,
        [
            "build",
            "--mapping",
            str(mapping),
            "--warehouse",
            str(warehouse),
            "--no-journal",
            "--quiet",
            "--max-rejected",
            MAX_REJECTED,
        ],
    )
    assert result.exit_code == 0, result.output
    return warehouse


def rows(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def tickets_per_engineer(warehouse: Path) -> dict[str | None, int]:
    return dict(rows(warehouse, "select assignee_id, count(*) from tickets group by all"))


def month_figures(warehouse: Path) -> dict[tuple[str, str], tuple]:
    """(engineer, YYYY-MM) -> (solved, SLA met, SLA breached, median open hours, csat good,
    csat bad) for every engineer-month of the warehouse."""
    found = rows(
        warehouse,
        "select engineer_id, strftime(month, '%Y-%m'), tickets_solved, sla_met, sla_breached, "
        "round(median_open_hours, 3), csat_good, csat_bad from engineer_months",
    )
    return {(e, m): tuple(rest) for e, m, *rest in found}


def rejected(warehouse: Path) -> list[tuple]:
    """(table, export file name, line, column, value, reason) of every rejected row."""
    found = rows(
        warehouse,
        'select table_name, file, line, "column", value, reason from rejected_rows '
        "order by table_name, line",
    )
    return [(t, Path(f).name, line, c, v, r) for t, f, line, c, v, r in found]


def loaded_files(warehouse: Path) -> dict[str, str]:
    """table -> the file name the build records having read for it."""
    found = rows(warehouse, "select table_name, file from build_files where file is not null")
    return {table: Path(file).name for table, file in found}


def test_every_worked_example_has_a_fixture_and_a_golden_test():
    examples = sorted(p.stem for p in DOCS.glob("*.toml"))
    assert examples == sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
    tests = {name for name in globals() if name.startswith("test_")}
    for example in examples:
        assert f"test_{example.replace('-', '_')}_golden" in tests


def test_servicenow_golden(tmp_path):
    # One row per update; the newest row of each incident counts. Upper-case TRUE/FALSE in
    # made_sla (met, not breached), dd-mm-yyyy times in America/Chicago (UTC-6 in January).
    warehouse = build_example(tmp_path, "servicenow")
    # INC0020004 was closed without resolved_at: solved_at falls back to closed_at.
    assert tickets_per_engineer(warehouse) == {"rosa.mendes": 3, "tariq.olsen": 2}
    assert month_figures(warehouse) == {
        # INC..01 4h (made SLA), INC..02 24h (missed; its later Closed row keeps resolved_at),
        # INC..03 6h (made): median 6.
        ("rosa.mendes", "2024-01"): (3, 2, 1, 6.0, 0, 0),
        # INC..04 opened 11-01 12:00, closed 12-01 12:00, missed SLA; INC..05 is on hold.
        ("tariq.olsen", "2024-01"): (1, 0, 1, 24.0, 0, 0),
    }
    # The monitoring integration's user is no engineer: its incident, last updated on line 16.
    [row] = rejected(warehouse)
    assert row[:5] == ("tickets", "incident_updates.csv", 16, "assignee_id", "svc.monitoring")
    assert "svc.monitoring" in row[5] and "engineers.csv" in row[5]
    assert loaded_files(warehouse)["tickets"] == "incident_updates.csv"


def test_activity_log_golden(tmp_path):
    # A process-mining CSV (yyyy/mm/dd hh:mm:ss.SSS, Europe/Amsterdam, UTC+1 in early March).
    warehouse = build_example(tmp_path, "activity-log")
    # C-3002 was reopened and solved last by res-23, so it is res-23's; C-3004 is open with
    # res-23; C-3005's rows are out of time order in the file.
    assert tickets_per_engineer(warehouse) == {"res-11": 2, "res-23": 3}
    assert rows(warehouse, "select ticket_id, reopens from tickets where ticket_id = 'C-3002'") == [
        ("C-3002", 1)
    ]
    assert month_figures(warehouse) == {
        # C-3001 6h (Satisfied), C-3003 2h (Neutral: neither): median 4.
        ("res-11", "2024-03"): (2, 0, 0, 4.0, 1, 0),
        # C-3002 24h from creation to the last Resolve (Dissatisfied), C-3005 4h: median 14.
        ("res-23", "2024-03"): (2, 0, 0, 14.0, 0, 1),
    }
    # C-3006 never left the dispatch queue, and a queue is no engineer: its latest activity,
    # the one that names the holder, is on line 17.
    [row] = rejected(warehouse)
    assert row[:5] == ("tickets", "case_events.csv", 17, "assignee_id", "dispatch")
    assert "dispatch" in row[5] and "engineers.csv" in row[5]


def test_freshdesk_golden(tmp_path):
    # Freshdesk's export: agent names, yyyy-mm-dd hh:mm:ss in the helpdesk zone (Asia/Kolkata),
    # "Within SLA"/"SLA Violated", the three-point survey, empty cells for no value.
    warehouse = build_example(tmp_path, "freshdesk")
    assert tickets_per_engineer(warehouse) == {"Priya Nair": 3, "Tomas Varga": 2, None: 1}
    assert month_figures(warehouse) == {
        # 51001 3h (within, Awesome), 51002 24h (violated, Not Good), 51003 5h (within,
        # Neutral): median 5.
        ("Priya Nair", "2024-03"): (3, 2, 1, 5.0, 1, 1),
        # 51004 1h within SLA, no survey; 51005 waits on the customer.
        ("Tomas Varga", "2024-03"): (1, 1, 0, 1.0, 0, 0),
    }
    # Ticket 51007 (line 8) is held by an agent who is not on the roster.
    [row] = rejected(warehouse)
    assert row[:5] == ("tickets", "freshdesk_tickets.csv", 8, "assignee_id", "Ishaan Rao")
    assert "Ishaan Rao" in row[5] and "engineers.csv" in row[5]
    assert loaded_files(warehouse)["tickets"] == "freshdesk_tickets.csv"


def test_intercom_golden(tmp_path):
    # Intercom's conversation export: times with a literal " UTC", ratings 1-5, states
    # open/closed/snoozed, no SLA column.
    warehouse = build_example(tmp_path, "intercom")
    assert tickets_per_engineer(warehouse) == {"7710001": 3, "7710002": 3, None: 1}
    assert month_figures(warehouse) == {
        # 300001 1.5h (5: good), 300002 24h (2: bad), 300003 3h (3: neither): median 3.
        ("7710001", "2024-04"): (3, 0, 0, 3.0, 1, 1),
        # 300004 2h; 300005 was closed once but is open again, so it does not count.
        ("7710002", "2024-04"): (1, 0, 0, 2.0, 0, 0),
    }
    assert rejected(warehouse) == []


def test_jira_service_management_golden(tmp_path):
    # Jira's "CSV (all fields)": dd/Mon/yy h:mm AM/PM in the exporting user's zone
    # (Europe/Lisbon, UTC+1 in May), Yes/No for the breach field, 1-5 satisfaction.
    warehouse = build_example(tmp_path, "jira-service-management")
    maya, jonas = "5c7e2a9b41d0f3006a8e1b24", "60a3f1c2d9e8b70069c4d512"
    assert tickets_per_engineer(warehouse) == {maya: 3, jonas: 3, None: 1}
    assert month_figures(warehouse) == {
        # SUP-401 4h (No, 5), SUP-402 24h (Yes, 2), SUP-403 2.5h (No, unrated): median 4.
        (maya, "2024-05"): (3, 2, 1, 4.0, 1, 1),
        # SUP-404 45 min (No, 4); SUP-407 canceled after 30 min with no SLA answer, so it
        # counts as solved but in neither SLA column: median 0.625h.
        (jonas, "2024-05"): (2, 1, 0, 0.625, 1, 0),
    }
    assert rejected(warehouse) == []


def test_zendesk_csv_golden(tmp_path):
    # Zendesk's ticket CSV: times with their +0100 offset, "-" for no value, capitalised
    # status, priority and score. It has no SLA results, so both SLA columns stay 0.
    warehouse = build_example(tmp_path, "zendesk-csv")
    assert tickets_per_engineer(warehouse) == {"9101": 3, "9102": 2, None: 1}
    assert month_figures(warehouse) == {
        # 4201 2h (Good), 4202 30h (Bad with Comment), 4203 10h (Offered): median 10.
        ("9101", "2024-02"): (3, 0, 0, 10.0, 1, 1),
        # 4204 1.5h (Good with Comment); 4205 is pending.
        ("9102", "2024-02"): (1, 0, 0, 1.5, 1, 0),
    }
    assert rejected(warehouse) == []


def test_hr_roster_golden(tmp_path):
    # An HR roster and job history: mm/dd/yyyy dates, Yes/No for people leaders, empty
    # termination dates.
    warehouse = build_example(tmp_path, "hr-roster")
    assert rows(
        warehouse,
        "select engineer_id, team, manager_id, team_lead, strftime(left_on, '%Y-%m-%d') "
        "from engineers order by engineer_id",
    ) == [
        ("9301", "Support Leads", None, True, None),
        ("9302", "Tier 1", "9301", False, None),
        ("9303", "Tier 2", "9301", False, None),
        ("9304", "Tier 1", "9301", False, "2024-03-29"),
    ]
    assert rows(
        warehouse,
        "select engineer_id, string_agg(level, ' > ' order by effective_on) from levels "
        "group by all order by 1",
    ) == [
        ("9301", "IC2 > IC3 > IC4"),
        ("9302", "IC1 > IC2"),
        ("9303", "IC1"),
        ("9304", "IC1"),
    ]
    assert month_figures(warehouse) == {
        ("9301", "2024-03"): (0, 0, 0, None, 0, 0),
        # H-1 4h (met, good), H-2 2h (breached): median 3.
        ("9302", "2024-03"): (2, 1, 1, 3.0, 1, 0),
        ("9303", "2024-03"): (0, 0, 0, None, 0, 0),
        ("9304", "2024-03"): (1, 1, 0, 6.0, 0, 0),
    }
    # The job history names someone the roster report left out (line 9).
    [row] = rejected(warehouse)
    assert row[:5] == ("levels", "hr_job_history.csv", 9, "engineer_id", "9399")
    assert "9399" in row[5]
    assert loaded_files(warehouse)["engineers"] == "hr_roster.csv"
