"""One source of truth: every number the Engineer page states is the warehouse row it comes
from, and a repeated levels row, a demotion, a team move and a team lead's scaled volume bar
read the same on the page, in the flags and in the rules."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.demo.generate import generate_demo
from pipelines.framework import DEFAULT_FRAMEWORK
from pipelines.load.build import build
from pipelines.tables import TABLES_BY_NAME
from rungs_ui import state
from tests.consistency import (
    check_page_against_warehouse,
    drawn_bars,
    engineer_page,
    warehouse_rows,
)
from tests.pipeline_fixtures import TICKET_HEADER, write_csv
from tests.ui_fixtures import END_MONTH

DEMO_AS_OF = END_MONTH


@pytest.fixture(scope="module")
def demo_org(tmp_path_factory) -> Path:
    """A demo org of 40 engineers over 36 months, built in process. Every person is checked, so
    `make run`'s 150 would take minutes for nothing more; `make bench` checks a sample of the
    1,000-engineer org the same way (benchmarks.consistency)."""
    folder = tmp_path_factory.mktemp("demo-org")
    generate_demo(folder / "source", engineers=40, months=36, end_month="2026-11")
    build(folder / "source", folder / "w.duckdb")
    return folder / "w.duckdb"


def test_every_number_on_the_engineer_page_is_the_row_it_comes_from(demo_org):
    assessed = warehouse_rows(demo_org, DEMO_AS_OF)
    assert len(assessed) >= 30
    found = check_page_against_warehouse(demo_org, DEMO_AS_OF)
    assert found.lines == []


def test_promotion_and_raise_counters_count_the_readiness_rows(demo_org):
    with duckdb.connect(str(demo_org), read_only=True) as con:
        ready, near, in_band = con.execute(
            "select count(*) filter (where promotion_ready),"
            " count(*) filter (where near_window and not promotion_ready),"
            " count(*) filter (where in_band_candidate)"
            " from readiness r join engineers e using (engineer_id)"
            " where month = $m::date and (e.left_on is null or e.left_on >= last_day($m::date))",
            {"m": f"{DEMO_AS_OF}-01"},
        ).fetchone()
    with engineer_page(demo_org, DEMO_AS_OF) as at:
        at.switch_page("pages/people/promotions.py").run()
        tiles = {m.label: m.value for m in at.metric}
        at.switch_page("pages/people/raises.py").run()
        in_band_tile = {m.label: m.value for m in at.metric}["In-band raise candidates"]
    assert (tiles["Promotion-ready"], tiles["Near a window"]) == (str(ready), str(near))
    assert in_band_tile == str(in_band)


# --- a small org with the awkward level histories ----------------------------------------------

FIRST = date(2024, 1, 1)
MONTHS = 18
PEOPLE = {
    # id: (name, team lead, [(level, effective_on)])
    "E1": ("Re Recorded", False, [("IC2", "2023-06-01"), ("IC2", "2024-09-01")]),
    "E2": ("Demo Ted", False, [("IC3", "2023-06-01"), ("IC2", "2024-08-01")]),
    "E3": ("Team Mover", False, [("IC2", "2023-06-01"), ("IC2", "2024-05-13")]),
    "E4": ("Lead Lane", True, [("IC3", "2023-06-01")]),
    "E5": ("Steady State", False, [("IC2", "2023-06-01")]),
}


def _tickets() -> list[list[str]]:
    """20 tickets a month each, all within SLA and solved in 5 hours (E4 solves 8)."""
    rows = []
    for n in range(MONTHS):
        start = date(FIRST.year + (FIRST.month - 1 + n) // 12, (FIRST.month - 1 + n) % 12 + 1, 2)
        for who in PEOPLE:
            for k in range(8 if who == "E4" else 20):
                day = start + timedelta(days=k % 25)
                created = f"{day}T09:00:00Z"
                solved = f"{day}T14:00:00Z"
                rows.append(
                    [
                        f"T{who}{n:02d}{k:02d}",
                        who,
                        created,
                        solved,
                        "solved",
                        "normal",
                        "false",
                        "",
                        "0",
                        solved,
                    ]
                )
    return rows


def _small_org(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    header = list(TABLES_BY_NAME["engineers"].columns())
    write_csv(
        folder / "engineers.csv",
        header,
        [
            [
                eid,
                name,
                f"{eid.lower()}@example.com",
                "Core",
                "EMEA",
                "",
                "2023-06-01",
                str(lead).lower(),
                "",
                "",
            ]
            for eid, (name, lead, _levels) in PEOPLE.items()
        ],
    )
    write_csv(
        folder / "levels.csv",
        ["engineer_id", "level", "effective_on"],
        [[eid, level, on] for eid, (_n, _l, levels) in PEOPLE.items() for level, on in levels],
    )
    write_csv(folder / "tickets.csv", TICKET_HEADER, _tickets())
    return folder


def _framework_with_two_volume_bars(path: Path) -> Path:
    """The default framework plus a second volume bar, at IC3."""
    text = DEFAULT_FRAMEWORK.read_text(encoding="utf-8")
    extra = (
        '\n[[bars]]\nlevel = "IC3"\ncategory = "Execution"\nmetric = "volume_ratio"\n'
        'op = ">="\nvalue = 0.8\nlabel = "Solves most of the team median"\n'
    )
    head, rules = text.split("[rules]", 1)
    path.write_text(head + extra + "\n[rules]" + rules, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def small_org(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("small-org")
    framework = _framework_with_two_volume_bars(folder / "framework.toml")
    build(_small_org(folder / "source"), folder / "w.duckdb", framework_path=framework)
    return folder / "w.duckdb"


AS_OF = "2025-05"  # the last month that ended before the newest ticket


def _stints(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select engineer_id, level, started_on, change, from_level"
            " from level_stints order by engineer_id, started_on"
        ).fetchall()
    out: dict[str, list[tuple]] = {}
    for eid, *rest in rows:
        out.setdefault(eid, []).append(tuple(rest))
    return out


def test_a_repeated_level_row_and_a_team_move_are_not_level_changes(small_org):
    stints = _stints(small_org)
    assert stints["E1"] == [("IC2", date(2023, 6, 1), "hire", None)]
    assert stints["E3"] == [("IC2", date(2023, 6, 1), "hire", None)]


def test_a_demotion_is_a_stint_of_its_own(small_org):
    assert _stints(small_org)["E2"] == [
        ("IC3", date(2023, 6, 1), "hire", None),
        ("IC2", date(2024, 8, 1), "demotion", "IC3"),
    ]


def test_page_flags_and_rules_agree_on_awkward_level_histories(small_org):
    rows = warehouse_rows(small_org, AS_OF).set_index("engineer_id")
    assert sorted(rows.index) == ["E1", "E2", "E3", "E4", "E5"]
    found = check_page_against_warehouse(small_org, AS_OF)
    assert found.lines == []
    # The re-recorded and the moved engineer keep counting from their hire: 24 whole months.
    assert rows.loc["E1", "whole_months_at_level"] == rows.loc["E3", "whole_months_at_level"] == 24
    # The demoted engineer counts from the demotion: August 2024 to May 2025.
    assert rows.loc["E2", "whole_months_at_level"] == 10
    listed = CliRunner().invoke(
        app, ["flags", "--warehouse", str(small_org), "--as-of", AS_OF, "--format", "json"]
    )
    assert listed.exit_code == 0, listed.output
    reasons = {r["engineer"]: r["reason"] for r in json.loads(listed.output)}
    for eid in ("E1", "E2", "E3"):
        assert reasons[eid] == rows.loc[eid, "reason"]
    assert reasons["E1"].startswith("24 whole months at IC2")
    assert reasons["E2"].startswith("10 whole months at IC2")


def test_no_promotion_is_shown_for_a_re_recorded_level(small_org):
    with duckdb.connect(str(small_org), read_only=True) as con:
        last = con.execute(
            "select engineer_id, last_raise from readiness"
            " where month = $m::date order by engineer_id",
            {"m": f"{AS_OF}-01"},
        ).fetchall()
    assert dict(last) == {"E1": None, "E2": None, "E3": None, "E4": None, "E5": None}


def test_the_team_lead_volume_bars_drawn_are_the_bars_judged(small_org):
    with duckdb.connect(str(small_org), read_only=True) as con:
        judged = set(
            con.execute(
                "select distinct bar_level, bar_value from bar_checks"
                " where engineer_id = 'E4' and metric = 'volume_ratio'"
            ).fetchall()
        )
    assert judged == {("IC1", 0.25), ("IC3", 0.4)}
    with engineer_page(small_org, AS_OF) as at:
        at.selectbox(key=state.ENGINEER).set_value("E4").run()
        errors, drawn = [e.value for e in at.exception], drawn_bars(at)
    assert errors == []
    assert judged in drawn
