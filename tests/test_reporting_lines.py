"""Reporting lines over time: manager_changes.csv joined with engineers.csv into one period per
person and manager (`reporting_lines`), every contradiction rejected with the file, the line and
the fix while the other rows load, and "who was E1's manager at the end of March" answered from
the table the way the dashboard asks it."""

from __future__ import annotations

from datetime import date
from itertools import pairwise
from pathlib import Path

import pytest

from pipelines.load.build import BuildReport, build
from tests.pipeline_fixtures import ENGINEERS, make_source, query, rejected, write_csv

CHANGES_HEADER = ["engineer_id", "changed_on", "from_manager_id", "to_manager_id"]
# A second manager to move people to, hired with M1, before everyone else.
M2 = dict(ENGINEERS[0], engineer_id="M2", name="Ode Second", email="ode@example.com")
FILE = "manager_changes.csv"
# The lines of manager_changes.csv below, header = 1.
FIRST, SECOND = 2, 3


def build_org(
    tmp_path: Path, changes: list[list[str]] | None, **manager_of: str
) -> tuple[BuildReport, Path]:
    """The fixture org plus M2, with engineers.csv's manager_id changed as given (E1="M2") and
    manager_changes.csv holding `changes` (None: no such file)."""
    source = make_source(tmp_path / "in")
    people = [
        dict(p, manager_id=manager_of.get(p["engineer_id"], p["manager_id"])) for p in ENGINEERS
    ]
    write_csv(source / "engineers.csv", list(ENGINEERS[0]), [*people, M2])
    if changes is not None:
        write_csv(source / FILE, CHANGES_HEADER, changes)
    warehouse = tmp_path / "warehouse.duckdb"
    return build(source, warehouse), warehouse


def lines_of(warehouse: Path, person: str) -> list[tuple]:
    return query(
        warehouse,
        "select manager_id, started_on, ended_on from reporting_lines "
        "where engineer_id = ? order by started_on",
        [person],
    )


def manager_at_end_of(warehouse: Path, person: str, month: str) -> list[tuple]:
    """The as-of question the dashboard asks: who managed `person` on the month's last day."""
    return query(
        warehouse,
        "select manager_id from reporting_lines where engineer_id = ? "
        "and started_on <= last_day(?::date) "
        "and (ended_on is null or ended_on >= last_day(?::date))",
        [person, f"{month}-01", f"{month}-01"],
    )


def rejected_changes(warehouse: Path) -> list[tuple]:
    return [row for row in rejected(warehouse) if row[0] == FILE]


def d(text: str) -> date:
    return date.fromisoformat(text)


# -- the periods -------------------------------------------------------------------------------


def test_without_the_file_everyone_has_one_open_line_to_their_engineers_csv_manager(tmp_path):
    _, warehouse = build_org(tmp_path, None)
    assert query(warehouse, "select * from reporting_lines order by engineer_id") == [
        ("E1", "M1", d("2023-01-09"), None),
        ("E2", "M1", d("2023-03-01"), None),
        ("M1", None, d("2020-01-06"), None),
        ("M2", None, d("2020-01-06"), None),
    ]
    assert query(warehouse, "select count(*) from manager_changes") == [(0,)]


def test_a_leavers_line_ends_on_their_last_day(tmp_path):
    source = make_source(tmp_path / "in")
    people = [dict(p, left_on="2024-05-31") if p["engineer_id"] == "E1" else p for p in ENGINEERS]
    write_csv(source / "engineers.csv", list(ENGINEERS[0]), people)
    build(source, tmp_path / "w.duckdb")
    assert lines_of(tmp_path / "w.duckdb", "E1") == [("M1", d("2023-01-09"), d("2024-05-31"))]


def test_two_changes_make_three_periods_that_meet_without_a_gap(tmp_path):
    report, warehouse = build_org(
        tmp_path,
        [
            ["E1", "2023-06-15", "M2", "M1"],
            ["E1", "2024-02-01", "M1", "M2"],
        ],
        E1="M2",
    )
    assert report.rows_rejected == 0
    assert lines_of(warehouse, "E1") == [
        ("M2", d("2023-01-09"), d("2023-06-14")),
        ("M1", d("2023-06-15"), d("2024-01-31")),
        ("M2", d("2024-02-01"), None),
    ]
    # The people without changes keep their one line.
    assert lines_of(warehouse, "E2") == [("M1", d("2023-03-01"), None)]


def test_the_manager_at_a_month_end_follows_a_move_in_the_middle_of_the_month(tmp_path):
    # E1 moves from M1 to M2 on 17 April 2024.
    _, warehouse = build_org(tmp_path, [["E1", "2024-04-17", "M1", "M2"]], E1="M2")
    assert manager_at_end_of(warehouse, "E1", "2024-03") == [("M1",)]
    # The move happened before 30 April: at the end of April, E1 is M2's.
    assert manager_at_end_of(warehouse, "E1", "2024-04") == [("M2",)]
    assert manager_at_end_of(warehouse, "E1", "2024-05") == [("M2",)]
    # Before the hire there is no line at all.
    assert manager_at_end_of(warehouse, "E1", "2022-12") == []
    # Every month end finds exactly one line per person hired by then.
    assert query(
        warehouse,
        "select count(*) from reporting_lines where engineer_id = 'E1' "
        "and started_on <= date '2024-04-30' "
        "and (ended_on is null or ended_on >= date '2024-04-30')",
    ) == [(1,)]


