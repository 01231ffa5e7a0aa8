"""Golden rows for every question the dashboard asks the warehouse (rungs_ui.queries).

A tiny org, written as the CSV files a team would export and built by the real pipeline with a
small ladder (IC1..IC3, two categories, short windows so a few months raise every flag), opened
with the dashboard's own read-only connection. Who is who, as of June 2024:

- Mara Boss (M1) manages; she holds no level, so she is never on the roster.
- Ada Lovelace (E1), Core, EMEA, team lead, IC2 since 2023-01-01: HR re-recorded IC2 on
  2024-03-01, which starts nothing. Shows IC3 in both categories in May and June: ready.
- Ben Okafor (E2), Core, AMER, IC1 hired 2023-06-01, promoted to IC2 on 2024-04-15 (April is
  not judged: the level changed during it). Misses the IC2 SLA bar in May and June: at risk.
- Cleo Diaz (E3), Edge, APAC, reports to Ada, IC1; shows IC2 in June only: near a window.
- Dev Patel (E4), Edge, APAC, IC2; shows IC3 in Craft in May and June, last raise in 2023:
  an in-band candidate.
- Eve Moreau (E5), Edge, EMEA, reports to Ada, IC3, left on 2024-04-15.
"""

from __future__ import annotations

import inspect
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from pipelines.access import everyone
from pipelines.tables import TABLES_BY_NAME
from rungs_ui import queries, warehouse
from rungs_ui.queries import Filters, Flag
from tests.pipeline_fixtures import write_csv

JUNE = date(2024, 6, 1)
APRIL = date(2024, 4, 1)
MARCH = date(2024, 3, 1)

FRAMEWORK = """
[framework]
name = "Test ladder"
version = "t1"
timezone = "UTC"
levels = ["IC1", "IC2", "IC3"]
categories = ["Impact", "Craft"]

[[bars]]
level = "IC1"
category = "Impact"
metric = "sla_adherence"
op = ">="
value = 0.80
label = "SLA 80%"

[[bars]]
level = "IC1"
category = "Impact"
metric = "volume_ratio"
op = ">="
value = 0.5
label = "Half the team's median"

[[bars]]
level = "IC2"
category = "Impact"
metric = "sla_adherence"
op = ">="
value = 0.90
label = "SLA 90%"

[[bars]]
level = "IC3"
category = "Impact"
metric = "sla_adherence"
op = ">="
value = 0.95
label = "SLA 95%"

[rules]
onboarding_months = 0
min_sample = 5
promotion_months_at_level = 2
promotion_months_at_next = 2
near_window_months = 2
in_band_min_months_at_level = 2
in_band_lookback_months = 2
in_band_min_categories_above = 1
in_band_cooldown_months = 3
at_risk_months = 2

[expectations.IC1]
Impact = ["Solves tickets with the playbook"]
"""

ENGINEERS = [
    # engineer_id, name, team, region, manager_id, hire_date, team_lead, left_on
    ("M1", "Mara Boss", "Core", "EMEA", "", "2020-01-01", "false", ""),
    ("E1", "Ada Lovelace", "Core", "EMEA", "M1", "2023-01-01", "true", ""),
    ("E2", "Ben Okafor", "Core", "AMER", "M1", "2023-06-01", "false", ""),
    ("E3", "Cleo Diaz", "Edge", "APAC", "E1", "2023-01-01", "false", ""),
    ("E4", "Dev Patel", "Edge", "APAC", "M1", "2023-01-01", "false", ""),
    ("E5", "Eve Moreau", "Edge", "EMEA", "E1", "2023-01-01", "false", "2024-04-15"),
]
LEVELS = [
    ("E1", "IC2", "2023-01-01"),
    ("E1", "IC2", "2024-03-01"),  # re-recorded: no new stint
    ("E2", "IC1", "2023-06-01"),
    ("E2", "IC2", "2024-04-15"),
    ("E3", "IC1", "2023-01-01"),
    ("E4", "IC2", "2023-01-01"),
    ("E5", "IC3", "2023-01-01"),
]
EVIDENCE = [
    # evidence_id, engineer_id, observed_on, category, level, kind, summary, source
    ("EV1", "E1", "2024-05-10", "Impact", "IC3", "example", "Led the incident review", "manager"),
    ("EV2", "E1", "2024-05-10", "Craft", "IC3", "example", "Rewrote the triage runbook", "peer"),
    (
        "EV3",
        "E3",
        "2024-06-10",
        "Impact",
        "IC2",
        "example",
        "Took the weekend triage shift",
        "manager",
    ),
    ("EV4", "E3", "2024-06-10", "Craft", "IC2", "example", "Wrote the timeout article", "self"),
    (
        "EV5",
        "E4",
        "2024-05-15",
        "Craft",
        "IC3",
        "example",
        "Reviewed escalations of new hires",
        "manager",
    ),
    (
        "EV6",
        "E2",
        "2024-01-20",
        "Craft",
        "IC2",
        "example",
        "Paired on the billing migration",
        "peer",
    ),
    (
        "EV7",
        "E2",
        "2024-06-05",
        "Impact",
        "IC2",
        "concern",
        "Let two urgent tickets breach",
        "manager",
    ),
    ("EV8", "E5", "2024-02-01", "Impact", "IC3", "example", "Mentored the Edge team", "manager"),
]
DECISIONS = [
    ("E4", "2023-02-01", "in_band_raise", "Raise within band"),
    ("E1", "2024-01-15", "deferred", "Revisit in spring"),
    ("E9", "2024-01-15", "promotion", "Nobody on the roster"),  # rejected: unknown engineer
]


