"""Bad input is answered, never absorbed (issue 9, cases 1, 2, 7 and 8): a file the reader
cannot split stops the build with its line; a rejected engineer takes the rows that refer to
them along under that one cause; odd values are rejected with a reason; local times at a clock
change follow one rule; and an input must be a regular file inside the source folder. Every
good row still loads, and a build that stops leaves the previous warehouse as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines.errors import BuildFailed
from pipelines.load.build import build
from tests.pipeline_fixtures import (
    ENGINEERS,
    LEVELS,
    TICKET_HEADER,
    TICKETS,
    make_source,
    query,
    rejected,
    write_csv,
)

ENGINEER_HEADER = list(ENGINEERS[0])


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return make_source(tmp_path / "in")


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "out" / "warehouse.duckdb"


@pytest.fixture
def previous(source: Path, warehouse: Path) -> str:
    """A good build already in place: the build_id a failed build must leave there."""
    return build(source, warehouse).build_id


def build_id_of(warehouse: Path) -> list[tuple]:
    return query(warehouse, "select build_id from builds")


def ticket(**changes) -> list[str]:
    row = dict(zip(TICKET_HEADER, TICKETS[0], strict=True))
    row.update(changes)
    return [row[h] for h in TICKET_HEADER]


def engineers_with(**e1_changes) -> list[dict]:
    return [dict(p, **e1_changes) if p["engineer_id"] == "E1" else p for p in ENGINEERS]


def fails_leaving(previous: str, warehouse: Path, source: Path) -> str:
    """The message of a build that must fail, after checking it left the old warehouse."""
    with pytest.raises(BuildFailed) as err:
        build(source, warehouse)
    assert build_id_of(warehouse) == [(previous,)]
    assert query(warehouse, "select count(*) from engineers") == [(3,)]
    return str(err.value)


# Case 1: one stray quote -------------------------------------------------------------------


def test_stray_quote_in_engineers_stops_the_build_at_its_line_instead_of_a_smaller_org(
    source, warehouse, previous
):
    text = (source / "engineers.csv").read_text().splitlines()
    text[2] = text[2].replace("E1,Eli Park,", 'E1,"Eli Park,')
    (source / "engineers.csv").write_text("\n".join(text) + "\n")
    message = fails_leaving(previous, warehouse, source)
    assert "engineers.csv: has a quote on line 3 that does not close" in message
    assert "'E1,\"Eli Park,eli@example.com" in message  # the offending line, and only it
    assert "Noor Vance" not in message
    assert "Fix: close the quote on line 3 or remove it" in message


def test_stray_quote_in_a_big_tickets_file_names_its_line_not_a_field_limit(
    source, warehouse, previous
):
    # More than 128 KiB after the quote: the old walk of the file died on csv's field limit.
    rows = [ticket(ticket_id=f"T{n}", assignee_id="E2") for n in range(3000)]
    path = write_csv(source / "tickets.csv", TICKET_HEADER, rows)
    path.write_text(path.read_text().replace("\nT4,", '\n"T4,', 1))
    message = fails_leaving(previous, warehouse, source)
    assert "tickets.csv: has a quote on line 6 that does not close" in message
    assert "Fix: close the quote on line 6 or remove it" in message
    assert "field limit" not in message


# Case 2: a rejected engineer and what refers to them ----------------------------------------


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("E1 ", "engineer_id 'E1 ' ends with a space"),
        (" E1", "engineer_id ' E1' starts with a space"),
        ("E\u200b1", r"engineer_id 'E\u200b1' has an invisible zero width space (U+200B) at"),
        ("E1\x07", r"engineer_id 'E1\x07' has a control character (U+0007) at character 3"),
    ],
)
def test_invisible_characters_in_an_engineer_id_are_named_and_blamed_for_what_follows(
    source, warehouse, written, reason
):
    write_csv(source / "engineers.csv", ENGINEER_HEADER, engineers_with(engineer_id=written))
    report = build(source, warehouse)
    rows = rejected(warehouse)
    assert rows[0][:3] == ("engineers.csv", 3, "engineer_id")
    assert rows[0][3].startswith(reason)
    assert "remove it so the id matches the other files" in rows[0][3]
    follow = [r for r in rows if r[0] != "engineers.csv"]
    assert [(f, line) for f, line, _c, _r in follow] == [
        ("levels.csv", 2),
        ("tickets.csv", 2),
        ("tickets.csv", 3),
        ("tickets.csv", 6),
    ]
    for _file, _line, _column, why in follow:
        assert why.startswith("engineer E1 was rejected at engineers.csv line 3 (" + reason)
        assert why.endswith("; fix that row")
        assert "unknown engineer" not in why
    # Counted once, under the row to fix, before any other note.
    assert report.notes[0].startswith(f"engineers.csv line 3 was rejected ({reason}")
    assert "4 row(s) of other files with it (3 in tickets.csv, 1 in levels.csv)" in report.notes[0]
    assert report.rejected_sample[0][:3] == ("engineers", "engineers.csv", 3)
    # Every good row still loads; nothing was trimmed into another id.
    assert query(warehouse, "select engineer_id from engineers order by 1") == [("E2",), ("M1",)]
    assert query(warehouse, "select ticket_id from tickets order by 1") == [("T3",), ("T4",)]
    causes = query(warehouse, "select distinct caused_by from rejected_rows order by 1")
    assert causes == [("engineers.csv line 3",), (None,)]


def test_a_repeated_engineer_id_sends_its_tickets_to_both_lines(source, warehouse):
    again = dict(ENGINEERS[1], name="Eli Again", email="eli2@example.com")
    write_csv(source / "engineers.csv", ENGINEER_HEADER, [*ENGINEERS, again])
    build(source, warehouse)
    tickets = [r for r in rejected(warehouse) if r[0] == "tickets.csv"]
    assert len(tickets) == 3
    assert tickets[0][3].startswith(
        "engineer E1 was rejected at engineers.csv lines 3, 5 (engineer_id 'E1' appears more "
        "than once"
    )


def test_a_bad_hire_date_is_the_reason_given_for_the_tickets(source, warehouse):
    write_csv(source / "engineers.csv", ENGINEER_HEADER, engineers_with(hire_date="09/01/2023"))
    build(source, warehouse)
    tickets = [r for r in rejected(warehouse) if r[0] == "tickets.csv"]
    assert {why for *_rest, why in tickets} == {
        "engineer E1 was rejected at engineers.csv line 3 (hire_date is not a date; write "
        "YYYY-MM-DD); fix that row"
    }


def test_nobody_listed_is_still_an_unknown_engineer(source, warehouse):
    write_csv(source / "tickets.csv", TICKET_HEADER, [ticket(assignee_id="E404"), TICKETS[2]])
    build(source, warehouse)
    assert rejected(warehouse) == [
        (
            "tickets.csv",
            2,
            "assignee_id",
            "unknown engineer E404: add them to engineers.csv or correct the id",
        )
    ]
    assert query(warehouse, "select caused_by from rejected_rows") == [(None,)]


def test_invisible_characters_in_any_id_column_reject_that_row(source, warehouse):
    write_csv(
        source / "tickets.csv",
        TICKET_HEADER,
        [ticket(ticket_id="A", assignee_id="E1 "), ticket(ticket_id="\ufeffB"), TICKETS[2]],
    )
    build(source, warehouse)
    assert rejected(warehouse) == [
        (
            "tickets.csv",
            2,
            "assignee_id",
            "assignee_id 'E1 ' ends with a space; remove it so the id matches the other files",
        ),
        (
            "tickets.csv",
            3,
            "ticket_id",
            "ticket_id '\\ufeffB' has an invisible zero width no-break space (U+FEFF) at "
            "character 1; remove it so the id matches the other files",
        ),
    ]
    assert query(warehouse, "select ticket_id from tickets") == [("T3",)]


# Case 7: odd values -----------------------------------------------------------------------

MONTHLY_HEADER = [
    "engineer_id",
    "month",
    "tickets_solved",
    "sla_met",
    "sla_breached",
    "median_open_hours",
]


def test_a_count_beyond_32_bits_rejects_its_row_not_the_build(source, warehouse):
    write_csv(
        source / "monthly_metrics.csv",
        MONTHLY_HEADER,
        [
            ["E2", "2024-03", "3000000000", "10", "0", "4.5"],
            ["E2", "2024-04", "12", "3000000000", "0", "4.5"],
            ["E2", "2024-05", "12", "11", "1", "4.5"],
        ],
    )
    build(source, warehouse)
    assert rejected(warehouse) == [
        (
            "monthly_metrics.csv",
            2,
            "tickets_solved",
            "tickets_solved is above 1,000,000, more than any real value; check the export "
            "(a wrong column, unit or total)",
        ),
        (
            "monthly_metrics.csv",
            3,
            "sla_met",
            "sla_met is above 1,000,000, more than any real value; check the export "
            "(a wrong column, unit or total)",
        ),
    ]
    assert query(warehouse, "select strftime(month, '%Y-%m') from monthly_metrics") == [
        ("2024-05",)
    ]


def test_not_a_number_infinity_and_absurd_hours_are_rejected_with_a_reason(source, warehouse):
    values = ["NaN", "inf", "-inf", "1e308", "1e400", "12.5"]
    write_csv(
        source / "monthly_metrics.csv",
        MONTHLY_HEADER,
        [["E2", f"2024-{m:02d}", "12", "11", "1", v] for m, v in enumerate(values, start=3)],
    )
    build(source, warehouse)
    reasons = {}
    for _file, line, column, why in rejected(warehouse):
        assert column == "median_open_hours"
        reasons.setdefault(line, []).append(why)
    not_a_number = (
        "median_open_hours is not a number (NaN or infinity); write the value as a plain number"
    )
    too_big = "median_open_hours is above 876,600, more than any real value"
    assert reasons[2] == [not_a_number]
    assert reasons[3] == [not_a_number]
    assert not_a_number in reasons[4]
    assert [why.startswith(too_big) for why in reasons[5]] == [True]
    assert 6 in reasons  # 1e400 is not even a double
    assert query(warehouse, "select median_open_hours from monthly_metrics") == [(12.5,)]


@pytest.mark.parametrize("good_before", [0, 60], ids=["first line", "past the first 4 KiB"])
def test_a_nul_byte_in_a_ticket_id_rejects_that_ticket(source, warehouse, good_before):
    good = [ticket(ticket_id=f"G{n}", assignee_id="E2") for n in range(good_before)]
    write_csv(
        source / "tickets.csv", TICKET_HEADER, [*good, ticket(ticket_id="T\x001"), TICKETS[2]]
    )
    build(source, warehouse)
    assert rejected(warehouse) == [
        (
            "tickets.csv",
            good_before + 2,
            "ticket_id",
            "ticket_id 'T\\x001' has a control character (U+0000, a NUL byte) at character 2; "
            "remove it so the id matches the other files",
        )
    ]
    assert query(warehouse, "select count(*) from tickets") == [(good_before + 1,)]


@pytest.fixture
def amsterdam(tmp_path: Path) -> Path:
    framework = tmp_path / "framework.toml"
    text = Path("data/framework.toml").read_text()
    framework.write_text(text.replace('timezone = "UTC"', 'timezone = "Europe/Amsterdam"'))
    return framework


def test_times_a_clock_change_skips_or_repeats_keep_the_wall_clock_order(
    source, warehouse, amsterdam
):
    # 2025-03-30 02:00-03:00 does not exist in Amsterdam; 2025-10-26 02:00-03:00 happens twice.
    rows = [
        ticket(ticket_id="GAP", created_at="2025-03-30T02:30:00", solved_at="2025-03-30T03:10:00"),
        ticket(ticket_id="REP", created_at="2025-10-26T02:30:00", solved_at="2025-10-26 02:45"),
        ticket(
            ticket_id="OFFSET",
            created_at="2025-03-30T02:30:00+01:00",
            solved_at="2025-03-30T03:40:00",
        ),
        ticket(ticket_id="BEFORE", created_at="2025-03-30T01:59:00", solved_at=""),
        ticket(ticket_id="BAD", created_at="30/03/2025 02:30", solved_at=""),
    ]
    for row in rows[3:]:
        row[TICKET_HEADER.index("status")] = "open"
    write_csv(source / "tickets.csv", TICKET_HEADER, rows)
    build(source, warehouse, amsterdam)
    assert rejected(warehouse) == [
        (
            "tickets.csv",
            6,
            "created_at",
            "created_at is not an ISO-8601 timestamp; write e.g. 2024-03-01T09:30:00Z",
        )
    ]
    utc = "strftime(timezone('UTC', {}), '%Y-%m-%d %H:%M')"
    got = query(
        warehouse,
        f"select ticket_id, {utc.format('created_at')}, {utc.format('solved_at')} "
        "from tickets order by source_line",
    )
    assert got == [
        # A skipped time is the moment the clocks jumped (03:00 CEST = 01:00 UTC).
        ("GAP", "2025-03-30 01:00", "2025-03-30 01:10"),
        # A repeated time is its first occurrence (summer time, UTC+2).
        ("REP", "2025-10-26 00:30", "2025-10-26 00:45"),
        # An explicit offset is never second-guessed.
        ("OFFSET", "2025-03-30 01:30", "2025-03-30 01:40"),
        ("BEFORE", "2025-03-30 00:59", None),
    ]
    assert query(warehouse, "select value from rejected_rows") == [("30/03/2025 02:30",)]


def test_roster_oddities_load_with_a_note(source, warehouse):
    people = [
        *engineers_with(manager_id="E2"),
        dict(ENGINEERS[1], engineer_id="S1", name="Sol Self", manager_id="S1"),
        dict(ENGINEERS[1], engineer_id="C1", name="Cy One", manager_id="C2"),
        dict(ENGINEERS[1], engineer_id="C2", name="Cy Two", manager_id="C3"),
        dict(ENGINEERS[1], engineer_id="C3", name="Cy Three", manager_id="C1"),
    ]
    people[2] = dict(people[2], manager_id="E1")  # E1 -> E2 -> E1
    write_csv(source / "engineers.csv", ENGINEER_HEADER, people)
    early = {"engineer_id": "E1", "level": "IC1", "effective_on": "2022-12-01"}
    write_csv(source / "levels.csv", list(LEVELS[0]), [*LEVELS, early])
    report = build(source, warehouse)
    assert rejected(warehouse) == []
    assert query(warehouse, "select count(*) from engineers") == [(7,)]
    assert query(warehouse, "select count(*) from levels") == [(3,)]
    assert report.notes == [
        "engineers.csv line 5: S1 is their own manager (manager_id S1); loaded, check manager_id",
        "engineers.csv lines 6, 7, 8: managers form a loop (C1 → C2 → C3 → C1); loaded, "
        "check manager_id",
        "engineers.csv lines 3, 4: managers form a loop (E1 → E2 → E1); loaded, check manager_id",
        "levels.csv line 4: E1's level IC1 takes effect on 2022-12-01, before their hire_date "
        "2023-01-09; loaded, check the dates",
    ]


# Case 8: files that are not files ----------------------------------------------------------


def test_a_folder_named_like_an_input_is_called_a_folder(source, warehouse, previous):
    (source / "tickets.csv").unlink()
    (source / "tickets.csv").mkdir()
    message = fails_leaving(previous, warehouse, source)
    assert "tickets.csv: is a folder, not a file. Fix: put the CSV export there instead" in message
    assert "rename" not in message


def test_a_link_out_of_the_source_folder_is_refused_unread(source, warehouse, previous, tmp_path):
    secret = tmp_path / "elsewhere" / "passwd"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0:SECRET-MARKER:/root:/bin/bash\n")
    (source / "tickets.csv").unlink()
    (source / "tickets.csv").symlink_to(secret)
    message = fails_leaving(previous, warehouse, source)
    assert "tickets.csv: is a link to a file outside the source folder, so it was not read" in (
        message
    )
    assert "SECRET-MARKER" not in message and "root:x" not in message


def test_a_link_to_etc_passwd_echoes_nothing_of_it(source, warehouse, previous):
    if not Path("/etc/passwd").is_file():
        pytest.skip("no /etc/passwd on this system")
    (source / "engineers.csv").unlink()
    (source / "engineers.csv").symlink_to("/etc/passwd")
    message = fails_leaving(previous, warehouse, source)
    assert "is a link to a file outside the source folder" in message
    assert "root:" not in message and "/bin/" not in message and "nologin" not in message


def test_a_pipe_named_like_an_input_is_refused_without_reading_it(source, warehouse, previous):
    (source / "tickets.csv").unlink()
    os.mkfifo(source / "tickets.csv")
    message = fails_leaving(previous, warehouse, source)
    assert "tickets.csv: is not a regular file (a broken link, a pipe or a device)" in message


def test_a_link_that_stays_inside_the_source_folder_loads(source, warehouse):
    exports = source / "exports"
    exports.mkdir()
    (source / "tickets.csv").rename(exports / "tickets-2024.csv")
    (source / "tickets.csv").symlink_to(Path("exports") / "tickets-2024.csv")
    build(source, warehouse)
    assert query(warehouse, "select count(*) from tickets") == [(5,)]
