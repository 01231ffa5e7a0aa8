"""Chart builders, theme and anonymiser, checked on the Vega-Lite spec (`chart.to_dict()`)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pytest

from pipelines.framework import load_framework
from rungs_ui import charts, theme
from rungs_ui.anonymise import Anonymiser, letters
from rungs_ui.page import csv_bytes

FW = load_framework()
LEVELS = list(FW.levels)
BARS = pd.DataFrame(
    [(b.level, b.category, b.metric, b.op, b.value, b.label) for b in FW.bars],
    columns=["level", "category", "metric", "op", "value", "label"],
)
SLA_BARS = BARS.loc[BARS["metric"] == "sla_adherence"].reset_index(drop=True)


def layers(spec: dict, data: dict | None = None):
    """Every unit view in a spec, however deeply layered or faceted, each with the data it
    draws (its own, else the nearest parent's) recorded under the "_data" key."""
    data = spec.get("data", data)
    if "mark" in spec:
        yield {**spec, "_data": data}
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for child in spec.get(key, []):
            yield from layers(child, data)
    if "spec" in spec:
        yield from layers(spec["spec"], data)


def rows(spec: dict, view: dict) -> list[dict]:
    name = (view["_data"] or {}).get("name")
    return spec["datasets"][name] if name else []


def mark_type(view: dict) -> str:
    return view["mark"]["type"] if isinstance(view["mark"], dict) else view["mark"]


def months_frame(sla: list[float], samples: list[int]) -> pd.DataFrame:
    months = pd.date_range("2026-01-01", periods=len(sla), freq="MS")
    return pd.DataFrame(
        {
            "month": months,
            "sla_adherence": sla,
            "sla_sample": samples,
            "judged": [n >= 10 for n in samples],
            "median_open_hours": [15.0] * len(sla),
            "tickets_solved": samples,
        }
    )


def checks_frame(
    metric: str,
    observed: list[float],
    samples: list[int],
    bars: pd.DataFrame,
    adjustment: str | None = None,
    factor: float = 1.0,
) -> pd.DataFrame:
    """bar_checks rows for one person: every bar of the metric in every month."""
    months = pd.date_range("2026-01-01", periods=len(observed), freq="MS")
    return pd.DataFrame(
        [
            {
                "month": m,
                "bar_level": b.level,
                "bar_rank": LEVELS.index(b.level),
                "bar_value": b.value * factor,
                "adjustment": adjustment,
                "observed": value,
                "sample": n,
                "judged": n >= 10,
                "not_judged_because": None if n >= 10 else f"too few tickets ({n} < 10)",
            }
            for m, value, n in zip(months, observed, samples, strict=True)
            for b in bars.itertuples()
        ]
    )


def sla_chart(sla: list[float], samples: list[int], emphasise=("IC2", "IC3")) -> dict:
    checks = checks_frame("sla_adherence", sla, samples, SLA_BARS)
    spec = charts.MetricChart(charts.METRIC_VIEWS["sla_adherence"], tuple(LEVELS), emphasise)
    return charts.metric_against_bars(checks, spec).to_dict()


def sla_spec(emphasise=()) -> charts.MetricChart:
    return charts.MetricChart(
        charts.METRIC_VIEWS["sla_adherence"], tuple(LEVELS), emphasise, bars=SLA_BARS
    )


def rule_values(spec: dict) -> dict[str, float]:
    out = {}
    for view in layers(spec):
        if mark_type(view) == "rule":
            out.update({r["level"]: r["value"] for r in rows(spec, view) if "level" in r})
    return out


def test_sla_chart_has_a_rule_at_each_levels_bar():
    spec = sla_chart([0.95, 0.97, 0.93], [40, 40, 40])
    assert rule_values(spec) == {"IC1": 0.90, "IC2": 0.94, "IC3": 0.96, "IC4": 0.98}


def test_current_and_next_level_bars_are_emphasised():
    spec = sla_chart([0.95, 0.97], [40, 40], emphasise=("IC3", "IC4"))
    rule = next(v for v in layers(spec) if mark_type(v) == "rule")
    emphasised = {r["level"] for r in rows(spec, rule) if r["emphasised"]}
    assert emphasised == {"IC3", "IC4"}
    assert rule["encoding"]["strokeWidth"]["condition"]["test"] == "datum.emphasised"


def test_a_month_with_too_few_tickets_is_a_grey_column_not_a_zero():
    spec = sla_chart([0.95, 0.40, 0.97], [40, 6, 40])
    line = next(v for v in layers(spec) if mark_type(v) == "line")
    line_values = [r.get("sla_adherence") for r in rows(spec, line)]
    assert line_values[0] == 0.95 and line_values[2] == 0.97
    assert line_values[1] is None  # a gap in the line, never 0 or the unjudged 40%
    band = next(v for v in layers(spec) if mark_type(v) == "rect")
    flagged = rows(spec, band)
    assert len(flagged) == 1 and flagged[0]["sample"] == 6
    assert flagged[0]["note"] == "too few tickets (6 < 10)"
    assert band["mark"]["color"] == theme.INSUFFICIENT_COLOUR


def test_each_level_bar_is_drawn_the_same_way_on_every_chart():
    months = months_frame([0.95, 0.97], [40, 40])
    team = charts.team_trend(months.assign(team="A"), sla_spec()).to_dict()
    person = sla_chart([0.95, 0.97], [40, 40])
    small = charts.trajectories(months.assign(person="A"), sla_spec(("IC2",)))
    for spec in (team, person, small.to_dict()):
        rule = next(v for v in layers(spec) if mark_type(v) == "rule")
        dash = rule["encoding"]["strokeDash"]["scale"]
        assert rule["mark"]["color"] == theme.BAR_RULE_COLOUR
        assert dash["domain"] == LEVELS
        assert dash["range"] == [theme.level_dash(LEVELS, lv) for lv in LEVELS]


def test_team_lines_keep_their_own_colours_next_to_the_level_bars():
    months = months_frame([0.95, 0.97], [40, 40])
    spec = charts.team_trend(
        pd.concat([months.assign(team="A"), months.assign(team="B")]), sla_spec()
    ).to_dict()
    assert spec["resolve"]["scale"]["color"] == "independent"


def test_open_time_chart_draws_the_twenty_hour_rule():
    bars = BARS.loc[BARS["metric"] == "median_open_hours"]
    checks = checks_frame("median_open_hours", [15.0, 22.0], [40, 40], bars)
    spec = charts.metric_against_bars(
        checks, charts.MetricChart(charts.METRIC_VIEWS["median_open_hours"], tuple(LEVELS))
    ).to_dict()
    assert rule_values(spec) == {"IC2": 20.0}


def test_a_team_leads_volume_chart_draws_the_scaled_bars_it_was_judged_against():
    bars = pd.DataFrame({"level": ["IC1", "IC3"], "value": [0.5, 0.8]})
    checks = checks_frame(
        "volume_ratio", [0.6, 0.7], [30, 30], bars, adjustment="team lead", factor=0.5
    )
    spec = charts.metric_against_bars(
        checks, charts.MetricChart(charts.METRIC_VIEWS["volume_ratio"], tuple(LEVELS))
    ).to_dict()
    assert rule_values(spec) == {"IC1": 0.25, "IC3": 0.4}
    labels = {
        r["bar"]
        for view in layers(spec)
        if mark_type(view) == "text"
        for r in rows(spec, view)
        if "bar" in r
    }
    assert labels == {"IC1 adjusted bar · 0.25", "IC3 adjusted bar · 0.40"}


def test_level_distribution_lists_every_level_even_when_empty():
    spec = charts.level_distribution(
        pd.DataFrame({"level": ["IC2"], "engineers": [3]}), LEVELS
    ).to_dict()
    bar = next(v for v in layers(spec) if mark_type(v) == "bar")
    counts = {r["level"]: r["engineers"] for r in rows(spec, bar)}
    assert counts == {"IC1": 0, "IC2": 3, "IC3": 0, "IC4": 0, "IC5": 0}


def test_theme_is_registered_with_a_colour_blind_safe_palette_and_large_type():
    assert alt.theme.active == theme.THEME_NAME
    config = alt.Chart(pd.DataFrame({"a": [1]})).mark_point().encode(x="a").to_dict()["config"]
    assert config["range"]["category"][:3] == ["#0072B2", "#E69F00", "#009E73"]
    assert config["axis"]["labelFontSize"] >= 14
    assert config["axis"]["titleFontSize"] >= 16


def test_presentation_makes_the_type_larger_than_the_theme():
    chart = alt.Chart(pd.DataFrame({"a": [1]})).mark_point().encode(x="a")
    normal = chart.to_dict()["config"]["axis"]["labelFontSize"]
    presented = theme.for_presentation(chart).to_dict()["config"]["axis"]["labelFontSize"]
    assert presented > normal


@pytest.mark.parametrize(
    ("index", "label"), [(0, "A"), (25, "Z"), (26, "AA"), (27, "AB"), (701, "ZZ"), (702, "AAA")]
)
def test_letters_count_like_spreadsheet_columns(index, label):
    assert letters(index) == label


def test_anonymiser_gives_stable_letters_that_do_not_follow_name_order():
    people = [(f"E{i:03}", f"Person Number{i:03}") for i in range(30)]
    first = Anonymiser.for_people(people, salt="build-1")
    again = Anonymiser.for_people(list(reversed(people)), salt="build-1")
    assert first.aliases == again.aliases
    assert len(set(first.aliases.values())) == 30
    in_id_order = [first.alias(pid) for pid, _ in people]
    assert in_id_order != sorted(in_id_order, key=lambda a: (len(a), a))


def test_anonymiser_scrubs_names_from_free_text_and_frames():
    masks = Anonymiser.for_people([("E1", "Ada Quill"), ("E2", "Bo Reyes")], salt="s")
    text = masks.scrub("Ada Quill paired with Reyes on the rota")
    assert "Ada" not in text and "Quill" not in text and "Reyes" not in text
    frame = masks.frame(
        pd.DataFrame({"engineer_id": ["E1"], "name": ["Ada Quill"], "email": ["e1@example.com"]}),
        {"name": "engineer_id"},
        drop=["engineer_id", "email"],
    )
    assert frame.columns.tolist() == ["name"]
    assert frame["name"].iloc[0] == masks.alias("E1")


def test_csv_download_neutralises_spreadsheet_formulas():
    data = csv_bytes(
        pd.DataFrame(
            {"summary": ['=HYPERLINK("http://x")', "@SUM(A1)", "fine"], "count": [1, -2, 3]}
        )
    ).decode()
    assert "'=HYPERLINK" in data and "'@SUM" in data
    assert "\nfine," in data and ",-2\n" in data  # numbers stay numbers


@pytest.mark.parametrize(
    ("metric", "value", "text"),
    [
        ("sla_adherence", 0.94, "94%"),
        ("median_open_hours", 20.0, "20 h"),
        ("volume_ratio", 0.5, "0.5"),
    ],
)
def test_a_bar_reads_as_people_write_it(metric, value, text):
    assert charts.bar_text(metric, value) == text