def _metrics() -> list[tuple]:
    """One monthly report per engineer, January to June 2024 (Eve's until April)."""
    rows = []
    months = [f"2024-{m:02d}" for m in range(1, 7)]
    for month in months:
        n = months.index(month) + 1
        rows.append(("E1", month, 100, 97, 3, 8.0))
        rows.append(("E2", month, 100, *((85, 15) if n >= 5 else (95, 5)), 12.0))
        # Cleo's January has 4 SLA tickets: too few to judge.
        rows.append(("E3", month, *((4, 4, 0) if n == 1 else (100, 93, 7)), 10.0))
        rows.append(("E4", month, 100, 92, 8, 11.0))
        if n <= 4:
            rows.append(("E5", month, 100, 96, 4, 9.0))
    return rows


def write_org(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(
        folder / "engineers.csv",
        [
            "engineer_id",
            "name",
            "email",
            "team",
            "region",
            "manager_id",
            "hire_date",
            "team_lead",
            "left_on",
        ],
        [
            (e, n, f"{e.lower()}@example.com", t, r, m, h, lead, left)
            for e, n, t, r, m, h, lead, left in ENGINEERS
        ],
    )
    write_csv(folder / "levels.csv", ["engineer_id", "level", "effective_on"], LEVELS)
    write_csv(
        folder / "monthly_metrics.csv",
        ["engineer_id", "month", "tickets_solved", "sla_met", "sla_breached", "median_open_hours"],
        _metrics(),
    )
    write_csv(
        folder / "evidence.csv",
        list(TABLES_BY_NAME["evidence"].columns()),
        [(i, e, d, c, lv, k, s, "", src, "M1") for i, e, d, c, lv, k, s, src in EVIDENCE],
    )
    write_csv(
        folder / "decisions.csv", ["engineer_id", "decided_on", "decision", "note"], DECISIONS
    )
    return folder


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    from pipelines.load.build import build

    root = tmp_path_factory.mktemp("queries")
    framework = root / "framework.toml"
    framework.write_text(FRAMEWORK, encoding="utf-8")
    path = root / "warehouse.duckdb"
    build(write_org(root / "source"), path, framework_path=framework)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(warehouse.WAREHOUSE_ENV, str(path))
        # Everyone in view, as in local mode; test_scope.py narrows it.
        yield warehouse.current().scoped(everyone())


def _plain(value):
    """A cell as a test writes it: dates as 'YYYY-MM-DD', missing as None, floats rounded."""
    if not isinstance(value, list | tuple) and pd.isna(value):
        return None
    if isinstance(value, pd.Timestamp | date):
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if isinstance(value, float):
        return round(value, 4)
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    return value


def rows(df: pd.DataFrame, *columns: str) -> list[tuple]:
    return [tuple(_plain(v) for v in row) for row in df[list(columns)].itertuples(index=False)]


def names(df: pd.DataFrame) -> list[str]:
    return df["name"].tolist()


# --- the roster -----------------------------------------------------------------------------


def test_roster_takes_the_level_held_at_the_month_end_from_level_stints(wh):
    people = queries.roster(wh, Filters(JUNE))
    assert rows(people, "engineer_id", "name", "level", "level_since", "whole_months_at_level") == [
        ("E1", "Ada Lovelace", "IC2", "2023-01-01", 18),  # the re-recorded IC2 starts nothing
        ("E2", "Ben Okafor", "IC2", "2024-04-15", 2),  # April was not held in full
        ("E3", "Cleo Diaz", "IC1", "2023-01-01", 18),
        ("E4", "Dev Patel", "IC2", "2023-01-01", 18),
    ]


def test_roster_names_team_region_manager_and_team_lead(wh):
    people = queries.roster(wh, Filters(JUNE))
    assert rows(people, "name", "team", "region", "manager_id", "manager_name", "team_lead") == [
        ("Ada Lovelace", "Core", "EMEA", "M1", "Mara Boss", True),
        ("Ben Okafor", "Core", "AMER", "M1", "Mara Boss", False),
        ("Cleo Diaz", "Edge", "APAC", "E1", "Ada Lovelace", False),
        ("Dev Patel", "Edge", "APAC", "M1", "Mara Boss", False),
    ]


def test_roster_keeps_a_leaver_until_the_month_they_leave(wh):
    assert "Eve Moreau" in names(queries.roster(wh, Filters(MARCH)))
    assert "Eve Moreau" not in names(queries.roster(wh, Filters(APRIL)))


def test_roster_leaves_out_people_without_a_level(wh):
    assert "Mara Boss" not in names(queries.roster(wh, Filters(JUNE)))


def test_roster_at_an_earlier_month_shows_the_level_held_then(wh):
    march = queries.roster(wh, Filters(JUNE), month=MARCH)
    assert rows(
        march.loc[march["engineer_id"] == "E2"], "level", "level_since", "whole_months_at_level"
    ) == [("IC1", "2023-06-01", 10)]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(JUNE, teams=("Edge",)), ["Cleo Diaz", "Dev Patel"]),
        (Filters(JUNE, regions=("AMER",)), ["Ben Okafor"]),
        (Filters(JUNE, regions=("APAC", "EMEA")), ["Ada Lovelace", "Cleo Diaz", "Dev Patel"]),
        (Filters(JUNE, managers=("E1",)), ["Cleo Diaz"]),
        (Filters(MARCH, managers=("E1",)), ["Cleo Diaz", "Eve Moreau"]),
        (Filters(JUNE, levels=("IC1",)), ["Cleo Diaz"]),
        (Filters(MARCH, levels=("IC1",)), ["Ben Okafor", "Cleo Diaz"]),
        (Filters(APRIL, levels=("IC2",)), ["Ada Lovelace", "Ben Okafor", "Dev Patel"]),
        (Filters(JUNE, teams=("Core",), levels=("IC1",)), []),
        (Filters(JUNE, teams=("Nowhere",)), []),
    ],
    ids=[
        "team",
        "region",
        "two-regions",
        "manager",
        "manager-with-leaver",
        "level",
        "level-before-promotion",
        "level-from-mid-month",
        "filters-combine",
        "no-match",
    ],
)
def test_roster_filters_narrow_by_attributes_at_the_month(wh, filters, expected):
    assert names(queries.roster(wh, filters)) == expected


