"""The one Altair theme of the dashboard, and how each level and attainment is drawn.

Charts are read on a projector in calibration meetings, by people of whom some do not see red
and green apart: Okabe-Ito colours, large type, thick marks. A level keeps one colour and one
dash pattern on every chart, so "the IC3 bar" looks the same wherever it appears.
"""

from __future__ import annotations

import altair as alt

THEME_NAME = "rungs"
FONT = "Source Sans Pro, Helvetica Neue, Arial, sans-serif"

# Okabe & Ito (2008), colour-blind-safe; black last so it never lands on a level by accident.
OKABE_ITO = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",
)
# Levels as categories (bars of a histogram, dots on a timeline) take these colours.
LEVEL_COLOURS = ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#CC79A7", "#D55E00", "#000000")
# A level's *bar* (a threshold rule) is a dark neutral line with its own dash pattern and a
# label: coloured rules were mistaken for the team lines drawn over them.
BAR_RULE_COLOUR = "#4D4D4D"
LEVEL_DASHES = ((8, 4), (2, 3), (12, 3, 2, 3), (1, 0), (6, 2, 1, 2), (4, 4), (10, 6))

# Teams (lines of a team trend, rows of the team table) take Paul Tol's "muted" colours: none
# of them is a level colour, so a team line is never read as a level. A team's colour comes from
# its place in the warehouse's full team list, so it stays the same whatever a filter shows.
TEAM_COLOURS = (
    "#332288",  # indigo
    "#44AA99",  # teal
    "#CC6677",  # rose
    "#999933",  # olive
    "#882255",  # wine
    "#88CCEE",  # cyan
    "#AA4499",  # purple
    "#DDCC77",  # sand
)
ATTAINMENT_COLOURS = {
    "below": "#D55E00",
    "at": "#D9D9D9",
    "above": "#009E73",
    "not judged": "#F4F4F4",
}
INSUFFICIENT_COLOUR = "#BBBBBB"
# A flagged person's row in a presentation table: a pale orange that black text reads on.
FLAGGED_ROW = "#FCE9D9"

BASE_FONT_SIZE = 16
PRESENTATION_SCALE = 1.4


def level_colour(levels: tuple[str, ...] | list[str], level: str) -> str:
    return LEVEL_COLOURS[list(levels).index(level) % len(LEVEL_COLOURS)]


def level_dash(levels: tuple[str, ...] | list[str], level: str) -> list[int]:
    return list(LEVEL_DASHES[list(levels).index(level) % len(LEVEL_DASHES)])


def level_scale(levels: tuple[str, ...] | list[str]) -> alt.Scale:
    """Colour scale mapping every framework level to its colour, in framework order."""
    return alt.Scale(domain=list(levels), range=[level_colour(levels, lv) for lv in levels])


def team_colour(all_teams: list[str], team: str) -> str:
    """A team's colour by its place in `all_teams` (every team of the warehouse, in order);
    a team missing from it (a newer build) gets the last colour."""
    i = all_teams.index(team) if team in all_teams else len(TEAM_COLOURS) - 1
    return TEAM_COLOURS[i % len(TEAM_COLOURS)]


def team_scale(all_teams: list[str], shown: list[str]) -> alt.Scale:
    """Colour scale for the teams `shown`, each in its fixed colour (only those shown are in the
    domain, so a legend lists no team that is not on the chart)."""
    return alt.Scale(domain=list(shown), range=[team_colour(list(all_teams), t) for t in shown])


