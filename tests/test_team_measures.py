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
import re
from types import SimpleNamespace

import duckdb
import pandas as pd
import pytest

from pipelines.access import everyone
from rungs_ui import charts, formats, queries, theme, warehouse
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


def test_sla_and_open_time_are_set_against_each_persons_own_bar(wh):
    # Core: Ada and Ben both hold IC2 (90%), Ben missing it with 85/100; Edge: Cleo's IC1 80%
    # and Dev's IC2 90%, 100 SLA tickets each, so 85%. Nobody in view holds IC3, the only level
    # with an open-time bar: no open-time gap.
    teams = queries.team_measures(wh, Filters(JUNE))
    assert rows(
        teams,
        "attention_rank",
        "team",
        "sla_expected",
        "sla_gap",
        "below_sla_bar",
        "open_time_gap",
        "open_time_gap_people",
        "below_own_bar",
    ) == [
        (1, "Core", 0.9, 0.01, 1, None, 0, 1),
        (2, "Edge", 0.85, 0.075, 0, None, 0, 0),
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


# --- ranking teams against the bars of their own level mix ----------------------------------
#
# A second tiny org on the default ladder's bars (SLA: IC1 90%, IC2 94%, IC3 96%; open time
# 20 h or less from IC2), May and June 2024 alike:
#
# - Floor: two IC1s at 91/100 SLA each, 25 h and 30 h (no open-time bar at IC1).
#   SLA 182/200 = 91% against its own bars of 90%: +1.0 point.
# - Senior: Sam (IC3) 95/100 at 18 h, Tia (IC3) 96/100 at 22 h, Uma (IC2) 47/50 at 15 h.
#   SLA 238/250 = 95.2%. Its own bars, weighted by SLA tickets:
#   (96% x 100 + 96% x 100 + 94% x 50) / 250 = 239/250 = 95.6%, so -0.4 points (an unweighted
#   mean of the bars, 95.33%, would say -0.13). Sam is below his own bar (95% < 96%).
#   Open time against own bars: 18-20 = -2, 22-20 = +2, 15-20 = -5; the middle is -2 h; Tia is
#   above her 20 h.
# - Quiet: one IC2 who solved 3 tickets, none with an SLA: no SLA figure, ranked last.
#
# Against the floor (IC1's 90%) Senior is 5.2 points clear and Floor only 1; against their own
# bars Senior is the one below, so it ranks first.

MIX_FRAMEWORK = """
[framework]
name = "Mixed ladder"
version = "m1"
timezone = "UTC"
levels = ["IC1", "IC2", "IC3"]
categories = ["Impact", "Scope"]

[[bars]]
level = "IC1"
category = "Impact"
metric = "sla_adherence"
op = ">="
value = 0.90
label = "SLA 90%"

[[bars]]
level = "IC2"
category = "Impact"
metric = "median_open_hours"
op = "<="
value = 20
label = "Open 20 h or less"

[[bars]]
level = "IC2"
category = "Scope"
metric = "sla_adherence"
op = ">="
value = 0.94
label = "SLA 94%"

[[bars]]
level = "IC3"
category = "Scope"
metric = "sla_adherence"
op = ">="
value = 0.96
label = "SLA 96%"

[rules]
onboarding_months = 0
min_sample = 5
"""
MIX_ENGINEERS = [
    # engineer_id, name, team, level
    ("F1", "Fay Floor", "Floor", "IC1"),
    ("F2", "Gus Floor", "Floor", "IC1"),
    ("S1", "Sam Senior", "Senior", "IC3"),
    ("S2", "Tia Senior", "Senior", "IC3"),
    ("S3", "Uma Senior", "Senior", "IC2"),
    ("Q1", "Quin Quiet", "Quiet", "IC2"),
]
# engineer_id -> tickets_solved, sla_met, sla_breached, median_open_hours
MIX_METRICS = {
    "F1": (100, 91, 9, 25.0),
    "F2": (100, 91, 9, 30.0),
    "S1": (100, 95, 5, 18.0),
    "S2": (100, 96, 4, 22.0),
    "S3": (50, 47, 3, 15.0),
    "Q1": (3, 0, 0, 9.0),
}


@pytest.fixture(scope="module")
def mix_wh(tmp_path_factory):
    from pipelines.load.build import build

    root = tmp_path_factory.mktemp("team_mix")
    framework = root / "framework.toml"
    framework.write_text(MIX_FRAMEWORK, encoding="utf-8")
    source = root / "source"
    source.mkdir()
    write_csv(
        source / "engineers.csv",
        ["engineer_id", "name", "email", "team", "region", "manager_id", "hire_date"],
        [
            (e, n, f"{e.lower()}@example.com", t, "EMEA", "", "2023-01-01")
            for e, n, t, _ in MIX_ENGINEERS
        ],
    )
    write_csv(
        source / "levels.csv",
        ["engineer_id", "level", "effective_on"],
        [(e, lv, "2023-01-01") for e, _, _, lv in MIX_ENGINEERS],
    )
    write_csv(
        source / "monthly_metrics.csv",
        ["engineer_id", "month", "tickets_solved", "sla_met", "sla_breached", "median_open_hours"],
        [(e, month, *MIX_METRICS[e]) for month in ("2024-05", "2024-06") for e in MIX_METRICS],
    )
    path = root / "warehouse.duckdb"
    build(source, path, framework_path=framework)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(warehouse.WAREHOUSE_ENV, str(path))
        yield warehouse.current().scoped(everyone())


def test_teams_rank_by_their_gap_to_their_own_level_mix_not_to_the_floor(mix_wh):
    teams = queries.team_measures(mix_wh, Filters(JUNE))
    assert rows(
        teams,
        "attention_rank",
        "team",
        "sla_adherence",
        "sla_expected",
        "sla_gap",
        "below_sla_bar",
    ) == [
        (1, "Senior", 0.952, 0.956, -0.004, 1),
        (2, "Floor", 0.91, 0.9, 0.01, 0),
        (3, "Quiet", None, None, None, 0),
    ]


def test_open_time_gap_is_the_middle_of_each_persons_figure_less_own_bar(mix_wh):
    teams = queries.team_measures(mix_wh, Filters(JUNE))
    assert rows(
        teams,
        "team",
        "median_open_hours",
        "open_time_gap",
        "open_time_gap_people",
        "below_open_time_bar",
        "below_own_bar",
    ) == [
        ("Senior", 18.0, -2.0, 3, 1, 2),  # Sam below on SLA, Tia on open time
        ("Floor", 27.5, None, 0, 0, 0),  # IC1 carries no open-time bar
        ("Quiet", 9.0, -11.0, 1, 0, 0),
    ]


def test_team_trends_carry_each_months_gap_to_the_teams_own_bars(mix_wh):
    trends = queries.team_trends(mix_wh, Filters(JUNE), months=2)
    assert rows(trends, "team", "month", "sla_adherence", "sla_expected", "sla_gap") == [
        ("Floor", "2024-05-01", 0.91, 0.9, 0.01),
        ("Floor", "2024-06-01", 0.91, 0.9, 0.01),
        ("Quiet", "2024-05-01", None, None, None),
        ("Quiet", "2024-06-01", None, None, None),
        ("Senior", "2024-05-01", 0.952, 0.956, -0.004),
        ("Senior", "2024-06-01", 0.952, 0.956, -0.004),
    ]


def test_a_level_filter_sets_a_team_against_the_bars_of_the_people_left_in_view(mix_wh):
    # Only Senior's IC3s: (95 + 96) / 200 against 96%.
    teams = queries.team_measures(mix_wh, Filters(JUNE, levels=("IC3",)))
    assert rows(teams, "team", "sla_adherence", "sla_expected", "sla_gap") == [
        ("Senior", 0.955, 0.96, -0.005)
    ]


def test_a_teams_people_each_stand_against_their_own_bar_those_below_first(mix_wh):
    people = queries.team_people(mix_wh, Filters(JUNE, teams=("Senior",)))
    assert rows(
        people,
        "engineer_id",
        "level",
        "sla_adherence",
        "sla_bar",
        "below_sla_bar",
        "median_open_hours",
        "open_time_bar",
        "below_open_time_bar",
    ) == [
        ("S1", "IC3", 0.95, 0.96, True, 18.0, 20.0, False),
        ("S2", "IC3", 0.96, 0.96, False, 22.0, 20.0, True),
        ("S3", "IC2", 0.94, 0.94, False, 15.0, 20.0, False),
    ]
    floor = queries.team_people(mix_wh, Filters(JUNE, teams=("Floor",)))
    # IC1 carries no open-time bar: the month's figure, against nothing.
    assert rows(floor, "engineer_id", "sla_bar", "median_open_hours", "open_time_bar") == [
        ("F1", 0.9, 25.0, None),
        ("F2", 0.9, 30.0, None),
    ]


def test_a_teams_people_are_only_those_the_viewer_may_see(mix_wh):
    scope = dataclasses.replace(
        mix_wh.scope, everyone=False, people=frozenset({"S2", "S3"}), role="manager", viewer="x"
    )
    people = queries.team_people(mix_wh.scoped(scope), Filters(JUNE, teams=("Senior",)))
    assert people["engineer_id"].tolist() == ["S2", "S3"]


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
    # The full table is built only once its expander is opened.
    assert not [df for df in at.dataframe if "csat" in df.value.columns]
    at.session_state["team-table"] = True
    at.run()
    no_errors(at)

    shown = next(df.value for df in at.dataframe if "csat" in df.value.columns)
    # Ranked: the team furthest below its own bars first.
    assert shown["attention_rank"].tolist() == list(range(1, len(shown) + 1))
    gaps = shown["sla_gap"].dropna().tolist()
    assert gaps == sorted(gaps)
    table = shown.sort_values("team").reset_index(drop=True)
    assert table["team"].tolist() == expected["team"].tolist()
    assert table["sla_adherence"].round(4).tolist() == expected["sla"].round(4).tolist()
    assert table["csat"].round(4).tolist() == expected["csat"].round(4).tolist()
    assert table["tickets_solved"].tolist() == expected["solved"].tolist()

    csat = next(m for m in at.metric if m.label == "CSAT")
    assert csat.value == formats.percent(org["csat"])
    assert formats.count(org["rated"]) in everything_shown(at)


# --- the ranked team chart (rungs_ui.charts.team_attention), on its Vega-Lite spec ------------

RANKED = pd.DataFrame(
    {
        "attention_rank": [1, 2, 3],
        "team": ["Senior", "Floor", "Quiet"],
        "headcount": [3, 2, 1],
        "sla_adherence": [0.952, 0.91, None],
        "sla_expected": [0.956, 0.90, None],
        "sla_gap": [-0.004, 0.01, None],
        "open_time_gap": [-2.0, None, -11.0],
        "below_own_bar": [2, 0, 0],
        "at_risk": [1, 0, 0],
    }
)
GAP_TRENDS = pd.DataFrame(
    {
        "team": ["Senior", "Senior", "Floor", "Floor"],
        "month": ["2024-05-01", "2024-06-01", "2024-05-01", "2024-06-01"],
        "sla_gap": [0.02, -0.004, None, 0.01],
    }
)
MIX = pd.DataFrame(
    {
        "team": ["Senior", "Senior", "Floor", "Quiet"],
        "level": ["IC2", "IC3", "IC1", "IC2"],
        "engineers": [1, 2, 2, 1],
    }
)
LADDER = ("IC1", "IC2", "IC3", "IC4", "IC5")


def _attention_spec() -> dict:
    return charts.team_attention(RANKED, GAP_TRENDS, MIX, LADDER).to_dict()


def _layers(spec: dict) -> list[dict]:
    return spec["layer"]


def _data(spec: dict, layer: dict) -> list[dict]:
    """A layer's rows: its own data, or the chart's team frame."""
    return spec["datasets"][layer.get("data", spec["data"])["name"]]


def _teams(spec: dict) -> list[dict]:
    """The team frame: the chart's one copy of the team rows."""
    return spec["datasets"][spec["data"]["name"]]


def _js(expr: str) -> str:
    """The few Vega expressions the chart writes, as Python: ternaries, isValid, ===, ||, !."""
    expr = expr.replace("===", "==").replace("||", " or ").replace("&&", " and ")
    expr = re.sub(r"isValid\(([^()]*)\)", r"(\1 is not None)", expr)
    expr = re.sub(r"!(datum\.\w+)", r"not \1", expr)
    expr = expr.replace("true", "True").replace("false", "False").replace("null", "None")
    ternary = re.compile(r"\(([^()?:]*) \? ([^()?:]*) : ([^()?:]*)\)")
    while ternary.search(expr):
        expr = ternary.sub(r"((\2) if (\1) else (\3))", expr)
    # The outermost ternaries, right to left: a ? b : c ? d : e.
    parts = re.split(r" \? | : ", expr)
    while len(parts) > 1:
        *rest, cond, then, other = parts
        parts = [*rest, f"(({then}) if ({cond}) else ({other}))"]
    return parts[0]


def _evaluate(expr: str, row: dict):
    functions = {"format": format, "abs": abs, "toString": str}
    return eval(_js(expr), {"datum": SimpleNamespace(**row), **functions})


def _derived(layer: dict, rows: list[dict], lookups: dict[str, list[dict]]) -> list[dict]:
    """A layer's transforms (lookup, fold, calculate, filter) run over `rows` as Vega would."""
    for step in layer.get("transform", []):
        if "lookup" in step:
            source = {r[step["from"]["key"]]: r for r in lookups[step["from"]["data"]["name"]]}
            rows = [
                {**r, **{f: source[r[step["lookup"]]][f] for f in step["from"]["fields"]}}
                for r in rows
            ]
        elif "fold" in step:
            key, value = step["as"]
            rows = [{**r, key: f, value: r[f]} for r in rows for f in step["fold"]]
        elif "calculate" in step:
            rows = [{**r, step["as"]: _evaluate(step["calculate"], r)} for r in rows]
        elif "filter" in step:
            rows = [r for r in rows if _evaluate(step["filter"], r)]
    return rows


def _drawn(spec: dict, layer: dict) -> list[dict]:
    """What a layer draws: its data after its transforms."""
    return _derived(layer, _data(spec, layer), spec["datasets"])


def _fill(layer: dict, row: dict) -> str:
    """A fill encoded as conditions on the datum (and the pick, never set here)."""
    fill = layer["encoding"]["fill"]
    for condition in fill.get("condition", []):
        if "test" in condition and _evaluate(condition["test"], row):
            return condition["value"]
    return fill["value"]


def test_the_ranked_chart_names_each_team_with_its_rank_on_the_axis_in_rank_order():
    spec = _attention_spec()
    axis = _layers(spec)[0]["encoding"]["y"]["axis"]
    assert axis["values"] == [0, 1, 2]
    assert axis["labelExpr"] == '["1. Senior", "2. Floor", "3. Quiet"][datum.value]'
    # Bold: the teams below their own bars (row 0 only).
    assert axis["labelFontWeight"]["expr"].startswith("indexof([0], datum.value)")


def test_the_team_rows_go_to_the_browser_once_with_only_what_is_drawn():
    spec = _attention_spec()
    teams = _teams(spec)
    assert [t["team"] for t in teams] == ["Senior", "Floor", "Quiet"]
    assert [t["row"] for t in teams] == [0, 1, 2]
    # The layers that draw a row read the frame; the others look their team up in it by row.
    own = [lay["data"]["name"] for lay in _layers(spec) if "data" in lay]
    assert spec["data"]["name"] not in own
    assert len(spec["datasets"]) == 4  # the teams, the headers, the trends, the level mix
    for name in own:
        assert not {"team", "gap_text", "hue", "headcount"} & set(spec["datasets"][name][0])


def test_no_colour_stands_for_a_team_and_only_teams_below_their_own_bars_are_orange():
    spec = _attention_spec()
    for layer in _layers(spec):
        for channel in ("color", "fill"):
            encoding = layer.get("encoding", {}).get(channel, {})
            assert encoding.get("field") != "team"
    bars = next(lay for lay in _layers(spec) if lay["encoding"]["x"].get("field") == "gx1")
    drawn = _drawn(spec, bars)
    hues = {r["team"]: _fill(bars, r) for r in drawn}
    assert hues == {"Senior": charts.BELOW_OWN_BARS, "Floor": charts.AT_OR_ABOVE_OWN_BARS}
    # The gap bars share one scale from the centre: Floor's +1 point is the longest, Senior's
    # -0.4 of it.
    assert bars["encoding"]["x2"]["datum"] == charts.GAP_CENTRE
    lengths = {r["team"]: r["gx1"] - charts.GAP_CENTRE for r in drawn}
    assert lengths["Floor"] == pytest.approx(charts.GAP_HALF)
    assert lengths["Senior"] == pytest.approx(-0.4 * charts.GAP_HALF)
    # The rows behind: tinted below their own bars, zebra otherwise.
    background = _layers(spec)[0]
    tints = [_fill(background, r) for r in _drawn(spec, background)]
    assert tints == [theme.FLAGGED_ROW, charts.ZEBRA_ROW, "#FFFFFF"]


def test_a_click_on_a_row_selects_its_team():
    spec = _attention_spec()
    params = spec["params"]
    assert [p["name"] for p in params] == [charts.TEAM_PICK]
    assert params[0]["select"]["fields"] == ["team"]
    # Defined on the row backgrounds (the first layer); every other mark of a row carries the
    # row's team, so a click on it selects the same team.
    assert params[0]["views"] == [spec["layer"][0]["name"]]
    for layer in spec["layer"][2:]:
        drawn = _drawn(spec, layer)
        assert all("team" in r for r in drawn) or layer["mark"]["type"] == "rule"
    dots = next(lay for lay in _layers(spec) if lay["mark"]["type"] == "point")
    assert {(r["team"], r["row"]) for r in _drawn(spec, dots)} == {("Senior", 0), ("Floor", 1)}


def test_each_teams_gap_over_the_months_is_drawn_on_one_scale_around_its_row():
    spec = _attention_spec()
    dots = next(lay for lay in _layers(spec) if lay["mark"]["type"] == "point")
    drawn = {(r["team"], r["month"]): r for r in _drawn(spec, dots)}
    # The largest gap in the trend (Senior's +2 points in May) reaches 0.42 of a row up.
    assert drawn[("Senior", "May 2024")]["sy"] == pytest.approx(0 - 0.42)
    assert drawn[("Senior", "Jun 2024")]["sy"] == pytest.approx(0 + 0.004 / 0.02 * 0.42)
    assert drawn[("Floor", "Jun 2024")]["sy"] == pytest.approx(1 - 0.01 / 0.02 * 0.42)
    # Across the trend column, first month to last.
    assert drawn[("Senior", "May 2024")]["sx"] == charts.ATTENTION_AT["spark"]
    assert drawn[("Senior", "Jun 2024")]["sx"] == pytest.approx(
        charts.ATTENTION_AT["spark"] + charts.SPARK_WIDTH
    )
    # A month below the team's own bars is orange; a month without SLA tickets has no dot.
    assert _fill(dots, drawn[("Senior", "Jun 2024")]) == charts.BELOW_OWN_BARS
    assert _fill(dots, drawn[("Senior", "May 2024")]) == charts.AT_OR_ABOVE_OWN_BARS
    assert ("Floor", "May 2024") not in drawn
    # The tooltip says the gap as the dashboard writes points.
    assert drawn[("Senior", "Jun 2024")]["gap_text"] == formats.points(-0.004) == "-0.4 pts"
    assert drawn[("Senior", "May 2024")]["gap_text"] == formats.points(0.02) == "+2.0 pts"
    # The line breaks at the month without a gap rather than dipping to the row's zero.
    line = next(lay for lay in _layers(spec) if lay["mark"]["type"] == "line")
    floor = [r for r in _drawn(spec, line) if r["team"] == "Floor"]
    assert min(floor, key=lambda r: r["m"])["sy"] is None
    assert line["mark"]["invalid"] == "break-paths-show-domains"


def test_the_level_mix_uses_the_level_colours_with_one_legend_of_the_levels():
    spec = _attention_spec()
    mix = next(
        lay for lay in _layers(spec) if lay["encoding"].get("color", {}).get("field") == "level"
    )
    assert mix["encoding"]["color"]["scale"]["domain"] == list(LADDER)
    shares = {(r["team"], r["level"]): r["mx1"] - r["mx0"] for r in _drawn(spec, mix)}
    assert shares[("Senior", "IC3")] == pytest.approx(2 / 3 * charts.MIX_WIDTH)
    assert shares[("Floor", "IC1")] == pytest.approx(charts.MIX_WIDTH)


def test_text_columns_keep_their_width_and_the_drawings_share_the_rest_of_the_row():
    scale = _layers(_attention_spec())[1]["encoding"]["x"]["scale"]
    assert scale["domain"][0] == 0 and scale["domain"][-1] == 102
    ends = [r["expr"] for r in scale["range"][1:]]
    # The SLA column is 4.4 type sizes wide (14 px), whatever the width; the last breakpoint
    # reaches the chart's right edge once the page has room.
    assert ends[0] == f"61.6 + max(width - {24.2 * 14:g}, 110) * 0"
    assert ends[-1] == f"{24.2 * 14:g} + max(width - {24.2 * 14:g}, 110) * 1"
    present = charts.team_attention(RANKED, GAP_TRENDS, MIX, LADDER, present=True).to_dict()
    assert present["layer"][1]["encoding"]["x"]["scale"]["range"][1]["expr"].startswith("88 + ")
    assert present["height"] > _attention_spec()["height"]


def test_the_ranked_chart_writes_each_teams_figures_in_the_dashboards_formats():
    spec = _attention_spec()
    texts = [
        (r, lay["mark"].get("fontWeight"))
        for lay in _layers(spec)
        if lay["mark"]["type"] == "text" and "data" not in lay
        for r in _drawn(spec, lay)
    ]
    senior = {(r["x"], r["text"], weight) for r, weight in texts if r["team"] == "Senior"}
    # A team below its own bars: its SLA and gap in bold, and its counts above zero.
    at = charts.ATTENTION_AT
    assert senior == {
        (at["sla"], "95.2%", "bold"),
        (at["own"], "95.6%", "normal"),
        (at["gap"], "-0.4 pts", "bold"),
        (at["below"], "2", "bold"),
        (at["at_risk"], "1", "bold"),
    }
    quiet = sorted((r["text"], weight) for r, weight in texts if r["team"] == "Quiet")
    assert quiet == sorted([(formats.BLANK, "normal")] * 3 + [("0", "normal")] * 2)
