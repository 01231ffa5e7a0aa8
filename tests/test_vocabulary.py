"""One vocabulary on every page: no "None", no raw field names, months not judged named for
what they are, and links that stay in the tab and keep the view."""

from __future__ import annotations

import pandas as pd
import pytest

from rungs_ui import charts, formats, state
from rungs_ui.navigation import PAGES
from tests.test_pages import _walk, no_errors, on_page, open_app

RAW_FIELDS = ("decided_on", "in_band_raise", "not_judged_because", "not judged:")
# An onboarding hire of the demo org (joined Apr 2025, onboarding until 18 Jul 2025).
ONBOARDING_HIRE, ONBOARDING_MONTH = "E0006", "2025-06"


def _table_elements(at) -> list:
    return [e for e in [*_walk(at.main)] if e.type in ("dataframe", "arrow_data_frame")]


def _tables(at) -> list[pd.DataFrame]:
    return [e.value for e in _table_elements(at)]


def _cells(at) -> list[str]:
    """Every table cell, a missing value (None, NaN, NaT) as the interactive table shows it:
    "None", unless the table sets its own placeholder for missing values."""
    out = []
    for element in _table_elements(at):
        shown = "None"
        if element.proto.HasField("placeholder"):
            shown = element.proto.placeholder
        for value in element.value.astype(object).to_numpy().ravel():
            out.append(shown if formats.missing(value) else str(value))
    return out


def _text_cells(at) -> list[str]:
    return [
        v for t in _tables(at) for v in t.astype(object).to_numpy().ravel() if isinstance(v, str)
    ]


def _words(at) -> str:
    """Every text outside tables and chart data: labels, markdown, captions, tooltip titles."""
    parts = []
    for element in [*_walk(at.main), *_walk(at.sidebar)]:
        proto = getattr(element, "proto", None)
        if proto is None or element.type in ("dataframe", "arrow_data_frame"):
            continue
        if element.type == "vega_lite_chart":
            parts.append(proto.spec)
        else:
            parts.append(str(proto))
    return "\n".join(parts)


@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_no_table_shows_none_or_midnight_and_no_label_a_raw_field_name(
    monkeypatch, fixture_warehouse, spec
):
    at = on_page(open_app(monkeypatch, fixture_warehouse), spec.script)
    no_errors(at)
    cells = _cells(at)
    assert "None" not in cells and "nan" not in cells
    # Dates are typed cells a DateColumn formats; text must not carry a midnight time.
    assert not [c for c in _text_cells(at) if "00:00:00" in c]
    words = _words(at)
    for field in RAW_FIELDS:
        assert f'"title": "{field}"' not in words and f'label: "{field}"' not in words


@pytest.mark.parametrize("script", ["pages/people/engineer.py", "pages/calibration/evidence.py"])
def test_an_evidence_item_without_a_link_shows_a_blank_link_cell(
    monkeypatch, fixture_warehouse, script
):
    at = on_page(open_app(monkeypatch, fixture_warehouse), script)
    links = [t["link"] for t in _tables(at) if "link" in t.columns]
    assert links, "no evidence table with a link column"
    for column in links:
        # Blank text, not a missing value the table writes as "None".
        assert column.map(lambda v: isinstance(v, str)).all()
        assert (column == "").any()


def test_a_teams_people_open_below_the_ranking_and_the_team_opens_in_the_same_tab(
    monkeypatch, fixture_warehouse
):
    params = {state.MONTH: "2026-09", state.PRESENT: "true", state.ANONYMISE: "true"}
    at = on_page(open_app(monkeypatch, fixture_warehouse, params), "pages/team/team_health.py")
    no_errors(at)
    # Presentation mode draws the team table, once its expander is opened, as a static table
    # headed "Team", ranked.
    at.session_state["team-table"] = True
    at.run()
    table = next(e.value for e in at.table if "Team" in e.value.columns)
    assert "View" not in table.columns  # a link column opens a new tab
    teams = table["Team"].tolist()
    # A click on the ranked chart picks the team in this box (AppTest cannot click a chart).
    picker = at.selectbox(key="team-panel")
    assert picker.options == [f"{i}. {t}" for i, t in enumerate(teams, start=1)]
    assert not [b for b in at.button if b.key == "open-team"]  # no team picked, no panel

    picker.set_value(teams[1]).run()
    assert not at.exception
    # The panel's lines set each person against their own bar (the at-risk list's do not).
    # page.reason_lines writes the people as one Markdown block, a paragraph each.
    people = [
        line
        for m in at.markdown
        for line in m.value.split("\n\n")
        if "](/engineer?" in line and "own bar" in line
    ]
    # Everyone on the team, nobody dropped.
    assert len(people) == int(table.loc[table["Team"] == teams[1], "People"].iloc[0])
    # Anonymised: people by letter, and the link names them by letter too; a team of three or
    # fewer is said to be recognisable.
    assert all(line.startswith("[**Engineer ") for line in people)
    assert not [line for line in people if "engineer=E0" in line]
    small = len(people) <= 3
    assert [w.value.startswith("Small group") for w in at.warning] == ([True] if small else [])

    at.button(key="open-team").click().run()
    assert not at.exception
    assert at.session_state[state.TEAMS] == [teams[1]]
    url = {k: [v] if isinstance(v, str) else list(v) for k, v in at.query_params.items()}
    assert url[state.TEAMS] == [teams[1]]
    for key, value in params.items():
        assert url[key] == [value]
    assert next(e.value for e in at.table if "Team" in e.value.columns)["Team"].tolist() == [
        teams[1]
    ]