def test_roster_with_no_filters_lists_everyone_with_a_level(wh):
    assert names(queries.roster(wh, Filters(MARCH))) == [
        "Ada Lovelace",
        "Ben Okafor",
        "Cleo Diaz",
        "Dev Patel",
        "Eve Moreau",
    ]


# --- team health ----------------------------------------------------------------------------


def test_team_kpis_count_people_flags_and_pool_sla_over_the_roster(wh):
    kpis = {k: _plain(v) for k, v in queries.team_kpis(wh, Filters(JUNE), JUNE).items()}
    assert kpis == {
        "headcount": 4,
        "sla_adherence": round((97 + 85 + 93 + 92) / 400, 4),
        "median_open_hours": 10.5,
        "csat": None,  # this org's metrics carry no ratings (test_team_measures.py has some)
        "csat_sample": 0,
        "ready": 1,
        "near": 1,
        "in_band": 1,
        "at_risk": 1,
    }


def test_team_kpis_of_another_month_use_the_roster_of_that_month(wh):
    kpis = queries.team_kpis(wh, Filters(JUNE, teams=("Edge",)), MARCH)
    assert {k: _plain(v) for k, v in kpis.items()} == {
        "headcount": 3,  # Eve was still there
        "sla_adherence": round((93 + 92 + 96) / 300, 4),
        "median_open_hours": 10.0,
        "csat": None,
        "csat_sample": 0,
        "ready": 0,
        "near": 0,
        "in_band": 0,
        "at_risk": 0,
    }


def test_team_kpis_of_nobody_are_zero_and_empty(wh):
    kpis = queries.team_kpis(wh, Filters(JUNE, teams=("Nowhere",)), JUNE)
    assert {k: _plain(v) for k, v in kpis.items()} == {
        "headcount": 0,
        "sla_adherence": None,
        "median_open_hours": None,
        "csat": None,
        "csat_sample": 0,
        "ready": 0,
        "near": 0,
        "in_band": 0,
        "at_risk": 0,
    }


def test_level_distribution_counts_levels_held_at_the_month_in_framework_order(wh):
    assert rows(queries.level_distribution(wh, Filters(JUNE)), "level", "engineers") == [
        ("IC1", 1),
        ("IC2", 3),
    ]
    assert rows(queries.level_distribution(wh, Filters(MARCH)), "level", "engineers") == [
        ("IC1", 2),
        ("IC2", 2),
        ("IC3", 1),
    ]


