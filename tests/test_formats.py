"""One way to write each kind of value (rungs_ui.formats), and the page helpers that use it."""

from datetime import date

import pandas as pd
import pytest

from rungs_ui import charts, formats, page, theme


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (formats.month(date(2026, 10, 1)), "Oct 2026"),
        (formats.month("2026-10-01"), "Oct 2026"),
        (formats.day(date(2027, 2, 1)), "1 Feb 2027"),
        (formats.percent(0.963), "96.3%"),
        (formats.points(0.012), "+1.2 pts"),
        (formats.hours(12.46), "12.5 h"),
        (formats.count(1204), "1,204"),
        (formats.share_of(0.92, 250), "92.0% of 250 ratings"),
    ],
)
def test_each_kind_of_value_is_written_one_way(written, expected):
    assert written == expected


@pytest.mark.parametrize("gap", [None, float("nan"), pd.NA, pd.NaT])
def test_a_missing_value_is_a_dash_never_none(gap):
    for write in (formats.month, formats.day, formats.percent, formats.hours, formats.count):
        assert write(gap) == formats.BLANK
    assert formats.cell(gap) == formats.BLANK


def test_a_share_without_a_sample_is_not_a_share():
    assert formats.share_of(None, 0) == formats.BLANK
    assert formats.share_of(1.0, 0) == formats.BLANK


def test_page_month_and_day_labels_are_the_formats_ones():
    assert page.month_label(date(2026, 11, 1)) == formats.month(date(2026, 11, 1))
    assert page.day_label(date(2026, 11, 3)) == "3 Nov 2026"


@pytest.mark.parametrize(
    ("change", "better", "colour"),
    [
        (0.04, "normal", "off"),  # shown as "+0.0 pts": no verdict, no green arrow
        (-0.04, "normal", "off"),
        (None, "normal", "off"),
        (0.3, "normal", "normal"),
        (-1.2, "inverse", "inverse"),
    ],
)
def test_a_change_that_shows_as_zero_is_drawn_neutral(change, better, colour):
    assert formats.delta_colour(change, 1, better) == colour


# --- charts draw with the same words and formats ----------------------------------------------


def _layers(spec: dict):
    for layer in spec.get("layer", []):
        yield layer
        yield from _layers(layer)
    if "spec" in spec:
        yield from _layers(spec["spec"])


def test_evidence_never_has_its_own_grey_and_the_scale_reaches_the_oldest_value():
    cells = pd.DataFrame(
        {
            "person": ["A", "A", "B", "B"],
            "category": ["Impact", "Craft", "Impact", "Craft"],
            "which": ["at current level"] * 4,
            "months_since": [2.0, 35.0, None, 20.0],
        }
    )
    spec = charts.coverage_heatmap(cells, ["Impact", "Craft"]).to_dict()
    rect = next(layer for layer in _layers(spec) if layer.get("mark", {}).get("type") == "rect")
    colour = rect["encoding"]["color"]
    assert colour["condition"]["scale"]["domain"] == [0, 35]
    assert colour["value"] == theme.INSUFFICIENT_COLOUR  # what a "never" cell is drawn in
    data = next(iter(spec["datasets"].values()))
    assert [row["label"] for row in data] == ["2", "35", "never", "20"]


def test_a_team_keeps_its_colour_whatever_the_filter_and_it_is_no_level_colour():
    everyone = ["Harbor", "Lantern", "Summit"]
    all_shown = theme.team_scale(everyone, everyone).to_dict()
    one_shown = theme.team_scale(everyone, ["Summit"]).to_dict()
    assert one_shown == {"domain": ["Summit"], "range": [all_shown["range"][2]]}
    assert not set(theme.TEAM_COLOURS) & set(theme.LEVEL_COLOURS)


def test_heatmap_tooltips_name_the_check_inputs_in_words_with_formatted_values():
    cells = pd.DataFrame(
        {
            "month": ["2026-10-01"],
            "category": ["Impact"],
            "current_level": ["IC2"],
            "demonstrated_level": ["IC2"],
            "not_judged_because": [None],
            "sla_adherence": [0.96],
            "sla_sample": [25.0],
            "median_open_hours": [10.488],
            "tickets_solved": [22.0],
            "team_median_solved": [30.5],
            "example_ids": [["EV1"]],
            "concern_ids": [[]],
            "blocked_level": ["IC3"],
            "blocker_kind": ["bar"],
            "blocker_metric": ["sla_adherence"],
            "blocker_observed": [0.96],
            "blocker_bar": [0.97],
        }
    )
    shown = formats.check_inputs(cells)
    spec = charts.attainment_heatmap(shown, ["Impact"], formats.CHECK_TOOLTIP).to_dict()
    rect = next(layer for layer in _layers(spec) if layer.get("mark", {}).get("type") == "rect")
    titles = [t["title"] for t in rect["encoding"]["tooltip"]]
    assert "sla_adherence" not in " ".join(titles)
    assert "SLA adherence" in titles and len(titles) <= 10
    row = shown.iloc[0]
    assert row["tip_sla"] == "96.0% of 25 SLA tickets"
    assert row["tip_open_time"] == "10.5 h"
    assert row["tip_volume"] == "22 (team median 30.5)"
    assert row["tip_evidence"] == "examples EV1"
    assert row["tip_held_back"] == "IC3: SLA adherence 96.0% against a bar of 97.0%"
