"""Golden rows for the team × measure table and CSAT (rungs_ui.queries.team_measures,
engineer_csat), on the small org of tests/test_queries.py with satisfaction ratings added.

June 2024, by hand (Eve left in April):

- Core: Ada 97/100 SLA met, 8 h, 45 good 5 bad; Ben 85/100, 12 h, 30 good 10 bad.
  SLA 182/200 = 91%, open time median(8, 12) = 10 h, CSAT 75/90, 200 solved;
  Ada is promotion-ready, Ben at risk.
- Edge: Cleo 93/100, 10 h, 20 good 0 bad; Dev 92/100, 11 h, no ratings.
  SLA 185/200 = 92.5%, open time median(10, 11) = 10.5 h, CSAT 20/20, 200 solved;
  Cleo near a window, Dev an in-band candidate.

The lowest SLA bar is IC1's 80%; this ladder adds one open-time bar, IC3's 10 h or less, so
Core's 10 h meets it and Edge's 10.5 h does not.
"""

from __future__ import annotations

import dataclasses
import math

import duckdb
import pytest

from pipelines.access import everyone
from rungs_ui import formats, queries, warehouse
from rungs_ui.queries import Filters
from tests.pipeline_fixtures import write_csv
from tests.test_pages import everything_shown, no_errors, on_page, open_app
from tests.test_queries import FRAMEWORK, JUNE, _metrics, rows, write_org

OPEN_TIME_BAR = """
[[bars]]
level = "IC3"
category = "Impact"
metric = "median_open_hours"
op = "<="
value = 10.0
label = "Open 10 h or less"
"""
# good, bad satisfaction ratings every month, per engineer.
CSAT = {"E1": (45, 5), "E2": (30, 10), "E3": (20, 0), "E4": (0, 0), "E5": (9, 1)}


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    from pipelines.load.build import build

    root = tmp_path_factory.mktemp("team_measures")
    framework = root / "framework.toml"
    # The bar goes before [rules]: a table after it would end the bars array.
    ladder, rules = FRAMEWORK.split("[rules]")
    framework.write_text(ladder + OPEN_TIME_BAR + "\n[rules]" + rules, encoding="utf-8")
    source = write_org(root / "source")
    write_csv(
        source / "monthly_metrics.csv",
        [
            "engineer_id",
            "month",
            "tickets_solved",
            "sla_met",
            "sla_breached",
            "median_open_hours",
            "csat_good",
            "csat_bad",
        ],
        [(*row, *CSAT[row[0]]) for row in _metrics()],
    )
    path = root / "warehouse.duckdb"
    build(source, path, framework_path=framework)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(warehouse.WAREHOUSE_ENV, str(path))
        yield warehouse.current().scoped(everyone())


def test_one_row_per_team_with_its_pooled_measures(wh):
    teams = queries.team_measures(wh, Filters(JUNE))
    assert rows(
        teams,
        "team",
        "headcount",
        "sla_adherence",
        "sla_sample",
        "median_open_hours",
        "csat",
        "csat_sample",
        "tickets_solved",
    ) == [
        ("Core", 2, 0.91, 200, 10.0, round(75 / 90, 4), 90, 200),
        ("Edge", 2, 0.925, 200, 10.5, 1.0, 20, 200),
    ]


def test_flag_counts_per_team_are_the_readiness_flags_of_its_people(wh):
    teams = queries.team_measures(wh, Filters(JUNE))
    assert rows(teams, "team", "ready", "near", "in_band", "at_risk") == [
        ("Core", 1, 0, 0, 1),
        ("Edge", 0, 1, 1, 0),
    ]


def test_sla_and_open_time_are_set_against_the_lowest_bar_of_each(wh):
    teams = queries.team_measures(wh, Filters(JUNE))
    assert rows(
        teams,
        "team",
        "sla_bar_level",
        "sla_bar",
        "sla_meets_bar",
        "open_time_bar_level",
        "open_time_bar",
        "open_time_meets_bar",
    ) == [
        ("Core", "IC1", 0.8, True, "IC3", 10.0, True),
        ("Edge", "IC1", 0.8, True, "IC3", 10.0, False),
    ]


def test_filters_narrow_the_people_a_team_row_is_over(wh):
    amer = queries.team_measures(wh, Filters(JUNE, regions=("AMER",)))
    # Only Ben: his own SLA, open time and ratings.
    assert rows(amer, "team", "headcount", "sla_adherence", "median_open_hours", "csat") == [
        ("Core", 1, 0.85, 12.0, 0.75)
    ]