def test_team_trends_follow_the_people_in_view_over_the_months(wh):
    trends = queries.team_trends(wh, Filters(JUNE), months=2)
    assert rows(
        trends,
        "team",
        "month",
        "sla_adherence",
        "sla_sample",
        "median_open_hours",
        "tickets_solved",
    ) == [
        ("Core", "2024-05-01", 0.91, 200, 10.0, 200),
        ("Core", "2024-06-01", 0.91, 200, 10.0, 200),
        ("Edge", "2024-05-01", 0.925, 200, 10.5, 200),  # Eve left: not in June's view
        ("Edge", "2024-06-01", 0.925, 200, 10.5, 200),
    ]


# --- readiness and the flag filters ---------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        (Flag.ANY, ["Ada Lovelace", "Cleo Diaz", "Dev Patel", "Ben Okafor"]),
        (Flag.PROMOTION_READY, ["Ada Lovelace"]),
        (Flag.NEAR_WINDOW, ["Cleo Diaz"]),
        (Flag.READY_OR_NEAR, ["Ada Lovelace", "Cleo Diaz"]),
        (Flag.IN_BAND, ["Dev Patel"]),
        (Flag.AT_RISK, ["Ben Okafor"]),
    ],
    ids=lambda v: v.value if isinstance(v, Flag) else None,
)
def test_readiness_at_keeps_the_people_carrying_the_flag_closest_first(wh, flag, expected):
    assert names(queries.readiness_at(wh, Filters(JUNE), flag)) == expected


def test_readiness_at_defaults_to_everyone_judged_and_honours_the_filters(wh):
    assert names(queries.readiness_at(wh, Filters(JUNE, teams=("Edge",)))) == [
        "Cleo Diaz",
        "Dev Patel",
    ]
    assert names(queries.readiness_at(wh, Filters(JUNE, teams=("Edge",)), Flag.AT_RISK)) == []


def test_readiness_at_carries_the_counters_and_the_person(wh):
    ready = queries.readiness_at(wh, Filters(JUNE), Flag.READY_OR_NEAR)
    assert rows(
        ready,
        "engineer_id",
        "team",
        "manager_name",
        "level",
        "months_at_level",
        "months_at_next",
        "promotion_ready",
        "near_window",
        "projected_window_month",
    ) == [
        # Judged from January 2024, when the data starts: nothing is presumed before it.
        ("E1", "Core", "Mara Boss", "IC2", 6, 2, True, False, None),
        # Cleo's January volume missed the IC1 bar (4 tickets, team median 100): the run at
        # IC1 restarts in February.
        ("E3", "Edge", "Ada Lovelace", "IC1", 5, 1, False, True, "2024-07-01"),
    ]


def test_readiness_at_gives_the_last_raise_or_promotion_from_the_warehouse(wh):
    everyone = queries.readiness_at(wh, Filters(JUNE)).sort_values("engineer_id")
    assert rows(everyone, "engineer_id", "last_raise", "last_raise_on") == [
        ("E1", None, None),  # a deferral is no raise
        ("E2", "promotion to IC2", "2024-04-15"),
        ("E3", None, None),
        ("E4", "in-band raise", "2023-02-01"),
    ]


def test_attainment_at_gives_level_shown_and_status_per_category_in_framework_order(wh):
    cells = queries.attainment_at(wh, Filters(JUNE))
    assert rows(
        cells, "engineer_id", "category", "current_level", "demonstrated_level", "status"
    ) == [
        ("E1", "Impact", "IC2", "IC3", "above"),
        ("E1", "Craft", "IC2", "IC3", "above"),
        ("E2", "Impact", "IC2", "IC1", "below"),
        ("E2", "Craft", "IC2", "IC2", "at"),
        ("E3", "Impact", "IC1", "IC2", "above"),
        ("E3", "Craft", "IC1", "IC2", "above"),
        ("E4", "Impact", "IC2", "IC2", "at"),
        ("E4", "Craft", "IC2", "IC3", "above"),
    ]


def test_still_short_in_lists_categories_below_the_next_level_in_framework_order(wh):
    assert rows(
        queries.still_short_in(wh, Filters(JUNE)), "engineer_id", "next_level", "still_short_in"
    ) == [
        ("E1", "IC3", None),
        ("E2", "IC3", "Impact, Craft"),
        ("E3", "IC2", None),
        ("E4", "IC3", "Impact"),
    ]


def test_still_short_in_leaves_out_the_top_level(wh):
    short = queries.still_short_in(wh, Filters(MARCH))
    assert "E5" not in short["engineer_id"].tolist()  # Eve holds IC3, the top
    assert len(short) == 4


def test_trajectories_give_the_sla_figure_as_the_rule_judged_each_month(wh):
    months = queries.trajectories(wh, ["E2", "E3"], JUNE, 3)
    assert rows(
        months,
        "engineer_id",
        "month",
        "sla_adherence",
        "sla_sample",
        "judged",
        "not_judged_because",
    ) == [
        ("E2", "2024-04-01", 0.95, 100, False, "level changed during the month"),
        ("E2", "2024-05-01", 0.85, 100, True, None),
        ("E2", "2024-06-01", 0.85, 100, True, None),
        ("E3", "2024-04-01", 0.93, 100, True, None),
        ("E3", "2024-05-01", 0.93, 100, True, None),
        ("E3", "2024-06-01", 0.93, 100, True, None),
    ]