def test_a_change_on_the_hire_date_leaves_the_manager_before_it_no_day(tmp_path):
    _, warehouse = build_org(tmp_path, [["E1", "2023-01-09", "M1", "M2"]], E1="M2")
    assert lines_of(warehouse, "E1") == [("M2", d("2023-01-09"), None)]


def test_an_empty_manager_is_a_period_without_a_manager(tmp_path):
    _, warehouse = build_org(tmp_path, [["E1", "2023-04-03", "", "M1"]])
    assert lines_of(warehouse, "E1") == [
        (None, d("2023-01-09"), d("2023-04-02")),
        ("M1", d("2023-04-03"), None),
    ]


def test_a_change_to_the_manager_already_held_starts_no_period(tmp_path):
    report, warehouse = build_org(
        tmp_path, [["E1", "2023-04-03", "M1", "M1"], ["E1", "2023-09-01", "M1", "M2"]], E1="M2"
    )
    assert report.rows_rejected == 0
    assert lines_of(warehouse, "E1") == [
        ("M1", d("2023-01-09"), d("2023-08-31")),
        ("M2", d("2023-09-01"), None),
    ]


# -- rows that cannot be placed: rejected with the fix, the rest loads ----------------------


GOOD = ["E2", "2023-07-03", "M1", "M2"]  # loads in every case below


def assert_only_good_row_loaded(report: BuildReport, warehouse: Path) -> None:
    assert lines_of(warehouse, "E2") == [
        ("M1", d("2023-03-01"), d("2023-07-02")),
        ("M2", d("2023-07-03"), None),
    ]
    changes = next(f for f in report.files if f.table == "manager_changes")
    assert changes.rows_rejected == len(rejected_changes(warehouse))
    assert changes.rows_loaded == query(warehouse, "select count(*) from manager_changes")[0][0]


@pytest.mark.parametrize(
    ("bad", "column", "reason"),
    [
        (
            ["E9", "2023-05-01", "M1", "M2"],
            "engineer_id",
            "unknown engineer E9: add them to engineers.csv or correct the id",
        ),
        (
            ["E1", "2023-05-01", "M1", "E1"],
            "to_manager_id",
            "E1 cannot report to themselves (to_manager_id E1); write the engineer_id of their "
            "manager, or leave it empty for none",
        ),
        (
            ["E1", "2022-12-01", "M2", "M1"],
            "changed_on",
            "changed_on 2022-12-01 is before E1's hire_date 2023-01-09 (engineers.csv line 3); "
            "correct one of the two dates (the manager they were hired under is the "
            "from_manager_id of their first change)",
        ),
        (
            ["E1", "2023-05-01", "M1", "M2"],
            "to_manager_id",
            "E1's change on 2023-05-01 moves them to M2, but engineers.csv line 3 says their "
            "manager today is M1; engineers.csv is today's truth, so correct to_manager_id "
            "here, or manager_id in engineers.csv if it is out of date",
        ),
    ],
    ids=["unknown engineer", "reports to themselves", "before hire", "not today's manager"],
)
def test_a_change_that_cannot_be_placed_is_rejected_with_its_line_and_fix(
    tmp_path, bad, column, reason
):
    report, warehouse = build_org(tmp_path, [bad, GOOD], E2="M2")
    assert rejected_changes(warehouse) == [(FILE, FIRST, column, reason)]
    assert_only_good_row_loaded(report, warehouse)
    assert lines_of(warehouse, "E1") == [("M1", d("2023-01-09"), None)]


def test_a_change_after_the_leaving_day_is_rejected(tmp_path):
    source = make_source(tmp_path / "in")
    people = [dict(p, left_on="2024-05-31") if p["engineer_id"] == "E1" else p for p in ENGINEERS]
    write_csv(source / "engineers.csv", list(ENGINEERS[0]), [*people, M2])
    write_csv(source / FILE, CHANGES_HEADER, [["E1", "2024-06-03", "M2", "M1"]])
    build(source, tmp_path / "w.duckdb")
    assert rejected_changes(tmp_path / "w.duckdb") == [
        (
            FILE,
            FIRST,
            "changed_on",
            "changed_on 2024-06-03 is after E1 left on 2024-05-31 (engineers.csv line 3); "
            "correct changed_on, or left_on in engineers.csv",
        )
    ]
    assert lines_of(tmp_path / "w.duckdb", "E1") == [("M1", d("2023-01-09"), d("2024-05-31"))]