def test_every_team_health_tile_leads_to_a_list(monkeypatch, fixture_warehouse):
    at = on_page(open_app(monkeypatch, fixture_warehouse), "pages/team/team_health.py")
    tiles = [e for e in _walk(at.main) if e.type == "metric"]
    assert len(tiles) == 8
    leads = [e.proto for e in _walk(at.main) if e.type == "page_link"] + [
        m.value for m in at.markdown if "](#" in m.value
    ]
    text = "\n".join(map(str, leads))
    assert "#at-risk" in text and "#which-team" in text
    assert [a for a in at.subheader if a.value.startswith("At risk")]


def test_onboarding_months_are_named_on_the_heatmap_and_badge(monkeypatch, fixture_warehouse):
    at = open_app(
        monkeypatch,
        fixture_warehouse,
        {state.MONTH: ONBOARDING_MONTH, state.ENGINEER: ONBOARDING_HIRE},
    )
    at = on_page(at, "pages/people/engineer.py")
    no_errors(at)
    assert [m for m in at.markdown if "Onboarding until 18 Jul 2025" in m.value]
    heatmap = [
        e for e in _walk(at.main) if e.type == "vega_lite_chart" and "tip_held_back" in e.proto.spec
    ]
    assert heatmap
    from tests.test_pages import _arrow_text

    data = "\n".join(_arrow_text(d.data.data) for d in heatmap[0].proto.datasets)
    assert "Onboarding" in data
    assert "not judged: onboarding" not in data


def test_a_not_judged_cell_is_labelled_with_its_reason():
    cells = pd.DataFrame(
        {
            "month": ["2025-05-01", "2025-06-01", "2025-07-01", "2025-08-01"],
            "category": ["Scope"] * 4,
            "demonstrated_level": [None, None, None, "IC3"],
            "not_judged_because": ["onboarding", "mostly on leave", "no data for the month", None],
        }
    )
    shown = charts._with_shown(cells)
    assert shown["label"].tolist()[:3] == [
        formats.not_judged_label("onboarding"),
        formats.not_judged_label("mostly on leave"),
        formats.not_judged_label("no data for the month"),
    ]
    assert shown["shown"].tolist() == ["Onboarding", "On leave", "No data", "IC3"]


def test_bar_labels_sit_at_the_right_edge_on_a_white_halo():
    bars = pd.DataFrame({"level": ["IC3", "IC4"], "value": [0.95, 0.98]})
    layer = charts.bar_rules(bars, ["IC1", "IC2", "IC3", "IC4", "IC5"]).to_dict()
    texts = [lay["mark"] for lay in layer["layer"] if lay["mark"]["type"] == "text"]
    assert [t["align"] for t in texts] == ["right", "right"]
    halo, label = texts
    # The halo is drawn first, in white; the label over it carries no stroke to hide its letters.
    assert halo["stroke"] == "#FFFFFF" and "stroke" not in label


def test_team_trend_draws_bar_labels_over_the_team_lines():
    bars = pd.DataFrame({"level": ["IC3", "IC4"], "value": [0.95, 0.98]})
    trends = pd.DataFrame(
        {
            "team": ["Harbor", "Harbor"],
            "month": ["2026-09-01", "2026-10-01"],
            "sla_adherence": [0.97, 0.99],
        }
    )
    spec = charts.MetricChart(
        charts.METRIC_VIEWS["sla_adherence"], ("IC1", "IC2", "IC3", "IC4", "IC5"), bars=bars
    )
    chart = charts.team_trend(trends, spec, ["Harbor"]).to_dict()
    marks = [lay["mark"]["type"] for lay in chart["layer"]]
    assert marks == ["rule", "line", "text", "text"]
    # Each bar's rule and label keep the bar rows (split out of bar_rules' layer, they must).
    for lay in (chart["layer"][0], chart["layer"][3]):
        rows = chart["datasets"][lay["data"]["name"]]
        assert [r["bar"] for r in rows] == ["IC3 bar · 95.0%", "IC4 bar · 98.0%"]