def test_trajectories_grey_out_a_month_with_too_few_tickets(wh):
    months = queries.trajectories(wh, ["E3"], date(2024, 1, 1), 1)
    assert rows(months, "month", "sla_sample", "judged", "not_judged_because") == [
        ("2024-01-01", 4, False, "too few tickets (4 < 5)")
    ]


def test_trajectories_of_nobody_are_empty(wh):
    assert queries.trajectories(wh, [], JUNE, 3).empty


# --- evidence -------------------------------------------------------------------------------


def test_evidence_coverage_compares_levels_by_framework_rank(wh):
    coverage = queries.evidence_coverage(wh, Filters(JUNE))
    assert rows(
        coverage,
        "thinnest_order",
        "engineer_id",
        "level",
        "category",
        "months_since_current",
        "months_since_next",
    ) == [
        # Thinnest first: no example ever at their level in some category, then the longest gap.
        (1, "E2", "IC2", "Impact", None, None),  # a concern is no example
        (1, "E2", "IC2", "Craft", 5, None),
        (2, "E4", "IC2", "Impact", None, None),
        (2, "E4", "IC2", "Craft", 1, 1),
        (3, "E1", "IC2", "Impact", 1, 1),
        (3, "E1", "IC2", "Craft", 1, 1),
        (4, "E3", "IC1", "Impact", 0, 0),  # IC2 examples count at IC1 and at the next level
        (4, "E3", "IC1", "Craft", 0, 0),
    ]


def test_evidence_coverage_ignores_evidence_after_the_month(wh):
    coverage = queries.evidence_coverage(wh, Filters(MARCH, teams=("Core",)))
    assert rows(
        coverage, "engineer_id", "category", "months_since_current", "months_since_next"
    ) == [
        ("E1", "Impact", None, None),
        ("E1", "Craft", None, None),
        ("E2", "Impact", None, None),
        ("E2", "Craft", 2, 2),  # IC1 in March: the IC2 example is also at the next level
    ]


def test_evidence_per_manager_sets_each_manager_next_to_the_team_rate(wh):
    per_manager = queries.evidence_per_manager(wh, Filters(JUNE), 6)
    assert rows(
        per_manager,
        "team",
        "manager_id",
        "manager_name",
        "engineers",
        "items",
        "items_per_engineer",
        "team_items_per_engineer",
    ) == [
        ("Core", "M1", "Mara Boss", 2, 4, 2.0, 2.0),
        ("Edge", "E1", "Ada Lovelace", 1, 2, 2.0, 1.5),
        ("Edge", "M1", "Mara Boss", 1, 1, 1.0, 1.5),
    ]


def test_evidence_per_manager_counts_only_the_window(wh):
    per_manager = queries.evidence_per_manager(wh, Filters(JUNE, teams=("Core",)), 1)
    assert rows(per_manager, "manager_id", "engineers", "items") == [("M1", 2, 1)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("triage", ["EV3", "EV2"]),
        ("TRIAGE", ["EV3", "EV2"]),
        ("  ben ", ["EV7", "EV6"]),
        ("peer", ["EV2", "EV6"]),
        ("craft", ["EV4", "EV5", "EV2", "EV6"]),
        ("100%", []),
        ("", ["EV3", "EV4", "EV7", "EV5", "EV1", "EV2", "EV6"]),
    ],
    ids=["summary", "any-case", "name", "source", "category", "no-wildcards", "empty-is-all"],
)
def test_evidence_search_finds_items_about_people_in_view_newest_first(wh, text, expected):
    found = queries.evidence_search(wh, Filters(JUNE), text)
    by_summary = {s: i for i, _, _, _, _, _, s, _ in EVIDENCE}
    assert [by_summary[s] for s in found["summary"]] == expected


def test_evidence_search_stops_at_the_limit(wh):
    assert len(queries.evidence_search(wh, Filters(JUNE), "", limit=2)) == 2


# --- one engineer ---------------------------------------------------------------------------


def test_engineer_months_judged_gives_the_assessed_months_of_the_window(wh):
    months = queries.engineer_months_judged(wh, "E2", JUNE, 3)
    assert rows(
        months,
        "month",
        "level",
        "level_since",
        "judged",
        "not_judged_because",
        "whole_months_at_level",
        "judged_months_at_level",
        "sla_adherence",
    ) == [
        ("2024-04-01", "IC2", "2024-04-15", False, "level changed during the month", 0, 0, 0.95),
        ("2024-05-01", "IC2", "2024-04-15", True, None, 1, 1, 0.85),
        ("2024-06-01", "IC2", "2024-04-15", True, None, 2, 2, 0.85),
    ]


