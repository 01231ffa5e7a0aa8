"""The build: every bad input gets a clear answer, good rows still load, and the previous
warehouse survives anything that goes wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.errors import BuildFailed
from pipelines.load import build as build_module
from pipelines.load.build import build
from tests.pipeline_fixtures import (
    ENGINEERS,
    TICKET_HEADER,
    TICKETS,
    make_source,
    query,
    rejected,
    write_csv,
)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return make_source(tmp_path / "in")


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "out" / "warehouse.duckdb"


def ticket(**changes) -> list[str]:
    row = dict(zip(TICKET_HEADER, TICKETS[0], strict=True))
    row.update(changes)
    return [row[h] for h in TICKET_HEADER]


def build_with_tickets(source: Path, warehouse: Path, rows: list[list[str]]):
    write_csv(source / "tickets.csv", TICKET_HEADER, rows)
    return build(source, warehouse)


def test_valid_org_loads_every_row(source, warehouse):
    report = build(source, warehouse)
    assert report.rows_rejected == 0
    assert query(warehouse, "select count(*) from tickets") == [(5,)]
    assert query(warehouse, "select count(*) from engineers") == [(3,)]
    assert query(warehouse, "select build_id, status from builds") == [(report.build_id, "ok")]


def test_missing_required_column_fails_the_build_naming_file_and_column(source, warehouse):
    write_csv(source / "engineers.csv", ["engineer_id", "name", "teem"], [["E1", "Eli", "x"]])
    with pytest.raises(BuildFailed) as err:
        build(source, warehouse)
    message = str(err.value)
    assert "engineers.csv" in message
    assert "'team' (is 'teem' meant?)" in message
    assert "Fix:" in message
    assert not warehouse.exists()


def test_missing_required_file_says_which(source, warehouse):
    (source / "levels.csv").unlink()
    with pytest.raises(BuildFailed, match=r"levels\.csv: is missing and is required"):
        build(source, warehouse)


def test_empty_file_is_a_file_level_error(source, warehouse):
    (source / "tickets.csv").write_bytes(b"")
    with pytest.raises(BuildFailed, match=r"tickets\.csv: is empty"):
        build(source, warehouse)


def test_header_only_optional_file_loads_no_rows_without_error(source, warehouse):
    (source / "evidence.csv").write_text(
        "evidence_id,engineer_id,observed_on,category,level,kind,summary,link,source,recorded_by\n"
    )
    report = build(source, warehouse)
    assert query(warehouse, "select count(*) from evidence") == [(0,)]
    assert report.rows_rejected == 0


def test_no_ticket_and_no_monthly_report_fails_instead_of_presuming_everyone(source, warehouse):
    write_csv(source / "tickets.csv", TICKET_HEADER, [])
    with pytest.raises(BuildFailed, match="holds no ticket that loaded") as err:
        build(source, warehouse)
    assert "monthly_metrics.csv" in str(err.value)
    assert not warehouse.exists()


def test_every_ticket_rejected_fails_the_build_but_check_still_lists_why(source, warehouse):
    write_csv(source / "tickets.csv", TICKET_HEADER, [ticket(status="Escalated")])
    with pytest.raises(BuildFailed, match="holds no ticket that loaded"):
        build(source, warehouse)
    report = build(source, None)
    assert [r[5] for r in report.rejected_sample] == [
        "status 'escalated' is not allowed; use one of new, open, pending, hold, solved, closed"
    ]


def test_file_named_with_other_case_is_named_with_the_fix(source, warehouse):
    (source / "tickets.csv").rename(source / "Tickets.csv")
    with pytest.raises(BuildFailed, match=r"Tickets\.csv: is not named exactly") as err:
        build(source, warehouse)
    assert "rename it to tickets.csv" in str(err.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"PK\x03\x04" + b"\x00" * 100, "Excel workbook"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "binary data"),
        (b"%PDF-1.7\n", "is a PDF"),
        ("ticket_id,assignee_id\n".encode("utf-16"), "UTF-16"),
    ],
)
def test_a_file_that_is_not_csv_is_named_with_the_fix(source, warehouse, content, expected):
    (source / "tickets.csv").write_bytes(content)
    with pytest.raises(BuildFailed, match=expected) as err:
        build(source, warehouse)
    assert "tickets.csv" in str(err.value)
    assert "Fix:" in str(err.value)


def test_wrong_type_rejects_that_row_only_and_quotes_the_value(source, warehouse):
    report = build_with_tickets(
        source,
        warehouse,
        [
            ticket(ticket_id="A"),
            ticket(ticket_id="B", reopens="two"),
            ticket(ticket_id="C", created_at="yesterday"),
        ],
    )
    assert rejected(warehouse) == [
        ("tickets.csv", 3, "reopens", "reopens is not a whole number"),
        (
            "tickets.csv",
            4,
            "created_at",
            "created_at is not an ISO-8601 timestamp; write e.g. 2024-03-01T09:30:00Z",
        ),
    ]
    assert query(warehouse, "select ticket_id from tickets") == [("A",)]
    assert report.files[2].rows_rejected == 2


def test_unknown_engineer_is_rejected_but_unassigned_loads(source, warehouse):
    build_with_tickets(
        source,
        warehouse,
        [
            ticket(ticket_id="A", assignee_id="E404"),
            ticket(ticket_id="B", assignee_id=""),
        ],
    )
    assert rejected(warehouse) == [
        (
            "tickets.csv",
            2,
            "assignee_id",
            "unknown engineer E404: add them to engineers.csv or correct the id",
        ),
    ]
    assert query(warehouse, "select ticket_id, assignee_id from tickets") == [("B", None)]


def test_solved_before_created_is_rejected_with_the_column_to_fix(source, warehouse):
    build_with_tickets(
        source,
        warehouse,
        [
            ticket(created_at="2024-01-05T10:00:00Z", solved_at="2024-01-04T10:00:00Z"),
            ticket(ticket_id="GOOD"),
        ],
    )
    assert rejected(warehouse) == [
        (
            "tickets.csv",
            2,
            "solved_at",
            "solved_at is before created_at; export the latest solve time",
        ),
    ]


def test_future_dates_and_negative_values_are_rejected(source, warehouse):
    build_with_tickets(
        source,
        warehouse,
        [
            ticket(
                ticket_id="A", created_at="2099-01-01T00:00:00Z", solved_at="2099-01-02T00:00:00Z"
            ),
            ticket(ticket_id="B", reopens="-3"),
            ticket(ticket_id="GOOD"),
        ],
    )
    reasons = {(line, column): reason for _f, line, column, reason in rejected(warehouse)}
    assert reasons[(2, "created_at")].startswith("created_at is in the future")
    assert reasons[(3, "reopens")] == "reopens -3 is negative; it must be 0 or more"


def test_values_outside_the_contract_list_the_allowed_ones(source, warehouse):
    build_with_tickets(source, warehouse, [ticket(status="Escalated"), ticket(ticket_id="GOOD")])
    ((_, _, column, reason),) = rejected(warehouse)
    assert column == "status"
    assert reason == (
        "status 'escalated' is not allowed; use one of new, open, pending, hold, solved, closed"
    )


def test_booleans_accept_yes_no_and_one_zero(source, warehouse):
    build_with_tickets(
        source,
        warehouse,
        [
            ticket(ticket_id="A", sla_breached="yes"),
            ticket(ticket_id="B", sla_breached="0"),
            ticket(ticket_id="C", sla_breached="FALSE"),
            ticket(ticket_id="D", sla_breached="perhaps"),
        ],
    )
    assert query(warehouse, "select ticket_id, sla_breached from tickets order by 1") == [
        ("A", True),
        ("B", False),
        ("C", False),
    ]
    assert rejected(warehouse)[0][1:3] == (5, "sla_breached")


def test_mixed_time_zones_land_in_utc(source, warehouse, tmp_path):
    framework = tmp_path / "framework.toml"
    text = (
        Path("data/framework.toml")
        .read_text()
        .replace('timezone = "UTC"', 'timezone = "Europe/Berlin"')
    )
    framework.write_text(text)
    write_csv(
        source / "tickets.csv",
        TICKET_HEADER,
        [
            ticket(ticket_id="Z", created_at="2024-01-02T09:00:00Z"),
            ticket(ticket_id="O", created_at="2024-01-02T09:00:00+02:00"),
            ticket(ticket_id="N", created_at="2024-01-02 09:00:00"),  # Berlin is UTC+1 in winter
        ],
    )
    build(source, warehouse, framework)
    rows = query(
        warehouse,
        "select ticket_id, strftime(timezone('UTC', created_at), '%H:%M') from tickets order by 1",
    )
    assert rows == [("N", "08:00"), ("O", "07:00"), ("Z", "09:00")]


def test_repeated_ticket_keeps_newest_and_rejects_ties(source, warehouse):
    report = build_with_tickets(
        source,
        warehouse,
        [
            ticket(ticket_id="A", status="open", solved_at="", updated_at="2024-01-02T10:00:00Z"),
            ticket(ticket_id="A", status="solved", updated_at="2024-01-03T10:00:00Z"),
            ticket(ticket_id="B", updated_at="2024-01-03T10:00:00Z"),
            ticket(ticket_id="B", updated_at="2024-01-03T10:00:00Z"),
        ],
    )
    assert query(warehouse, "select ticket_id, status, source_line from tickets") == [
        ("A", "solved", 3)
    ]
    assert [(line, col) for _f, line, col, _r in rejected(warehouse)] == [
        (4, "ticket_id"),
        (5, "ticket_id"),
    ]
    assert any("older version" in note for note in report.notes)


def test_duplicate_engineer_ids_are_rejected(source, warehouse):
    rows = (
        source / "engineers.csv"
    ).read_text() + "E1,Eli Again,eli2@example.com,Core,EMEA,M1,2023-01-09,false,,\n"
    (source / "engineers.csv").write_text(rows)
    build(source, warehouse)
    dupes = [r for r in rejected(warehouse) if r[0] == "engineers.csv"]
    assert [(line, column) for _f, line, column, _r in dupes] == [
        (3, "engineer_id"),
        (5, "engineer_id"),
    ]
    assert "appears more than once" in dupes[0][3]


def test_formula_cells_are_kept_as_inert_text(source, warehouse):
    formula = '=HYPERLINK("http://evil.example","click")'
    people = [dict(p, name=formula) if p["engineer_id"] == "E1" else p for p in ENGINEERS]
    write_csv(source / "engineers.csv", list(ENGINEERS[0]), people)
    build(source, warehouse)
    assert query(warehouse, "select name from engineers where engineer_id = 'E1'") == [(formula,)]


def test_undecodable_bytes_fail_the_file_naming_the_lines_and_the_fix(source, warehouse):
    build(source, warehouse)
    before = query(warehouse, "select build_id from builds")
    people = (source / "engineers.csv").read_text().replace("Eli Park", "Eli Paré")
    (source / "engineers.csv").write_bytes(people.encode("latin-1"))
    with pytest.raises(BuildFailed) as err:
        build(source, warehouse)
    message = str(err.value)
    assert "engineers.csv: is not UTF-8 text (row 3:" in message
    assert "re-save the file as 'CSV UTF-8'" in message
    assert query(warehouse, "select build_id from builds") == before


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"ticket_id,assignee_id,ticket_id\r1,E1,1\r", "lone carriage return"),
        (b"ticket_id,assignee_id,assignee_id\n1,E1,E1\n", "'assignee_id' twice"),
    ],
)
def test_unreadable_layouts_are_file_problems_not_tracebacks(source, warehouse, content, expected):
    (source / "tickets.csv").write_bytes(content)
    with pytest.raises(BuildFailed, match=expected) as err:
        build(source, warehouse)
    assert "tickets.csv" in str(err.value) and "Fix:" in str(err.value)


def test_future_updated_at_is_rejected_so_it_cannot_move_the_as_of_month(source, warehouse):
    report = build_with_tickets(
        source,
        warehouse,
        [
            ticket(ticket_id="A", updated_at="2099-01-10T11:00:00Z"),
            ticket(ticket_id="B"),
        ],
    )
    assert rejected(warehouse)[0][1:3] == (2, "updated_at")
    assert report.as_of_month == "2023-12"


def test_bad_as_of_is_refused_before_any_file_is_read(tmp_path, warehouse):
    with pytest.raises(BuildFailed, match="'2024-1x' is not a month"):
        build(tmp_path / "not-even-there", warehouse, as_of="2024-1x")


def test_short_line_is_rejected_and_later_lines_keep_their_numbers(source, warehouse):
    lines = [
        ",".join(TICKET_HEADER),
        ",".join(ticket(ticket_id="A")),
        "B,E1",
        ",".join(ticket(ticket_id="C", reopens="x")),
    ]
    (source / "tickets.csv").write_text("\n".join(lines) + "\n")
    build(source, warehouse)
    assert [(line, reason.split(";")[0]) for _f, line, _c, reason in rejected(warehouse)] == [
        (3, "line has fewer fields than the header"),
        (4, "reopens is not a whole number"),
    ]


def test_blank_lines_and_multi_line_cells_keep_physical_line_numbers(source, warehouse):
    evidence = (
        "evidence_id,engineer_id,observed_on,category,level,kind,summary\n"  # line 1
        'V1,E1,2024-01-05,Impact,IC2,example,"Wrote the runbook\nand the FAQ"\n'  # lines 2-3
        "\n"  # line 4, blank
        "V2,E1,2024-01-06,Impact,IC9,example,Led the review\n"  # line 5
        "V3,E1,2024-01-07,Scope,IC2,example,A,B,C\n"  # line 6, too many fields
        "V4,E1,2024-01-08,Scope,IC2,example,Took the queue\n"  # line 7
    )
    (source / "evidence.csv").write_text(evidence)
    build(source, warehouse)
    assert [(f, line, col) for f, line, col, _r in rejected(warehouse)] == [
        ("evidence.csv", 5, "level"),
        ("evidence.csv", 6, None),
    ]
    assert query(warehouse, "select evidence_id, source_line from evidence order by 1") == [
        ("V1", 2),
        ("V4", 7),
    ]


def test_extra_columns_are_ignored_and_reported(source, warehouse):
    write_csv(source / "tickets.csv", [*TICKET_HEADER, "tags"], [[*TICKETS[0], "vip"]])
    report = build(source, warehouse)
    assert report.files[2].extra_columns == ["tags"]
    assert any("ignored extra column(s) tags" in note for note in report.notes)


def test_parquet_tickets_load_like_csv(source, warehouse):
    with duckdb.connect() as con:
        con.execute(
            "copy (select * from read_csv($p, all_varchar = true)) to $o (format parquet)",
            {"p": str(source / "tickets.csv"), "o": str(source / "tickets.parquet")},
        )
    (source / "tickets.csv").unlink()
    build(source, warehouse)
    assert query(warehouse, "select count(*), min(source_line) from tickets") == [(5, 1)]


def test_check_only_writes_nothing(source, tmp_path):
    report = build(source, None)
    assert report.warehouse is None
    assert report.rows_loaded > 0
    assert list(tmp_path.glob("**/*.duckdb")) == []


def test_failed_build_leaves_previous_warehouse_readable(source, warehouse):
    first = build(source, warehouse)
    (source / "engineers.csv").write_bytes(b"")
    with pytest.raises(BuildFailed):
        build(source, warehouse)
    assert query(warehouse, "select build_id from builds") == [(first.build_id,)]
    assert [p.name for p in warehouse.parent.iterdir()] == [warehouse.name]


def test_crash_mid_build_leaves_previous_warehouse_and_no_scratch(source, warehouse, monkeypatch):
    first = build(source, warehouse)

    def explode(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(build_module, "run_model", explode)
    with pytest.raises(BuildFailed, match="No space left on device") as err:
        build(source, warehouse)
    assert "nothing was changed" in str(err.value)
    assert query(warehouse, "select build_id from builds") == [(first.build_id,)]
    assert [p.name for p in warehouse.parent.iterdir()] == [warehouse.name]


def test_warehouse_open_for_reading_is_replaced_on_rebuild(source, warehouse):
    build(source, warehouse)
    reader = duckdb.connect(str(warehouse), read_only=True)
    try:
        second = build(source, warehouse)
    finally:
        reader.close()
    assert query(warehouse, "select build_id from builds") == [(second.build_id,)]


def test_build_records_files_hashes_and_counts(source, warehouse):
    report = build(source, warehouse)
    rows = query(
        warehouse,
        "select table_name, file, length(sha256), rows_loaded "
        "from build_files where file is not null order by table_name",
    )
    assert rows == [
        ("engineers", "engineers.csv", 64, 3),
        ("levels", "levels.csv", 64, 2),
        ("tickets", "tickets.csv", 64, 5),
    ]
    assert report.duration_s >= 0


def test_source_folder_missing_is_explained(tmp_path, warehouse):
    with pytest.raises(BuildFailed, match="source folder not found"):
        build(tmp_path / "nowhere", warehouse)


def test_copy_of_source_builds_identically(source, tmp_path):
    """Two builds of the same files give the same tables (the build is deterministic)."""
    other = shutil.copytree(source, tmp_path / "copy")
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    build(source, a)
    build(other, b)
    sql = "select * from engineer_months order by engineer_id, month"
    assert query(a, sql) == query(b, sql)


def test_building_leaves_the_contract_models_as_declared(source, warehouse):
    """The build validates with a trimmed copy of each schema; the models themselves (what
    users and the data dictionary see) keep coercion and every column."""
    from pipelines.schemas import TicketSchema

    build(source, warehouse)
    schema = TicketSchema.to_schema()
    assert schema.coerce
    assert "assignee_id" in schema.columns