def test_a_scoped_viewer_gets_only_the_people_they_may_see(wh):
    scope = dataclasses.replace(
        wh.scope, everyone=False, people=frozenset({"E3"}), role="manager", viewer="ada"
    )
    teams = queries.team_measures(wh.scoped(scope), Filters(JUNE))
    assert rows(teams, "team", "headcount", "sla_adherence", "csat_sample") == [
        ("Edge", 1, 0.93, 20)
    ]


def test_engineer_csat_is_good_over_rated_over_the_window(wh):
    # Ada over April to June: 3 × 45 good, 3 × 5 bad.
    ada = queries.engineer_csat(wh, "E1", JUNE, months=3)
    assert (ada["csat_good"], ada["csat_bad"], ada["csat_sample"]) == (135, 15, 150)
    assert ada["csat"] == pytest.approx(0.9)


def test_engineer_csat_without_ratings_has_no_share(wh):
    dev = queries.engineer_csat(wh, "E4", JUNE, months=6)
    assert dev["csat_sample"] == 0
    assert dev["csat"] is None or math.isnan(dev["csat"])


def test_engineer_csat_is_refused_for_someone_outside_the_view(wh):
    scope = dataclasses.replace(wh.scope, everyone=False, people=frozenset({"E3"}))
    with pytest.raises(queries.OutOfScope):
        queries.engineer_csat(wh.scoped(scope), "E1", JUNE, months=3)


def test_team_names_are_every_team_whatever_the_filters(wh):
    assert queries.team_names(wh) == ["Core", "Edge"]


def test_team_csat_pools_the_ratings_of_everyone_in_view(wh):
    june = queries.team_kpis(wh, Filters(JUNE), JUNE)
    assert (june["csat_sample"], round(june["csat"], 4)) == (110, round(95 / 110, 4))


def test_team_csat_of_nobody_rated_has_no_share(wh):
    dev = queries.team_kpis(wh, Filters(JUNE, teams=("Edge",), regions=("APAC",)), JUNE)
    assert dev["csat_sample"] == 20  # Cleo's ratings; Dev has none
    nobody = queries.team_kpis(wh, Filters(JUNE, teams=("Nowhere",)), JUNE)
    assert nobody["csat_sample"] == 0
    assert nobody["csat"] is None or math.isnan(nobody["csat"])


def test_evidence_names_its_recorder_not_their_id(wh):
    evidence = queries.engineer_evidence(wh, "E1", JUNE)
    assert set(evidence["recorded_by"]) == {"Mara Boss"}


# --- the Team health page, run through AppTest on the demo warehouse -------------------------


def _warehouse_rows(path, sql: str):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


AS_OF = "cast((select as_of_month from builds order by built_at desc limit 1) || '-01' as date)"


def test_team_health_shows_each_team_and_csat_with_the_warehouse_numbers(
    monkeypatch, fixture_warehouse
):
    expected = _warehouse_rows(
        fixture_warehouse,
        "select team, sum(sla_met) / sum(sla_sample) as sla, "
        "sum(csat_good) / nullif(sum(csat_good + csat_bad), 0) as csat, "
        "sum(tickets_solved) as solved "
        f"from engineer_months where month = {AS_OF} group by team order by team",
    )
    org = _warehouse_rows(
        fixture_warehouse,
        "select sum(csat_good) / sum(csat_good + csat_bad) as csat, "
        "sum(csat_good + csat_bad) as rated "
        f"from engineer_months where month = {AS_OF}",
    ).iloc[0]
    at = on_page(open_app(monkeypatch, fixture_warehouse), "pages/team/team_health.py")
    no_errors(at)

    table = next(df.value for df in at.dataframe if "csat" in df.value.columns)
    assert table["team"].tolist() == expected["team"].tolist()
    assert table["sla_adherence"].round(4).tolist() == expected["sla"].round(4).tolist()
    assert table["csat"].round(4).tolist() == expected["csat"].round(4).tolist()
    assert table["tickets_solved"].tolist() == expected["solved"].tolist()

    csat = next(m for m in at.metric if m.label == "CSAT")
    assert csat.value == formats.percent(org["csat"])
    assert formats.count(org["rated"]) in everything_shown(at)