def test_engineer_bar_checks_give_each_bar_as_applied_to_the_person(wh):
    checks = queries.engineer_bar_checks(wh, "E1", "volume_ratio", JUNE, 1)
    assert list(checks.columns) == [
        "month",
        "bar_level",
        "bar_rank",
        "category",
        "metric",
        "op",
        "framework_value",
        "bar_value",
        "adjustment",
        "observed",
        "sample",
        "judged",
        "not_judged_because",
        "meets",
    ]
    # Ada leads Core: her volume bar is halved; Core's median counts Ben only.
    assert rows(checks, *checks.columns) == [
        (
            "2024-06-01",
            "IC1",
            0,
            "Impact",
            "volume_ratio",
            ">=",
            0.5,
            0.25,
            "team lead: bar scaled by 0.5",
            1.0,
            100,
            True,
            None,
            True,
        )
    ]


def test_engineer_bar_checks_keep_to_the_metric_and_the_window(wh):
    checks = queries.engineer_bar_checks(wh, "E2", "sla_adherence", JUNE, 2)
    assert rows(checks, "month", "bar_level", "bar_value", "observed", "meets") == [
        ("2024-05-01", "IC1", 0.8, 0.85, True),
        ("2024-05-01", "IC2", 0.9, 0.85, False),
        ("2024-05-01", "IC3", 0.95, 0.85, False),
        ("2024-06-01", "IC1", 0.8, 0.85, True),
        ("2024-06-01", "IC2", 0.9, 0.85, False),
        ("2024-06-01", "IC3", 0.95, 0.85, False),
    ]


def test_engineer_stints_fold_a_re_recorded_level(wh):
    assert rows(
        queries.engineer_stints(wh, "E1", JUNE), "level", "started_on", "ended_on", "change"
    ) == [("IC2", "2023-01-01", None, "hire")]
    assert rows(
        queries.engineer_stints(wh, "E2", JUNE),
        "level",
        "level_rank",
        "started_on",
        "ended_on",
        "change",
        "from_level",
    ) == [
        ("IC1", 0, "2023-06-01", "2024-04-14", "hire", None),
        ("IC2", 1, "2024-04-15", None, "promotion", "IC1"),
    ]


def test_a_view_as_of_a_month_shows_no_level_change_or_decision_after_it(wh):
    # Seen as of March, Ben's promotion of April 15 has not happened: no end, no next stint.
    assert rows(queries.engineer_stints(wh, "E2", MARCH), "level", "ended_on") == [("IC1", None)]
    assert queries.engineer_decisions(wh, "E1", date(2023, 12, 1)).empty
    assert not queries.engineer_decisions(wh, "E1", JUNE).empty


def test_engineer_readiness_runs_up_to_the_month(wh):
    readiness = queries.engineer_readiness(wh, "E4", JUNE)
    assert _plain(readiness["month"].iloc[0]) == "2024-01-01"  # the first month with data
    assert rows(readiness.tail(2), "month", "flags", "months_with_categories_above") == [
        ("2024-05-01", "", 1),
        ("2024-06-01", "in-band", 2),
    ]


def test_engineer_attainment_gives_the_window_by_month_and_framework_category(wh):
    cells = queries.engineer_attainment(wh, "E3", JUNE, 2)
    assert rows(cells, "month", "category", "demonstrated_level", "status", "judged") == [
        ("2024-05-01", "Impact", "IC1", "at", True),
        ("2024-05-01", "Craft", "IC1", "at", True),
        ("2024-06-01", "Impact", "IC2", "above", True),
        ("2024-06-01", "Craft", "IC2", "above", True),
    ]


def test_engineer_attainment_shows_no_level_for_a_month_not_judged(wh):
    cells = queries.engineer_attainment(wh, "E2", APRIL, 1)
    assert rows(cells, "category", "demonstrated_level", "status", "not_judged_because") == [
        ("Impact", None, "not judged", "level changed during the month"),
        ("Craft", None, "not judged", "level changed during the month"),
    ]


def test_engineer_evidence_and_decisions_newest_first(wh):
    assert queries.engineer_evidence(wh, "E2", JUNE)["evidence_id"].tolist() == ["EV7", "EV6"]
    assert queries.engineer_evidence(wh, "E2", MARCH)["evidence_id"].tolist() == ["EV6"]
    assert rows(queries.engineer_decisions(wh, "E4", JUNE), "decided_on", "decision") == [
        ("2023-02-01", "in_band_raise")
    ]


# --- the build, the framework and the sidebar -----------------------------------------------


