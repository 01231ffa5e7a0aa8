"""An export that is not CSV text, or not UTF-8, is named for what it is with the fix; a build
refused for rejected rows says why the first one was rejected."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from tests.pipeline_fixtures import TICKET_HEADER, TICKETS, make_source, write_csv

MAPPING = """[tickets]
file = "export.csv"

[tickets.columns]
ticket_id = "Ticket"
assignee_id = "Agent"
created_at = "Opened"
status = "State"
"""


def run(*args) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


def check_export(tmp_path: Path, content: bytes, mapping: str = MAPPING) -> object:
    """`check` of a mapping whose tickets export holds `content`, with a valid roster."""
    (tmp_path / "export.csv").write_bytes(content)
    (tmp_path / "map.toml").write_text(mapping, encoding="utf-8")
    roster = make_source(tmp_path / "roster")
    (roster / "tickets.csv").unlink()
    return run("check", "--mapping", tmp_path / "map.toml", "--source", roster, "--no-journal")


def problem_lines(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.strip().startswith("- ")]


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (
            b"PK\x03\x04\x14\x00\x06\x00",
            "is a zip archive or an Excel workbook, not a CSV. "
            "Fix: open it and save or export the sheet as 'CSV UTF-8'",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            "is an old Excel (.xls) workbook, not a CSV. "
            "Fix: open it and save the sheet as 'CSV UTF-8'",
        ),
        (
            b"%PDF-1.7\n",
            "is a PDF, not a CSV. Fix: export the report from the helpdesk as CSV",
        ),
        (
            "Ticket,Agent\nT-1,E1\n".encode("utf-16"),
            "is UTF-16 encoded. Fix: re-save it as 'CSV UTF-8'",
        ),
        (
            b"",
            "is empty (0 bytes). Fix: export it again with a header row and data rows",
        ),
    ],
    ids=["xlsx", "xls", "pdf", "utf16", "empty"],
)
def test_an_export_that_is_not_csv_text_says_what_it_is(tmp_path, content, said):
    result = check_export(tmp_path, content)
    assert result.exit_code == 2
    shown = tmp_path / "export.csv"
    assert problem_lines(result.output) == [f"- {shown}: {said}"]
    assert "header but no rows" not in result.output


LATIN1 = (
    "Ticket,Agent,Opened,State\n"
    "T-1,E1,2024-01-02T09:00:00Z,solved\n"
    "T-2,E2,2024-01-03T09:00:00Z,Résolu\n"
)


def test_a_latin1_export_gets_the_encoding_line_for_its_own_mapping(tmp_path):
    result = check_export(tmp_path, LATIN1.encode("latin-1"))
    assert result.exit_code == 2
    mapping = tmp_path / "map.toml"
    assert problem_lines(result.output) == [
        f"- {tmp_path / 'export.csv'}, line 3: the text on this line is not UTF-8. "
        f'Fix: add the line encoding = "latin-1" under [tickets] in {mapping} '
        "(or re-save the export as 'CSV UTF-8')"
    ]
    assert "CSV Error" not in result.output


def test_the_suggested_encoding_line_reads_the_export(tmp_path):
    mapping = MAPPING.replace(
        'file = "export.csv"\n', 'file = "export.csv"\nencoding = "latin-1"\n'
    )
    mapping += '\n[tickets.values.status]\n"solved" = "solved"\n"Résolu" = "solved"\n'
    result = check_export(tmp_path, LATIN1.encode("latin-1"), mapping)
    assert "not UTF-8" not in result.output
    assert "2 source rows -> 2 tickets rows" in result.output


def lower_cased_source(tmp_path: Path) -> Path:
    """Every ticket names its engineer in lower case ("e1"), the roster in upper case."""
    tickets = [[row[0], row[1].lower(), *row[2:]] for row in TICKETS]
    source = make_source(tmp_path / "in")
    write_csv(source / "tickets.csv", TICKET_HEADER, tickets)
    return source


def test_a_refused_build_says_why_its_first_row_was_rejected(tmp_path):
    source = lower_cased_source(tmp_path)
    warehouse = tmp_path / "w.duckdb"
    result = run("build", "--source", source, "--warehouse", warehouse, "--quiet", "--no-journal")
    assert result.exit_code == 1
    # A plain source's files are named as the build names them: by file name.
    assert (
        "tickets.csv: 4 of 5 rows rejected (80%, more than the 10% allowed); nothing was "
        "written. Fix: check tickets.csv line 2 (first rejected row: unknown engineer e1: add "
        "them to engineers.csv or correct the id; did you mean E1 in engineers.csv?) or rerun "
        "with --accept-drop" in result.output
    )
    assert not warehouse.exists()


def test_a_refused_refresh_says_the_same(tmp_path):
    source = lower_cased_source(tmp_path)
    warehouse = tmp_path / "w.duckdb"
    result = run("refresh", "--source", source, "--warehouse", warehouse, "--no-journal")
    assert result.exit_code == 1
    assert (
        "Fix: check tickets.csv line 2 (first rejected row: unknown engineer e1: add them to "
        "engineers.csv or correct the id; did you mean E1 in engineers.csv?)" in result.output
    )