def test_two_changes_on_one_day_are_both_rejected_as_their_order_is_unknown(tmp_path):
    report, warehouse = build_org(
        tmp_path,
        [["E1", "2023-05-01", "M1", "M2"], ["E1", "2023-05-01", "M2", "M1"], GOOD],
        E2="M2",
    )
    why = (
        "E1 has more than one manager change on 2023-05-01 (lines 2, 3), so which came last "
        "is unknown; keep one row for the day"
    )
    assert rejected_changes(warehouse) == [
        (FILE, FIRST, "changed_on", why),
        (FILE, SECOND, "changed_on", why),
    ]
    assert_only_good_row_loaded(report, warehouse)


def test_a_chain_that_does_not_join_up_rejects_the_change_that_leads_elsewhere(tmp_path):
    # E1: M1 -> M2 on 1 May, then "from M1" -> M2 again in September: the May change moved
    # them to M2, but September says they were M1's. engineers.csv (M2) backs September.
    report, warehouse = build_org(
        tmp_path,
        [["E1", "2023-05-01", "M1", "M2"], ["E1", "2023-09-01", "M1", "M2"], GOOD],
        E1="M2",
        E2="M2",
    )
    assert rejected_changes(warehouse) == [
        (
            FILE,
            FIRST,
            "to_manager_id",
            "E1's change on 2023-05-01 moves them to M2, but their next change (line 3, on "
            "2023-09-01) says they came from M1; correct to_manager_id here or from_manager_id "
            "on line 3",
        )
    ]
    assert_only_good_row_loaded(report, warehouse)
    assert lines_of(warehouse, "E1") == [
        ("M1", d("2023-01-09"), d("2023-08-31")),
        ("M2", d("2023-09-01"), None),
    ]


def test_changes_behind_a_rejected_last_change_are_checked_against_engineers_csv(tmp_path):
    # engineers.csv says M1 today; the history says E1 went to M2 and later to "" (nobody).
    report, warehouse = build_org(
        tmp_path, [["E1", "2023-05-01", "M1", "M2"], ["E1", "2023-09-01", "M2", ""], GOOD], E2="M2"
    )
    reasons = [reason for *_, reason in rejected_changes(warehouse)]
    assert reasons == [
        "E1's change on 2023-05-01 moves them to M2 (their later ones were rejected), but "
        "engineers.csv line 3 says their manager today is M1; engineers.csv is today's truth, "
        "so correct to_manager_id here, or manager_id in engineers.csv if it is out of date",
        "E1's change on 2023-09-01 moves them to no manager, but engineers.csv line 3 says "
        "their manager today is M1; engineers.csv is today's truth, so correct to_manager_id "
        "here, or manager_id in engineers.csv if it is out of date",
    ]
    assert_only_good_row_loaded(report, warehouse)
    # What loads never contradicts engineers.csv about today.
    assert lines_of(warehouse, "E1") == [("M1", d("2023-01-09"), None)]


def test_a_manager_nobody_lists_loads_with_a_note_as_in_engineers_csv(tmp_path):
    report, warehouse = build_org(tmp_path, [["E1", "2023-05-01", "X9", "M1"], GOOD], E2="M2")
    assert rejected_changes(warehouse) == []
    assert (
        "manager_changes.csv line 2: E1's from_manager_id X9 is not on the roster; loaded, "
        "add them to engineers.csv or correct the id"
    ) in report.notes
    assert lines_of(warehouse, "E1") == [
        ("X9", d("2023-01-09"), d("2023-04-30")),
        ("M1", d("2023-05-01"), None),
    ]


def test_a_change_of_a_rejected_engineer_points_at_their_row(tmp_path):
    source = make_source(tmp_path / "in")
    people = [dict(p, hire_date="soon") if p["engineer_id"] == "E1" else p for p in ENGINEERS]
    write_csv(source / "engineers.csv", list(ENGINEERS[0]), [*people, M2])
    write_csv(source / FILE, CHANGES_HEADER, [["E1", "2023-05-01", "M1", "M2"]])
    build(source, tmp_path / "w.duckdb")
    [(_, line, _, reason)] = rejected_changes(tmp_path / "w.duckdb")
    assert line == FIRST
    assert reason.startswith("engineer E1 was rejected at engineers.csv line 3 (hire_date")
    assert reason.endswith("; fix that row")


# -- the demo org ------------------------------------------------------------------------------


def test_the_demo_orgs_lines_cover_each_tenure_once_and_end_at_todays_manager(fixture_warehouse):
    assert query(fixture_warehouse, "select count(*) from rejected_rows") == [(0,)]
    assert query(fixture_warehouse, "select count(*) from manager_changes") != [(0,)]
    by_person: dict[str, list[tuple]] = {}
    for person, manager, start, end in query(
        fixture_warehouse, "select * from reporting_lines order by engineer_id, started_on"
    ):
        by_person.setdefault(person, []).append((manager, start, end))
    roster = query(
        fixture_warehouse, "select engineer_id, manager_id, hire_date, left_on from engineers"
    )
    assert sorted(by_person) == sorted(person for person, *_ in roster)
    for person, manager, hired, left in roster:
        periods = by_person[person]
        assert periods[0][1] == hired
        assert periods[-1][0] == manager
        assert periods[-1][2] == left
        for (_, _, end), (_, start, _) in pairwise(periods):
            assert (start - end).days == 1, person