def test_framework_reads_levels_and_categories_in_rank_order(wh):
    fw = queries.framework(wh)
    assert fw.levels == ("IC1", "IC2", "IC3")
    assert fw.categories == ("Impact", "Craft")
    assert [fw.rank(lv) for lv in ("IC1", "IC3", "below IC1")] == [0, 2, -1]
    assert fw.setting("promotion_months_at_next") == 2
    assert rows(fw.bars_for_metric("sla_adherence"), "level", "value") == [
        ("IC1", 0.8),
        ("IC2", 0.9),
        ("IC3", 0.95),
    ]
    assert rows(fw.expectations, "level", "category", "label") == [
        ("IC1", "Impact", "Solves tickets with the playbook")
    ]


def test_sidebar_options_and_months(wh):
    options = queries.filter_options(wh, JUNE)
    assert options["teams"]["team"].tolist() == ["Core", "Edge"]
    assert options["regions"]["region"].tolist() == ["AMER", "APAC", "EMEA"]
    assert rows(options["managers"], "manager_id", "manager_name") == [
        ("E1", "Ada Lovelace"),
        ("M1", "Mara Boss"),
    ]
    months = queries.as_of_months(wh)
    assert months[0] == JUNE and months[-1] == date(2024, 1, 1) and len(months) == 6
    assert queries.build_as_of(wh) == JUNE


def test_build_record_files_and_rejected_rows(wh):
    build = queries.latest_build(wh)
    assert build["build_id"] == wh.build_id and build["as_of_month"] == "2024-06"
    assert queries.builds(wh)["build_id"].tolist() == [wh.build_id]
    files = queries.build_files(wh, wh.build_id)
    assert rows(
        files.loc[files["file"].notna()], "table_name", "file", "rows_loaded", "rows_rejected"
    ) == [
        ("decisions", "decisions.csv", 2, 1),
        ("engineers", "engineers.csv", 6, 0),
        ("evidence", "evidence.csv", 8, 0),
        ("levels", "levels.csv", 7, 0),
        ("monthly_metrics", "monthly_metrics.csv", 28, 0),
    ]
    rejected = queries.rejected_rows(wh, wh.build_id)
    assert rows(rejected, "table_name", "file", "line", "column", "value") == [
        ("decisions", "decisions.csv", 4, "engineer_id", "E9")
    ]
    assert "unknown engineer E9" in rejected["reason"].iloc[0]


# --- the shape of the query layer -----------------------------------------------------------


def _public_functions():
    return [
        fn
        for name, fn in inspect.getmembers(queries, inspect.isfunction)
        if fn.__module__ == queries.__name__
    ]


def test_no_query_function_takes_sql_or_a_where_clause():
    for fn in _public_functions():
        params = set(inspect.signature(fn).parameters)
        assert not params & {"sql", "where", "query", "clause"}, fn.__name__


def test_every_sql_file_is_run_by_some_function():
    source = inspect.getsource(queries)
    run = set(re.findall(r'_run\(\s*wh,\s*"([a-z_]+)"', source)) | {queries.ROSTER}
    # A shared CTE runs inside the queries it is put in front of.
    fronted = {cte for name in run for cte in queries.FRAGMENTS.get(name, ())}
    files = {p.stem for p in queries.SQL_DIR.glob("*.sql")}
    assert files == run | fronted


def test_every_sql_file_says_what_it_answers_and_binds_by_name():
    for path in queries.SQL_DIR.glob("*.sql"):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("-- "), f"{path.name} starts with a comment saying its question"
        code = re.sub(r"--[^\n]*", "", text)
        assert "?" not in code, f"{path.name} uses a positional parameter"
        assert not re.search(r"\b(SELECT|FROM|WHERE|JOIN|GROUP BY|ORDER BY)\b", code), (
            f"{path.name}: keywords are lowercase"
        )


def test_a_query_refuses_parameters_it_does_not_bind(wh):
    with pytest.raises(TypeError, match="unknown"):
        queries._run(wh, "engineer_stints", engineer_id="E1", month=JUNE, months=3)
    with pytest.raises(TypeError, match="missing"):
        queries._run(wh, "engineer_stints")


def test_rejected_rows_list_root_causes_before_the_rows_that_went_with_them(tmp_path):
    from pipelines.load.build import build
    from tests.pipeline_fixtures import ENGINEERS, make_source, write_csv

    source = make_source(tmp_path / "source")
    broken = [dict(e, engineer_id="E1 ") if e["engineer_id"] == "E1" else e for e in ENGINEERS]
    write_csv(source / "engineers.csv", list(ENGINEERS[0]), broken)
    path = tmp_path / "warehouse.duckdb"
    build(source, path)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(warehouse.WAREHOUSE_ENV, str(path))
        wh = warehouse.current().scoped(everyone())
        rejected = queries.rejected_rows(wh, wh.build_id)
    assert rows(rejected, "file", "line", "caused_by") == [
        ("engineers.csv", 3, None),
        ("levels.csv", 2, "engineers.csv line 3"),
        ("tickets.csv", 2, "engineers.csv line 3"),
        ("tickets.csv", 3, "engineers.csv line 3"),
        ("tickets.csv", 6, "engineers.csv line 3"),
    ]