def _config(size: float) -> dict:
    small = round(size * 0.9)
    return {
        "config": {
            "font": FONT,
            "background": "#FFFFFF",
            "view": {"stroke": None, "continuousWidth": 640, "continuousHeight": 320},
            "range": {"category": list(OKABE_ITO)},
            "axis": {
                "labelFontSize": small,
                "titleFontSize": size,
                "titleFontWeight": "normal",
                "labelColor": "#222222",
                "titleColor": "#222222",
                "gridColor": "#E6E6E6",
                "labelLimit": 260,
            },
            "legend": {
                "labelFontSize": small,
                "titleFontSize": size,
                "symbolSize": 160,
                "labelLimit": 260,
                "orient": "bottom",
                # Below the chart, four to a row: one long row ran past a narrow chart's edge
                # and lost the teams beyond it.
                "columns": 4,
            },
            "header": {"labelFontSize": size, "titleFontSize": size},
            "title": {"fontSize": round(size * 1.2), "anchor": "start", "fontWeight": "normal"},
            "line": {"strokeWidth": 3},
            "point": {"size": 90, "filled": True},
            "rule": {"strokeWidth": 2},
            "text": {"fontSize": small},
            "tooltip": {"content": "data"},
        }
    }


@alt.theme.register(THEME_NAME, enable=True)
def rungs_theme() -> alt.theme.ThemeConfig:
    return alt.theme.ThemeConfig(_config(BASE_FONT_SIZE))


def for_presentation(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Larger type for a shared screen; chart config overrides the theme's, key by key."""
    size = round(BASE_FONT_SIZE * PRESENTATION_SCALE)
    config = _config(size)["config"]
    return chart.properties(
        config=alt.Config(**{k: config[k] for k in ("axis", "legend", "header", "title", "text")})
    )


def _speed_up_altair() -> None:
    """Altair's per-chart costs that repeat, unchanged, on every script run; what it builds and
    what it raises are unchanged.

    - Every encoding given as a string or dict (`x="month:T"`) goes through
      `SchemaBase.from_dict`, which walks every schema class and builds a fresh `_FromDict`:
      a table of some 700 classes keyed on each one's schema dumped to JSON. Altair defines
      those classes once, at import, so one converter per set of classes is kept and reused.
    - Every chart is validated against the Vega-Lite schema when Streamlit converts it, and
      its parts when they are made: most of a warm page run (the Engineer page's six charts:
      0.8 s of 2.4 s profiled). A spec that passed once passes again, so a spec that has
      passed (the same JSON against the same schema) is not validated a second time; a spec
      that fails is validated, and raises, every time.
    """
    import json
    import threading

    from altair.utils import schemapi

    if getattr(schemapi, "_rungs_sped_up", False):
        return
    converter = getattr(schemapi, "_FromDict", None)
    errors_of = getattr(schemapi, "_get_errors_from_spec", None)
    if converter is None or errors_of is None:
        return  # another Altair: nothing here applies
    # Keyed on the function that picks the classes (Altair's two pick a fixed set each).
    converters: dict[object, object] = {}

    def from_dict(cls, dct, validate=True):
        if validate:
            cls.validate(dct)
        pick = getattr(cls._default_wrapper_classes, "__func__", cls._default_wrapper_classes)
        made = converters.get(pick)
        if made is None:
            made = converters[pick] = converter(cls._default_wrapper_classes())
        return made.from_dict(dct, cls)

    # A passed spec's schemas are kept with it, so their ids cannot be reused by another.
    passed: dict[tuple[str, int, int], tuple[dict, dict | None]] = {}
    lock = threading.Lock()

    def _get_errors_from_spec(spec, schema, rootschema=None):
        try:
            key = (json.dumps(spec, sort_keys=True), id(schema), id(rootschema))
        except (TypeError, ValueError):
            return errors_of(spec, schema, rootschema=rootschema)  # not JSON: no shortcut
        if key in passed:
            return []
        errors = errors_of(spec, schema, rootschema=rootschema)
        if not errors:
            with lock:
                if len(passed) >= 2048:
                    passed.pop(next(iter(passed)))
                passed[key] = (schema, rootschema)
        return errors

    schemapi.SchemaBase.from_dict = classmethod(from_dict)
    schemapi._get_errors_from_spec = _get_errors_from_spec
    schemapi._rungs_sped_up = True


_speed_up_altair()
