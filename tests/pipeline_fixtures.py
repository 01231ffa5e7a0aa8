"""Tiny, readable input folders for pipeline tests: a valid org that each test then breaks."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

ENGINEERS = [
    {
        "engineer_id": "M1",
        "name": "Mara Lead",
        "email": "mara@example.com",
        "team": "Core",
        "region": "EMEA",
        "manager_id": "",
        "hire_date": "2020-01-06",
        "team_lead": "false",
        "left_on": "",
        "onboarded_on": "",
    },
    {
        "engineer_id": "E1",
        "name": "Eli Park",
        "email": "eli@example.com",
        "team": "Core",
        "region": "EMEA",
        "manager_id": "M1",
        "hire_date": "2023-01-09",
        "team_lead": "false",
        "left_on": "",
        "onboarded_on": "",
    },
    {
        "engineer_id": "E2",
        "name": "Noor Vance",
        "email": "noor@example.com",
        "team": "Core",
        "region": "EMEA",
        "manager_id": "M1",
        "hire_date": "2023-03-01",
        "team_lead": "yes",
        "left_on": "",
        "onboarded_on": "",
    },
]
LEVELS = [
    {"engineer_id": "E1", "level": "IC2", "effective_on": "2023-01-09"},
    {"engineer_id": "E2", "level": "IC3", "effective_on": "2023-03-01"},
]
TICKET_HEADER = [
    "ticket_id",
    "assignee_id",
    "created_at",
    "solved_at",
    "status",
    "priority",
    "sla_breached",
    "csat",
    "reopens",
    "updated_at",
]
TICKETS = [
    [
        "T1",
        "E1",
        "2024-01-02T09:00:00Z",
        "2024-01-02T19:00:00Z",
        "solved",
        "high",
        "false",
        "good",
        "0",
        "2024-01-02T19:00:00Z",
    ],
    [
        "T2",
        "E1",
        "2024-01-03T09:00:00Z",
        "2024-01-04T15:00:00Z",
        "closed",
        "normal",
        "true",
        "bad",
        "1",
        "2024-01-04T15:00:00Z",
    ],
    [
        "T3",
        "E2",
        "2024-01-10T09:00:00Z",
        "2024-01-10T11:00:00Z",
        "solved",
        "low",
        "false",
        "",
        "0",
        "2024-01-10T11:00:00Z",
    ],
    ["T4", "", "2024-01-11T09:00:00Z", "2024-01-11T10:00:00Z", "solved", "", "", "", "0", ""],
    ["T5", "E1", "2024-02-01T09:00:00Z", "", "open", "urgent", "", "", "0", "2024-02-01T09:00:00Z"],
]


def write_csv(path: Path, header: list[str], rows: list) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row[h] for h in header] if isinstance(row, dict) else row)
    return path


def make_source(folder: Path, tickets: list | None = None) -> Path:
    """A valid three-person org: a manager, an IC2 and an IC3 team lead, five tickets."""
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "engineers.csv", list(ENGINEERS[0]), ENGINEERS)
    write_csv(folder / "levels.csv", list(LEVELS[0]), LEVELS)
    write_csv(folder / "tickets.csv", TICKET_HEADER, TICKETS if tickets is None else tickets)
    return folder


def rejected(warehouse: Path) -> list[tuple]:
    """(file, line, column, reason) of every rejected row, in file and line order."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            'select file, line, "column", reason from rejected_rows order by file, line, "column"'
        ).fetchall()


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()