# --- the viewer's scope -----------------------------------------------------------------------


def scope_of(wh, email: str):
    """The scope the dashboard gives `email` in June, resolved from the warehouse's roster."""
    from pipelines.access import AccessPolicy, resolve_scope

    cursor = wh.con.cursor()
    cursor.execute(f"use {warehouse.ALIAS}")
    return resolve_scope(cursor, AccessPolicy(source="test"), email, month=JUNE)


@pytest.fixture(scope="module")
def ada(wh):
    """Ada manages Cleo (and reports to Mara): she sees the two of them."""
    return wh.scoped(scope_of(wh, "E1@example.com"))


def test_a_manager_sees_only_their_subtree_in_every_list(ada):
    assert sorted(queries.roster(ada, Filters(month=JUNE))["engineer_id"]) == ["E1", "E3"]
    options = queries.filter_options(ada, JUNE)
    assert options["teams"]["team"].tolist() == ["Core", "Edge"]
    # Mara is Ada's own manager: named on Ada's row, but not a filter over people Ada can't see.
    assert rows(options["managers"], "manager_id", "manager_name") == [("E1", "Ada Lovelace")]
    people = queries.roster(ada, Filters(month=JUNE)).set_index("engineer_id")
    assert people.loc["E1", "manager_name"] == "Mara Boss"
    assert queries.team_kpis(ada, Filters(month=JUNE), JUNE)["headcount"] == 2
    assert set(queries.readiness_at(ada, Filters(month=JUNE))["engineer_id"]) <= {"E1", "E3"}


def test_a_question_about_someone_outside_the_scope_is_refused(ada):
    with pytest.raises(queries.OutOfScope):
        queries.engineer_readiness(ada, "E2", JUNE)
    with pytest.raises(queries.OutOfScope):
        queries.trajectories(ada, ["E1", "E2"], JUNE, 6)
    assert not queries.engineer_readiness(ada, "E3", JUNE).empty


def test_the_build_records_are_only_for_viewers_who_see_everyone(wh, ada):
    with pytest.raises(queries.OutOfScope):
        queries.rejected_rows(ada, wh.build_id)
    assert not queries.builds(wh).empty


def test_a_handle_without_a_scope_answers_nothing_about_people(wh):
    unscoped = warehouse.current()
    with pytest.raises(queries.Unscoped):
        queries.roster(unscoped, Filters(month=JUNE))
    with pytest.raises(queries.Unscoped):
        queries.engineer_stints(unscoped, "E1", JUNE)
    assert queries.framework(unscoped).levels  # the framework names nobody


def test_every_query_file_declares_what_it_may_show():
    shared = {queries.ROSTER} | {c for ctes in queries.FRAGMENTS.values() for c in ctes}
    files = {p.stem for p in queries.SQL_DIR.glob("*.sql")} - shared
    assert files == set(queries.ACCESS)


def test_a_team_median_over_too_few_people_is_hidden_from_a_partial_view(wh, ada):
    # Edge's median is over Cleo and Dev only: Ada may see Cleo's own ticket count, but not the
    # median, nor the volume ratio that gives it back (tickets / ratio), nor a reason quoting it.
    mine = queries.engineer_attainment(ada, "E3", JUNE, 3)
    assert mine[["team_median_solved", "volume_ratio"]].isna().all().all()
    assert mine["tickets_solved"].notna().all()
    volume = queries.engineer_bar_checks(ada, "E3", "volume_ratio", JUNE, 3)
    assert volume[["observed", "sample"]].isna().all().all()
    months = queries.engineer_months_judged(ada, "E3", JUNE, 3)
    assert months[["team_median_solved", "volume_ratio"]].isna().all().all()
    for reason in queries.engineer_readiness(ada, "E3", JUNE)["reason"].dropna():
        assert not re.search(r"median( of)? [0-9]", reason)
    full = queries.engineer_attainment(wh, "E3", JUNE, 3)
    assert full[["team_median_solved", "volume_ratio"]].notna().all().all()


def test_names_of_people_outside_the_view_are_blanked_out_of_free_text(ada):
    notes = pd.DataFrame(
        {
            "note": [
                "Paired with Ben Okafor on the outage",
                "ben okafor's idea",
                None,
                "Cleo Diaz led it; Mara Boss agreed",
                "Bent rules",
            ]
        }
    )
    shown = queries._scrubbed(ada, notes, "note")["note"].tolist()
    assert pd.isna(shown.pop(2))
    assert shown == [
        f"Paired with {queries.HIDDEN_NAME} on the outage",
        f"{queries.HIDDEN_NAME}'s idea",
        "Cleo Diaz led it; Mara Boss agreed",  # in view, and Ada's own manager
        "Bent rules",
    ]
