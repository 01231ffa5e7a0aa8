"""Altair chart builders: DataFrames in, charts out, no Streamlit and no rules.

Each framework bar is drawn by `bar_rules` (or, inside small multiples, with the same dash
scale), so a level's bar has the same line, dash and label on every chart. Months whose sample
is too small to judge are grey columns with their sample size, never a line dipping to zero.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import altair as alt
import pandas as pd

from rungs_ui import formats, theme

STATUS_ORDER = ("below", "at", "above", "not judged")
# Labels that would come closer than labelSeparation px are thinned out: at 1024 px wide two
# month labels otherwise touch ("Nov 2024Jul 2025").
MONTH_AXIS = alt.Axis(
    format=formats.MONTH_D3,
    labelAngle=0,
    tickCount="month",
    labelOverlap=True,
    labelSeparation=12,
)


@dataclass(frozen=True)
class MetricView:
    """How one framework metric is drawn and named: its words and its number formats (d3
    format for the axis and the tooltips; labels on the bars follow the tooltip format)."""

    metric: str
    title: str
    axis_format: str
    value_format: str
    sample_label: str


METRIC_VIEWS = {
    "sla_adherence": MetricView("sla_adherence", "SLA adherence", ".0%", ".1%", "SLA tickets"),
    "median_open_hours": MetricView(
        "median_open_hours", "Median open time (h)", ".0f", ".1f", "tickets solved"
    ),
    "volume_ratio": MetricView(
        "volume_ratio", "Solved ÷ team median", ".1f", ".2f", "tickets, team median"
    ),
}


def bar_text(metric: str, value: float) -> str:
    """A bar's value as people write it: 94%, 20 h, 0.5."""
    if metric == "sla_adherence":
        return f"{value * 100:g}%"
    if metric == "median_open_hours":
        return f"{value:g} h"
    return f"{value:g}"


@dataclass(frozen=True)
class MetricChart:
    """What a chart of one metric against the level bars needs besides its rows: the metric's
    view, the framework's levels (for dashes), the levels to draw bold, and the bars to draw
    when they do not travel with the rows (team trends, small multiples)."""

    view: MetricView
    levels: tuple[str, ...]
    emphasise: tuple[str, ...] = ()
    bars: pd.DataFrame | None = None


def _month_span(df: pd.DataFrame, column: str = "month") -> pd.DataFrame:
    """Adds month_end so a month can be drawn as a column from its first to its last day."""
    out = df.copy()
    out[column] = pd.to_datetime(out[column])
    out["month_end"] = out[column] + pd.offsets.MonthBegin(1)
    return out


def bar_rules(
    bars: pd.DataFrame,
    levels: Sequence[str],
    emphasise: Sequence[str] = (),
    value_format: str = "{:.0%}",
) -> alt.LayerChart:
    """Horizontal rules at each bar's value, dashed by level, labelled at the left.

    `bars` has level and value columns (and optionally `adjusted`, for a bar scaled for this
    person, labelled so). Levels in `emphasise` (current and next) are drawn bold.
    """
    levels = list(levels)
    data = bars.copy()
    adjusted = data["adjusted"] if "adjusted" in data else pd.Series(False, index=data.index)
    data["bar"] = [
        f"{lv} {'adjusted bar' if adj else 'bar'} · {value_format.format(v)}"
        for lv, v, adj in zip(data["level"], data["value"], adjusted, strict=True)
    ]
    data = data[["level", "value", "bar"]]
    data["emphasised"] = data["level"].isin(list(emphasise)) if emphasise else True
    base = alt.Chart(data)
    rule = base.mark_rule(color=theme.BAR_RULE_COLOUR).encode(
        y="value:Q",
        strokeDash=alt.StrokeDash(
            "level:N",
            scale=alt.Scale(domain=levels, range=[theme.level_dash(levels, lv) for lv in levels]),
            legend=None,
        ),
        strokeWidth=alt.condition("datum.emphasised", alt.value(3.5), alt.value(1.5)),
        opacity=alt.condition("datum.emphasised", alt.value(1.0), alt.value(0.45)),
        tooltip=[alt.Tooltip("bar:N", title="Bar")],
    )
    # Label text stays dark: pale level colours (sky blue, yellow) wash out on a projector.
    # At the right edge, above the rule, on a white halo: clear of the y axis, and (layered last
    # by team_trend) never covered by a line. The halo is a text layer of its own underneath:
    # a stroke on the label itself would be painted over its letters.
    placed = {
        "x": alt.value("width"),
        "y": "value:Q",
        "text": "bar:N",
        "opacity": alt.condition("datum.emphasised", alt.value(1.0), alt.value(0.7)),
    }
    where = {"align": "right", "baseline": "bottom", "dx": -4, "dy": -3, "fontWeight": "bold"}
    halo = base.mark_text(
        **where, color="#FFFFFF", stroke="#FFFFFF", strokeWidth=5, strokeJoin="round"
    ).encode(**placed)
    label = base.mark_text(**where, color="#222222").encode(**placed)
    return alt.layer(rule, halo, label)


def _not_judged_columns(data: pd.DataFrame, view: MetricView) -> alt.Chart:
    """Grey columns for the months the rule did not judge this metric, with the reason the
    pipeline recorded (too few tickets, onboarding, leave)."""
    thin = data.loc[~data["judged"].astype(bool)].copy()
    thin["note"] = thin["not_judged_because"].fillna("not judged")
    # No per-column text: adjacent thin months made the labels overprint; the tooltip and the
    # page caption carry the reason.
    return (
        alt.Chart(thin)
        .mark_rect(color=theme.INSUFFICIENT_COLOUR, opacity=0.45)
        .encode(
            x="month:T",
            x2="month_end:T",
            tooltip=[
                alt.Tooltip("month:T", title="Month", format=formats.MONTH_D3),
                alt.Tooltip("sample:Q", title=view.sample_label.capitalize()),
                alt.Tooltip("note:N", title="Not judged"),
            ],
        )
    )


def bars_of(checks: pd.DataFrame) -> pd.DataFrame:
    """The bars a person was judged against, one row per level and value, from bar_checks rows
    (level, value, adjusted: whether a per-person adjustment such as team-lead scaling
    applied)."""
    if checks.empty:
        return pd.DataFrame({"level": [], "value": [], "adjusted": []})
    bars = (
        checks.assign(adjusted=checks["adjustment"].notna())
        .groupby(["bar_level", "bar_value", "adjusted"], as_index=False)
        .size()
        .rename(columns={"bar_level": "level", "bar_value": "value"})
    )
    return bars[["level", "value", "adjusted"]]


def metric_against_bars(checks: pd.DataFrame, spec: MetricChart) -> alt.LayerChart:
    """One person's monthly figure for a metric, as the rule judged it, over the bars that
    applied to them. `checks` are that person's bar_checks rows for the metric (month,
    bar_level, bar_value, adjustment, observed, sample, judged, not_judged_because).

    Months not judged are left out of the line and drawn as grey columns.
    """
    view = spec.view
    per_month = (
        checks.sort_values(["month", "bar_rank"])
        .drop_duplicates("month")[["month", "observed", "sample", "judged", "not_judged_because"]]
        .rename(columns={"observed": view.metric})
    )
    data = _month_span(per_month)
    judged = data.loc[data["judged"].astype(bool)].copy()
    line_data = data[["month"]].merge(judged, on="month", how="left")  # a gap, not a zero
    bars = bars_of(checks)
    values = [*judged[view.metric].dropna().tolist(), *bars["value"].tolist()]
    domain = None
    if values:
        # A lone value (only a bar, or a flat line) still gets room proportional to its size.
        pad = (max(values) - min(values)) * 0.08 or abs(max(values)) * 0.1 or 1
        domain = (max(min(values) - pad, 0), max(values) + pad)
    y = alt.Y(
        f"{view.metric}:Q",
        title=view.title,
        axis=alt.Axis(format=view.axis_format),
        scale=alt.Scale(domain=list(domain) if domain else alt.Undefined, zero=False),
    )
    tooltip = [
        alt.Tooltip("month:T", title="Month", format=formats.MONTH_D3),
        alt.Tooltip(f"{view.metric}:Q", title=view.title, format=view.value_format),
        alt.Tooltip("sample:Q", title=view.sample_label.capitalize()),
    ]
    line = (
        alt.Chart(line_data)
        .mark_line(color=theme.OKABE_ITO[0])
        .encode(x=alt.X("month:T", title=None, axis=MONTH_AXIS), y=y)
    )
    points = (
        alt.Chart(judged)
        .mark_point(color=theme.OKABE_ITO[0])
        .encode(x="month:T", y=y, tooltip=tooltip)
    )
    rule, halo, label = _bar_parts(
        bar_rules(bars, spec.levels, spec.emphasise, _bar_label_format(view))
    )
    # The bar labels last: the person's line never covers them.
    layers = (_not_judged_columns(data, view), rule, line, points, halo, label)
    return alt.layer(*layers).properties(height=320)


def _bar_parts(rules: alt.LayerChart) -> tuple[alt.Chart, alt.Chart, alt.Chart]:
    """bar_rules' rule, label halo and label apart, to draw the labels over the data lines;
    each part gets the data the layer holds for all three."""
    rule, halo, label = (part.properties(data=rules.data) for part in rules.layer)
    return rule, halo, label


def _bar_label_format(view: MetricView) -> str:
    """How a bar's label writes its value: as the tooltips do, with the unit for hours."""
    unit = " h" if view.metric == "median_open_hours" else ""
    return "{" + value_format_py(view.value_format) + "}" + unit


def value_format_py(d3_format: str) -> str:
    """The Python format spec for the few d3 formats we use, so labels match tooltips."""
    return {".0%": ":.0%", ".1%": ":.1%", ".1f": ":.1f", ".0f": ":.0f", ".2f": ":.2f"}.get(
        d3_format, ""
    )


def _status_colour(title: str | None = "Vs level held") -> alt.Color:
    return alt.Color(
        "status:N",
        title=title,
        scale=alt.Scale(
            domain=list(STATUS_ORDER), range=[theme.ATTAINMENT_COLOURS[s] for s in STATUS_ORDER]
        ),
    )


def _with_shown(cells: pd.DataFrame) -> pd.DataFrame:
    """A month not judged shows no level: the cell carries a short tag for why ("Onb.",
    "Leave") and the tooltip the word ("Onboarding"), never a level or "below"."""
    data = cells.copy()
    reason = data.get("not_judged_because", pd.Series(None, index=data.index)).astype(object)
    level = data["demonstrated_level"].astype(object)
    judged = data["demonstrated_level"].notna()
    data["label"] = level.where(judged, reason.map(formats.not_judged_label))
    data["shown"] = level.where(judged, reason.map(formats.not_judged))
    return data


def attainment_heatmap(
    cells: pd.DataFrame, categories: Sequence[str], tooltip_fields: dict[str, str]
) -> alt.LayerChart:
    """Months across, categories down; each cell the level shown that month, coloured by how
    it compares with the level held. Tooltips carry the inputs of the check, as text columns
    of `cells` named by `tooltip_fields` (column -> title)."""
    data = _with_shown(cells)
    data["month"] = pd.to_datetime(data["month"])
    tooltip = [
        alt.Tooltip("month:T", title="Month", format=formats.MONTH_D3),
        alt.Tooltip("category:N", title="Category"),
        alt.Tooltip("current_level:N", title="Level held"),
        alt.Tooltip("shown:N", title="Level shown"),
    ]
    tooltip += [alt.Tooltip(f"{c}:N", title=t) for c, t in tooltip_fields.items()]
    base = alt.Chart(data).encode(
        x=alt.X(
            "yearmonth(month):O",
            title=None,
            axis=alt.Axis(format=formats.MONTH_D3, labelAngle=-45),
        ),
        y=alt.Y("category:N", title=None, sort=list(categories)),
    )
    cells_chart = base.mark_rect(stroke="#FFFFFF", strokeWidth=2).encode(
        color=_status_colour(), tooltip=tooltip
    )
    labels = base.mark_text().encode(text="label:N")  # type size from the theme
    return alt.layer(cells_chart, labels).properties(height=60 * len(categories) + 40)


def level_history(stints: pd.DataFrame, levels: Sequence[str], until) -> alt.Chart:
    """The level held over time as a step line, ending at the as-of month. `stints` are
    level_stints rows (level, started_on): a re-recorded level is no step."""
    data = stints[["level", "started_on"]].rename(columns={"started_on": "effective_on"})
    data["effective_on"] = pd.to_datetime(data["effective_on"])
    data = data.loc[data["effective_on"] <= pd.Timestamp(until) + pd.offsets.MonthEnd(0)]
    if data.empty:
        data = stints[["level"]].head(1).assign(effective_on=pd.Timestamp(until))
    end = pd.DataFrame({"level": [data["level"].iloc[-1]], "effective_on": [pd.Timestamp(until)]})
    data = pd.concat([data, end], ignore_index=True)
    return (
        alt.Chart(data)
        .mark_line(interpolate="step-after", color="#0072B2", point=True)
        .encode(
            x=alt.X(
                "effective_on:T",
                title=None,
                axis=alt.Axis(format="%Y", tickCount={"interval": "year", "step": 1}),
            ),
            y=alt.Y(
                "level:O",
                title="Level",
                sort=list(reversed(levels)),
                scale=alt.Scale(domain=list(reversed(levels))),
            ),
            tooltip=[
                alt.Tooltip("level:N", title="Level"),
                alt.Tooltip("effective_on:T", title="From", format=formats.DAY_D3),
            ],
        )
        .properties(height=220)
    )


def evidence_timeline(
    evidence: pd.DataFrame, categories: Sequence[str], levels: Sequence[str]
) -> alt.Chart:
    """One dot per evidence item: row by category, shape by kind, colour by level."""
    data = evidence.copy()
    data["observed_on"] = pd.to_datetime(data["observed_on"])
    return (
        alt.Chart(data)
        .mark_point(size=260, filled=True, opacity=0.9)
        .encode(
            x=alt.X("observed_on:T", title=None, axis=MONTH_AXIS, scale=alt.Scale(padding=24)),
            y=alt.Y(
                "category:N",
                title=None,
                sort=list(categories),
                scale=alt.Scale(domain=list(categories)),
            ),
            shape=alt.Shape(
                "kind:N",
                title="Kind",
                scale=alt.Scale(domain=["example", "concern"], range=["circle", "triangle-down"]),
            ),
            color=alt.Color("level:N", title="Level", scale=theme.level_scale(levels)),
            tooltip=[
                alt.Tooltip("observed_on:T", title="Observed", format=formats.DAY_D3),
                "category:N",
                "level:N",
                "kind:N",
                "summary:N",
            ],
        )
        .properties(height=60 * len(categories) + 40)
    )


def level_distribution(counts: pd.DataFrame, levels: Sequence[str]) -> alt.LayerChart:
    """Engineers per level, every level of the framework shown even when nobody holds it."""
    data = pd.DataFrame({"level": list(levels)}).merge(counts, on="level", how="left")
    data["engineers"] = data["engineers"].fillna(0).astype(int)
    base = alt.Chart(data).encode(
        x=alt.X("level:N", title=None, sort=list(levels), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("engineers:Q", title="Engineers", axis=alt.Axis(tickMinStep=1, format="d")),
    )
    # Bars as wide as their band allows: a fixed width overlapped neighbours and the y axis
    # in a narrow column.
    bars = base.mark_bar().encode(
        color=alt.Color("level:N", scale=theme.level_scale(levels), legend=None),
        tooltip=["level:N", "engineers:Q"],
    )
    text = base.mark_text(baseline="bottom", dy=-4).encode(text="engineers:Q")
    return alt.layer(bars, text).properties(height=280)


def team_trend(
    trends: pd.DataFrame, spec: MetricChart, all_teams: Sequence[str] = ()
) -> alt.LayerChart:
    """One line per team over the months, against every level's bar for the metric. Each team
    keeps the colour its place in `all_teams` (every team of the warehouse) gives it."""
    view = spec.view
    data = trends.copy()
    shown = sorted(data["team"].dropna().unique().tolist())
    teams = list(all_teams) or shown
    data["month"] = pd.to_datetime(data["month"])
    line = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "month:T",
                title=None,
                # Every other month: twelve "Mon YYYY" labels collide in a half-width chart.
                axis=alt.Axis(
                    format=formats.MONTH_D3,
                    labelAngle=0,
                    tickCount={"interval": "month", "step": 2},
                    labelOverlap="greedy",
                ),
            ),
            y=alt.Y(
                f"{view.metric}:Q",
                title=view.title,
                axis=alt.Axis(format=view.axis_format),
                scale=alt.Scale(zero=False),
            ),
            color=alt.Color("team:N", title="Team", scale=theme.team_scale(teams, shown)),
            tooltip=[
                alt.Tooltip("team:N", title="Team"),
                alt.Tooltip("month:T", title="Month", format=formats.MONTH_D3),
                alt.Tooltip(f"{view.metric}:Q", title=view.title, format=view.value_format),
            ],
        )
    )
    rule, halo, label = _bar_parts(
        bar_rules(spec.bars, spec.levels, spec.emphasise, _bar_label_format(view))
    )
    # Teams and levels each keep their own colour scale; shared, the level domain would hide teams.
    # The bar labels go last, over the team lines.
    return (
        alt.layer(rule, line, halo, label)
        .resolve_scale(color="independent", strokeDash="independent")
        .properties(height=320)
    )


# --- team health: teams against the bars of their own people ---------------------------------
#
# One row per team, ranked, that reads on a projector at 30 teams: no colour per team (30
# teams cannot each have one), team names as the y axis (never cut), and in each row the SLA,
# the team's own bars, the gap between them as a bar and as a line over the months, the level
# mix and the counts. It is one layered view, its columns placed in layout units (0 to 102)
# that one piecewise-linear scale turns into pixels: a column of text keeps the width its text
# needs at the type size, and the drawings (gap bars, lines, level mix) share what is left, so
# it stretches to the page's width in both modes and at 1024 px beside the sidebar.

TEAM_PICK = "team_pick"
BELOW_OWN_BARS = "#D55E00"  # as an attainment below the level held
AT_OR_ABOVE_OWN_BARS = "#A6A6A6"  # grey: only the teams below their own bars stand out
PICKED_ROW = "#CFE3F5"
ZEBRA_ROW = "#F5F5F5"
# Column -> where it starts, in layout units; the gap bars grow either side of GAP_CENTRE.
ATTENTION_AT = {
    "sla": 0.0,
    "own": 8.0,
    "gap": 16.0,
    "spark": 44.0,
    "mix": 68.0,
    "below": 84.0,
    "at_risk": 94.0,
}
GAP_CENTRE, GAP_HALF = 33.0, 7.0
SPARK_WIDTH, MIX_WIDTH = 20.0, 12.0
# The layout's stretches, in layout units: (end, fixed width in type sizes or None, share of
# the room left). Texts are fixed; the drawings and the space around them share the rest.
ATTENTION_STRETCHES = (
    (8.0, 4.4, 0),  # SLA "100.0%"
    (16.0, 3.8, 0),  # own bars "94.8%"
    (26.0, 5.6, 0),  # gap "+0.4 pts"
    (40.0, 0, 14),  # gap bars
    (44.0, 0, 4),
    (64.0, 0, 20),  # gap over the months
    (68.0, 0, 4),
    (80.0, 0, 12),  # level mix
    (84.0, 2.2, 0),
    (94.0, 5.6, 0),  # below own bar (its header "own bar")
    (102.0, 2.6, 0),  # at risk
)
# The least room the drawings get, in pixels, however narrow the page.
ATTENTION_MIN_DRAWING_PX = 110


def _attention_x(type_size: int) -> alt.Scale:
    """The layout units' scale: piecewise linear, a breakpoint at each stretch's end, each
    breakpoint's pixel an expression of the chart's width."""
    fixed = sum(f for _, f, _ in ATTENTION_STRETCHES) * type_size
    shares = sum(w for _, _, w in ATTENTION_STRETCHES)
    room = f"max(width - {fixed:g}, {ATTENTION_MIN_DRAWING_PX})"
    domain, ranges, f_sum, w_sum = [0.0], [0], 0.0, 0
    for end, f, w in ATTENTION_STRETCHES:
        f_sum, w_sum = f_sum + f, w_sum + w
        domain.append(end)
        ranges.append(alt.ExprRef(expr=f"{f_sum * type_size:g} + {room} * {w_sum / shares:g}"))
    return alt.Scale(domain=domain, range=ranges, nice=False, zero=False)


# Column headers, a line break where the column is narrow.
ATTENTION_HEADERS = {
    "sla": "SLA",
    "own": "Own\nbars",
    "gap": "Gap",
    "spark": "Trend",
    "mix": "Levels",
    "below": "Below\nown bar",
    "at_risk": "At\nrisk",
}


def _team_rows(teams: pd.DataFrame) -> pd.DataFrame:
    """The one team frame every layer of the ranked chart reads: only what a mark or a tooltip
    reads, each figure's text in the dashboard's formats, no pandas index."""
    gap_scale = max(float(teams["sla_gap"].abs().max(skipna=True) or 0), 0.01)
    below = teams["sla_gap"].lt(0).fillna(False).astype(bool).to_numpy()
    return pd.DataFrame(
        {
            "team": teams["team"].to_numpy(),
            "row": range(len(teams)),
            "attention_rank": teams["attention_rank"].to_numpy(),
            "below": below,
            "headcount": teams["headcount"].to_numpy(),
            "sla_text": teams["sla_adherence"].map(formats.percent).to_numpy(),
            "own_text": teams["sla_expected"].map(formats.percent).to_numpy(),
            "gap_text": teams["sla_gap"].map(formats.points).to_numpy(),
            "open_gap_text": teams["open_time_gap"]
            .map(lambda v: formats.BLANK if formats.missing(v) else f"{v:+.1f} h")
            .to_numpy(),
            "below_own_bar": teams["below_own_bar"].to_numpy(),
            "below_text": teams["below_own_bar"].map(formats.count).to_numpy(),
            "at_risk": teams["at_risk"].to_numpy(),
            "at_risk_text": teams["at_risk"].map(formats.count).to_numpy(),
            # Where the team's gap bar ends, on one scale for every team (none without a gap).
            "gx1": (GAP_CENTRE + teams["sla_gap"] / gap_scale * GAP_HALF).to_numpy(),
        }
    )


# The text columns of a row: the team frame's column, where it is drawn, and the test under
# which it is bold (a count above zero, the figures of a team below its own bars).
ATTENTION_TEXTS = {
    "sla_text": ("sla", "datum.below"),
    "own_text": ("own", "false"),
    "gap_text": ("gap", "datum.below"),
    "below_text": ("below", "datum.below_own_bar > 0"),
    "at_risk_text": ("at_risk", "datum.at_risk > 0"),
}


def _strong_expr() -> str:
    """Whether a folded text cell (field cell) is drawn bold, as a Vega expression."""
    tests = [f"datum.cell == '{k}' ? ({test})" for k, (_, test) in ATTENTION_TEXTS.items()]
    return " : ".join(tests) + " : false"


def team_attention(
    teams: pd.DataFrame,
    trends: pd.DataFrame,
    mix: pd.DataFrame,
    levels: Sequence[str],
    present: bool = False,
) -> alt.LayerChart:
    """Teams in the order given (team_measures' attention_rank), one row each: SLA, the team's
    own bars (its people's bars weighted by their SLA tickets), the gap in points as a text and
    a bar, the gap over the months in `trends` as a small line around a zero rule (the same
    scale for every team), the level mix (`mix`: team, level, engineers) in the level colours,
    and how many people are below their own bar and at risk. Teams below their own bars are
    tinted and their gap drawn in vermillion; the others are grey. A click on a row selects
    the team (selection parameter TEAM_PICK, field team): the selection is defined on the row
    backgrounds and, the layers sharing one view, a click on any mark of the row (each carries
    its team) selects it too, and so does a click on its name: the row's background reaches
    under the axis labels, which are drawn over it. `present`: the row height and label size
    of presentation mode (theme.for_presentation).

    The team frame (`_team_rows`) is the chart's data, once: the row backgrounds, the text
    columns (folded in the browser), the gap bars and the trends' zero rules read it, and the
    trend and level-mix layers look their team up in it by row."""
    levels = list(levels)
    rows = _team_rows(teams)
    n = len(rows)
    row_height = 40 if present else 30
    label_size = round(theme.BASE_FONT_SIZE * (theme.PRESENTATION_SCALE if present else 1) * 0.9)
    rank_team = [f"{r}. {t}" for r, t in zip(rows["attention_rank"], rows["team"], strict=True)]
    # How far left of the plot the names reach, about: a character is about 0.55 of the size.
    label_px = 8 + round(0.55 * label_size * max((len(t) for t in rank_team), default=0))
    pick = alt.selection_point(name=TEAM_PICK, fields=["team"], on="click", clear="dblclick")
    x = _attention_x(label_size)
    y_scale = alt.Scale(domain=[-2.0, max(n, 1) - 0.5], reverse=True, nice=False, zero=False)
    names = json.dumps(rank_team)
    bold = json.dumps(rows.loc[rows["below"], "row"].tolist())
    y_axis = alt.Axis(
        values=list(range(n)),
        labelExpr=f"{names}[datum.value]",
        labelFontWeight=alt.ExprRef(expr=f"indexof({bold}, datum.value) >= 0 ? 'bold' : 'normal'"),
        title=None,
        grid=False,
        ticks=False,
        domain=False,
        labelPadding=8,
        zindex=1,
    )

    # Every layer carries the same axis: layers that share a scale merge their axes.
    def ys(field: str) -> alt.Y:
        return alt.Y(f"{field}:Q", scale=y_scale, axis=y_axis)

    def xs(field: str) -> alt.X:
        return alt.X(f"{field}:Q", scale=x, axis=None)

    def x_at(units: float) -> alt.XDatum:
        return alt.XDatum(units, scale=x, axis=None)

    summary = [
        alt.Tooltip("rank_team:N", title="Team"),
        alt.Tooltip("headcount:Q", title="People"),
        alt.Tooltip("sla_text:N", title="SLA adherence"),
        alt.Tooltip("own_text:N", title="Its own bars"),
        alt.Tooltip("gap_text:N", title="Gap"),
        alt.Tooltip("open_gap_text:N", title="Open time against own bars (middle)"),
        alt.Tooltip("below_own_bar:Q", title="People below their own bar"),
        alt.Tooltip("at_risk:Q", title="At risk"),
    ]
    with_rank = {"rank_team": "toString(datum.attention_rank) + '. ' + datum.team"}
    background = (
        alt.Chart()
        .transform_calculate(top="datum.row - 0.5", bottom="datum.row + 0.5", **with_rank)
        .mark_rect()
        .encode(
            x=alt.value(-label_px),
            x2=alt.value("width"),
            y=ys("top"),
            y2="bottom:Q",
            fill=alt.when(pick, empty=False)
            .then(alt.value(PICKED_ROW))
            .when(alt.datum.below)
            .then(alt.value(theme.FLAGGED_ROW))
            .when(alt.datum.row % 2 == 1)
            .then(alt.value(ZEBRA_ROW))
            .otherwise(alt.value("#FFFFFF")),
            tooltip=summary,
        )
        .add_params(pick)
    )
    # Two lines of headers above the first row; a one-line header sits on the lower one.
    headers = pd.DataFrame(
        [
            {
                "x": ATTENTION_AT[k],
                "text": line,
                "row": -0.6 - 0.5 * (len(lines) - 1 - i),
            }
            for k, v in ATTENTION_HEADERS.items()
            for lines in [v.split("\n")]
            for i, line in enumerate(lines)
        ]
    )
    header = (
        alt.Chart(headers)
        .mark_text(align="left", baseline="bottom", fontWeight="bold", color="#444444")
        .encode(x=xs("x"), y=ys("row"), text="text:N")
    )
    # The text columns, folded from the team frame: one cell per team and column.
    x_of_cell = json.dumps({k: ATTENTION_AT[column] for k, (column, _) in ATTENTION_TEXTS.items()})
    cells = (
        alt.Chart()
        .transform_fold(list(ATTENTION_TEXTS), as_=["cell", "text"])
        .transform_calculate(x=f"{x_of_cell}[datum.cell]", strong=_strong_expr())
    )
    texts = [
        cells.transform_filter("datum.strong" if strong else "!datum.strong")
        .mark_text(
            align="left",
            baseline="middle",
            color="#222222",
            fontWeight="bold" if strong else "normal",
        )
        .encode(x=xs("x"), y=ys("row"), text="text:N", tooltip=[alt.Tooltip("team:N")])
        for strong in (False, True)
    ]
    # The gap bars' zero, one rule from the first row to the last (drawn from the first row).
    zero = (
        alt.Chart()
        .transform_filter("datum.row == 0")
        .transform_calculate(top="-0.5", bottom=f"{max(n, 1) - 0.5:g}")
        .mark_rule(color="#444444", strokeWidth=1)
        .encode(x=x_at(GAP_CENTRE), y=ys("top"), y2="bottom:Q")
    )
    gap_bars = (
        alt.Chart()
        .transform_filter("isValid(datum.gx1)")
        .transform_calculate(gy0="datum.row - 0.28", gy1="datum.row + 0.28", **with_rank)
        .mark_rect()
        .encode(
            # From its end to the centre: x2 may be a datum only when x is a field.
            x=xs("gx1"),
            x2=alt.X2Datum(GAP_CENTRE),
            y=ys("gy0"),
            y2="gy1:Q",
            fill=alt.when(alt.datum.below)
            .then(alt.value(BELOW_OWN_BARS))
            .otherwise(alt.value(AT_OR_ABOVE_OWN_BARS)),
            tooltip=summary,
        )
    )
    spark_zero = (
        alt.Chart()
        .mark_rule(color="#BBBBBB", strokeWidth=1, strokeDash=[3, 2])
        .encode(
            x=x_at(ATTENTION_AT["spark"]),
            x2=alt.X2Datum(ATTENTION_AT["spark"] + SPARK_WIDTH),
            y=ys("row"),
        )
    )
    layers = [background, header, *texts, zero, gap_bars, spark_zero]
    layers += _gap_sparklines(rows, trends, xs, ys)
    layers += _level_mix(rows, mix, levels, xs, ys)
    return alt.layer(*layers, data=rows).properties(height=row_height * (n + 2))


def _by_row(rows: pd.DataFrame) -> alt.LookupData:
    """The team of a row, looked up in the chart's team frame."""
    return alt.LookupData(data=rows, key="row", fields=["team"])


def _gap_sparklines(rows: pd.DataFrame, trends: pd.DataFrame, xs, ys) -> list[alt.Chart]:
    """Each team's gap to its own bars over the months: a line around its row's zero rule (drawn
    with the team rows), on one scale for every team; a month below the team's own bars is a
    vermillion dot. The data is row, month (its place, m), gap and below; the team, the month
    and the gap as text are made in the browser."""
    months = sorted(pd.to_datetime(trends["month"]).unique())
    if not months or rows.empty:
        return []
    spread = max(len(months) - 1, 1)
    place = {m: i for i, m in enumerate(months)}
    row_of = dict(zip(rows["team"], rows["row"], strict=True))
    data = trends.loc[trends["team"].isin(row_of)]
    gap = data["sla_gap"].astype(float)
    points = pd.DataFrame(
        {
            "row": data["team"].map(row_of).astype("int32").to_numpy(),
            "m": pd.to_datetime(data["month"]).map(place).astype("int8").to_numpy(),
            "gap": gap.round(6).to_numpy(),
            "below": gap.lt(0).to_numpy(),
        }
    )
    scale = max(float(gap.abs().max(skipna=True) or 0), 0.01)
    labels = json.dumps([formats.month(m) for m in months])
    drawn = (
        alt.Chart(points)
        .transform_lookup(lookup="row", from_=_by_row(rows))
        .transform_calculate(
            sx=f"{ATTENTION_AT['spark']:g} + datum.m * {SPARK_WIDTH / spread!r}",
            sy=f"isValid(datum.gap) ? datum.row - datum.gap * {0.42 / scale!r} : null",
        )
    )
    line = drawn.mark_line(
        strokeWidth=2, color="#444444", invalid="break-paths-show-domains"
    ).encode(x=xs("sx"), y=ys("sy"), detail="row:N", order="m:Q")
    dots = (
        drawn.transform_filter("isValid(datum.gap)")
        .transform_calculate(month=f"{labels}[datum.m]", gap_text=formats.points_expr("gap"))
        .mark_point(filled=True, size=28, opacity=1)
        .encode(
            x=xs("sx"),
            y=ys("sy"),
            fill=alt.when(alt.datum.below)
            .then(alt.value(BELOW_OWN_BARS))
            .otherwise(alt.value(AT_OR_ABOVE_OWN_BARS)),
            tooltip=[
                alt.Tooltip("team:N", title="Team"),
                alt.Tooltip("month:N", title="Month"),
                alt.Tooltip("gap_text:N", title="Gap to its own bars"),
            ],
        )
    )
    return [line, dots]


def _level_mix(rows: pd.DataFrame, mix: pd.DataFrame, levels: list[str], xs, ys) -> list[alt.Chart]:
    """Each team's people by level as one bar of the level colours, as shares of the team."""
    if mix.empty or rows.empty:
        return []
    data = mix.merge(rows[["team", "row"]], on="team")
    data["order"] = data["level"].map(levels.index)
    data = data.sort_values(["row", "order"])
    share = data["engineers"] / data.groupby("team")["engineers"].transform("sum")
    start = share.groupby(data["team"]).cumsum() - share
    mx0 = ATTENTION_AT["mix"] + start * MIX_WIDTH
    bars = pd.DataFrame(
        {
            "row": data["row"].astype("int32").to_numpy(),
            "level": data["level"].to_numpy(),
            "engineers": data["engineers"].astype("int32").to_numpy(),
            "mx0": mx0.round(6).to_numpy(),
            "mx1": (mx0 + share * MIX_WIDTH).round(6).to_numpy(),
        }
    )
    return [
        alt.Chart(bars)
        .transform_lookup(lookup="row", from_=_by_row(rows))
        .transform_calculate(my0="datum.row - 0.28", my1="datum.row + 0.28")
        .mark_rect(stroke="#FFFFFF", strokeWidth=1)
        .encode(
            x=xs("mx0"),
            x2="mx1:Q",
            y=ys("my0"),
            y2="my1:Q",
            color=alt.Color(
                "level:N",
                scale=theme.level_scale(levels),
                title="Level mix",
                legend=alt.Legend(orient="top", direction="horizontal", columns=len(levels)),
            ),
            tooltip=[
                alt.Tooltip("team:N", title="Team"),
                alt.Tooltip("level:N", title="Level"),
                alt.Tooltip("engineers:Q", title="People"),
            ],
        )
    ]


def trajectories(
    months: pd.DataFrame,
    spec: MetricChart,
    columns: int = 4,
    order: Sequence[str] | None = None,
    panel: tuple[int, int] = (210, 150),
) -> alt.FacetChart:
    """Small multiples: each person's monthly SLA adherence, one panel each, same bars in all.

    `months` has person, month, sla_adherence, sla_sample and judged (as the rule judged the
    month); months not judged are grey ticks at the foot of the panel instead of points. A
    facet shares one data set, so the bars travel in it as rows of their own (row_type "bar"),
    repeated for every person.
    """
    levels, bars, emphasise = list(spec.levels), spec.bars, spec.emphasise
    data = months.copy()
    data["month"] = pd.to_datetime(data["month"])
    data["judged"] = data["judged"].astype(bool)
    data["shown"] = data["sla_adherence"].where(data["judged"])
    lows = [*data["shown"].dropna().tolist(), *bars["value"].tolist()]
    low = round(min(lows) - 0.02, 2) if lows else 0.8
    data["floor"] = low
    data["sample_note"] = [
        f"{int(n)} SLA tickets" + ("" if ok else " (not judged)")
        for n, ok in zip(data["sla_sample"], data["judged"], strict=True)
    ]
    data["row_type"] = "month"
    rule_rows = pd.DataFrame(
        [
            (person, b.level, b.value, b.level in emphasise)
            for person in data["person"].unique()
            for b in bars.itertuples()
        ],
        columns=["person", "level", "value", "emphasised"],
    ).assign(row_type="bar")
    data = pd.concat([data, rule_rows], ignore_index=True)

    y_scale = alt.Scale(domain=[low, 1.0], zero=False)
    x = alt.X("month:T", title=None, axis=alt.Axis(format="%b", labelAngle=0, tickCount=4))
    months_only = alt.Chart().transform_filter("datum.row_type == 'month'")
    line = months_only.mark_line(color="#0072B2").encode(
        x=x, y=alt.Y("shown:Q", title="SLA adherence", axis=alt.Axis(format=".0%"), scale=y_scale)
    )
    points = months_only.mark_point(color="#0072B2", size=50).encode(
        x=x,
        y=alt.Y("shown:Q", scale=y_scale),
        tooltip=[
            "person:N",
            alt.Tooltip("month:T", format=formats.MONTH_D3),
            alt.Tooltip("shown:Q", title="SLA adherence", format=".1%"),
            alt.Tooltip("sample_note:N", title="Sample"),
        ],
    )
    thin = (
        months_only.transform_filter("!datum.judged")
        .mark_tick(color=theme.INSUFFICIENT_COLOUR, thickness=4, size=16)
        .encode(
            x=x,
            y=alt.Y("floor:Q", scale=y_scale),
            tooltip=[
                "person:N",
                alt.Tooltip("month:T", format=formats.MONTH_D3),
                alt.Tooltip("sample_note:N", title="Sample"),
            ],
        )
    )
    rules = (
        alt.Chart()
        .transform_filter("datum.row_type == 'bar'")
        .mark_rule(color=theme.BAR_RULE_COLOUR)
        .encode(
            y=alt.Y("value:Q", scale=y_scale),
            strokeDash=alt.StrokeDash(
                "level:N",
                title="Bar",
                scale=alt.Scale(
                    domain=levels, range=[theme.level_dash(levels, lv) for lv in levels]
                ),
            ),
            strokeWidth=alt.condition("datum.emphasised", alt.value(3), alt.value(1.5)),
            opacity=alt.condition("datum.emphasised", alt.value(1.0), alt.value(0.45)),
        )
    )
    return (
        alt.layer(rules, line, points, thin, data=data)
        # 4 panels of 210 px (the default `panel`, width and height) fit a 1280 px window
        # beside the sidebar; narrower, the page's CSS scales the grid down rather than clip it.
        .properties(width=panel[0], height=panel[1])
        .facet(
            facet=alt.Facet(
                "person:N",
                title=None,  # name size from the theme, larger in presentation mode
                sort=list(order) if order is not None else "ascending",
            ),
            columns=columns,
        )
    )


def _people_by_category(data: pd.DataFrame, categories: Sequence[str]) -> alt.Chart:
    """The grid both people-by-category charts share: framework order across, input order
    down (the caller sorts people by what matters on its page)."""
    return alt.Chart(data).encode(
        x=alt.X(
            "category:N",
            title=None,
            sort=list(categories),
            axis=alt.Axis(orient="top", labelAngle=0),
        ),
        # Room for a namesake's label, "Catherine Powers (Granite · E0119)", at the
        # presentation type size (the theme's 260 px cut it).
        y=alt.Y("person:N", title=None, sort=None, axis=alt.Axis(labelLimit=400)),
    )


def attainment_matrix(cells: pd.DataFrame, categories: Sequence[str]) -> alt.LayerChart:
    """People down, categories across, each cell the level shown at the as-of month."""
    base = _people_by_category(_with_shown(cells), categories)
    rect = base.mark_rect(stroke="#FFFFFF", strokeWidth=2).encode(
        color=_status_colour(),
        tooltip=[
            "person:N",
            "category:N",
            alt.Tooltip("current_level:N", title="Level held"),
            alt.Tooltip("shown:N", title="Level shown"),
        ],
    )
    text = base.mark_text().encode(text="label:N")  # type size from the theme
    # The column's width, shared out between categories: a fixed width overflowed a narrow
    # column and the category headers overprinted each other.
    return alt.layer(rect, text).properties(height=alt.Step(34), width="container")


def coverage_heatmap(cells: pd.DataFrame, categories: Sequence[str]) -> alt.LayerChart:
    """People down, categories across, split into 'at current level' and 'at next level';
    each cell the months since the latest example, darker = thinner; "never" (no example at
    that level ever) is a neutral grey of its own, not the darkest orange."""
    data = cells.copy()
    data["label"] = data["months_since"].map(lambda v: "never" if pd.isna(v) else f"{int(v)}")
    # "never" as -1, not null: Vega drops a mark whose colour field is null, leaving it white.
    data["staleness"] = data["months_since"].fillna(-1)
    # The scale reaches the oldest value shown, so 20 and 35 months are not one colour.
    oldest = max(12, int(data["months_since"].max())) if data["months_since"].notna().any() else 12
    base = _people_by_category(data, categories)
    rect = base.mark_rect(stroke="#FFFFFF", strokeWidth=2).encode(
        color=alt.condition(
            "datum.staleness >= 0",
            alt.Color(
                "staleness:Q",
                title="Months since",
                scale=alt.Scale(scheme="oranges", domain=[0, oldest]),
            ),
            alt.value(theme.INSUFFICIENT_COLOUR),
        ),
        tooltip=[
            "person:N",
            "category:N",
            alt.Tooltip("which:N", title="Examples at"),
            alt.Tooltip("label:N", title="Months since latest"),
        ],
    )
    text = base.mark_text(fontSize=13).encode(
        text="label:N",
        color=alt.condition(
            f"datum.staleness > {oldest / 2}", alt.value("#FFFFFF"), alt.value("#222222")
        ),
    )
    return (
        alt.layer(rect, text, data=data)
        .properties(height=alt.Step(28), width=90 * len(categories))
        .facet(column=alt.Column("which:N", title=None, sort=["at current level", "at next level"]))
    )


def evidence_per_manager(per_manager: pd.DataFrame) -> alt.LayerChart:
    """Evidence items per engineer for each manager's reports, with a tick at the team's rate."""
    base = alt.Chart(per_manager).encode(
        # Room for a namesake's label, "Mario Hernandez (Beacon · M006)", in presentation type.
        y=alt.Y("manager_name:N", title=None, sort=None, axis=alt.Axis(labelLimit=400)),
    )
    bars = base.mark_bar(color="#0072B2", height=22).encode(
        x=alt.X("items_per_engineer:Q", title="Evidence items per engineer"),
        tooltip=[
            alt.Tooltip("manager_name:N", title="Manager"),
            "team:N",
            "engineers:Q",
            "items:Q",
            alt.Tooltip("items_per_engineer:Q", format=".1f"),
            alt.Tooltip("team_items_per_engineer:Q", title="Team rate", format=".1f"),
        ],
    )
    team = base.mark_tick(color="#000000", thickness=5, size=34).encode(
        x="team_items_per_engineer:Q",
        tooltip=[
            "team:N",
            alt.Tooltip("team_items_per_engineer:Q", title="Team rate", format=".1f"),
        ],
    )
    return alt.layer(bars, team).properties(height=alt.Step(34))


# --- the calibration worksheet ----------------------------------------------------------------

# Proposed in a light tone, calibrated in the full one of the same hue: the pair reads as
# "before and after" without a legend lookup.
STAGE_COLOURS = {"Proposed": "#9ECAE1", "Calibrated": "#0072B2"}


def outcome_distribution(
    counts: pd.DataFrame, outcomes: Sequence[str], guideline: float | None = None
) -> alt.LayerChart:
    """People per outcome (`outcome`, in `outcomes` order) and stage (`stage`: Proposed or
    Calibrated) from `people`; with `guideline`, a dashed rule at that many promotions."""
    stages = list(STAGE_COLOURS)
    # Room past the longest bar and the guideline for their labels.
    top = max([*counts["people"], guideline or 0]) + 0.6
    x_scale = alt.Scale(domain=[0, top], nice=False)
    base = alt.Chart(counts).encode(
        y=alt.Y("outcome:N", title=None, sort=list(outcomes), scale=alt.Scale(domain=outcomes)),
        yOffset=alt.YOffset("stage:N", sort=stages, scale=alt.Scale(domain=stages)),
    )
    bars = base.mark_bar(height={"band": 1}).encode(
        x=alt.X(
            "people:Q",
            title="People",
            scale=x_scale,
            axis=alt.Axis(tickMinStep=1, format="d"),
        ),
        color=alt.Color(
            "stage:N",
            title=None,
            scale=alt.Scale(domain=stages, range=[STAGE_COLOURS[s] for s in stages]),
            legend=alt.Legend(orient="top"),
        ),
        tooltip=[
            alt.Tooltip("outcome:N", title="Outcome"),
            alt.Tooltip("stage:N", title="Stage"),
            alt.Tooltip("people:Q", title="People"),
        ],
    )
    labels = base.mark_text(align="left", dx=4, fontSize=12).encode(
        x="people:Q", text="people:Q", detail="stage:N"
    )
    layers = [bars, labels]
    if guideline is not None:
        line = pd.DataFrame({"people": [guideline], "label": [f"guideline ≈ {guideline:.1f}"]})
        rule = alt.Chart(line).encode(x=alt.X("people:Q", scale=x_scale))
        layers += [
            rule.mark_rule(color="#D55E00", strokeDash=[6, 4], size=2).encode(
                tooltip=[alt.Tooltip("label:N", title="Promotions")]
            ),
            rule.mark_text(align="right", dx=-4, y=0, baseline="top", color="#D55E00").encode(
                text="label:N"
            ),
        ]
    return alt.layer(*layers).properties(height=alt.Step(16))


def outcomes_by_team(counts: pd.DataFrame, outcomes: Sequence[str]) -> alt.Chart:
    """People per `team` and `outcome`, stacked, one panel per `stage`."""
    palette = ["#009E73", "#CC79A7", "#999999", "#E69F00", "#D9D9D9"]
    return (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            y=alt.Y("team:N", title=None),
            x=alt.X("people:Q", title="People", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color(
                "outcome:N",
                title=None,
                sort=list(outcomes),
                scale=alt.Scale(domain=list(outcomes), range=palette[: len(outcomes)]),
                legend=alt.Legend(orient="top"),
            ),
            order=alt.Order("rank:Q"),
            tooltip=[
                alt.Tooltip("team:N", title="Team"),
                alt.Tooltip("stage:N", title="Stage"),
                alt.Tooltip("outcome:N", title="Outcome"),
                alt.Tooltip("people:Q", title="People"),
            ],
        )
        .properties(height=alt.Step(24), width=260)
        .facet(column=alt.Column("stage:N", title=None, sort=list(STAGE_COLOURS)))
    )


# --- the fairness lens ----------------------------------------------------------------------

# The org's rate is drawn in a colour no group dot takes, so "the org" never reads as a group.
ORG_RULE_COLOUR = "#D55E00"


def rate_intervals(
    rows: pd.DataFrame,
    org_rate: float | None,
    *,
    title: str,
    value_format: str,
    org_word: str = "rate",
    unit: tuple[str, str] | None = None,
) -> alt.LayerChart:
    """One row per group, top to bottom in the rows' order: a dot at its rate, a line across
    its 95% interval, the sample size beside the name ("· 7 people" with `unit` = ("person",
    "people"), "· n = 7" without), and a dashed vertical rule at the org's rate (its "median"
    for a median: `org_word`).

    `rows` has label (how the group is shown), rate, low, high, n and words (the descriptive
    phrase against the org's rate). Only these columns reach the chart's data, so a tooltip can
    carry nothing else; a group the caller withheld is simply not among the rows."""
    data = rows[["label", "rate", "low", "high", "n", "words"]].copy()
    data["row"] = [
        f"{label} · {_count(int(n), unit)}"
        for label, n in zip(data["label"], data["n"], strict=True)
    ]
    spans = [*data["low"].dropna(), *data["high"].dropna(), *data["rate"].dropna()]
    has_org = org_rate is not None and not pd.isna(org_rate)
    if has_org:
        spans.append(org_rate)
    top = max(spans) * 1.05 if spans and max(spans) > 0 else 1
    x_scale = alt.Scale(domain=[0, top], nice=False)
    # Room for a namesake's team and id, in presentation type too.
    y = alt.Y("row:N", title=None, sort=data["row"].tolist(), axis=alt.Axis(labelLimit=520))
    base = alt.Chart(data).encode(y=y)
    tooltip = [
        alt.Tooltip("label:N", title="Group"),
        alt.Tooltip("rate:Q", title=title, format=value_format),
        alt.Tooltip("low:Q", title="95% interval from", format=value_format),
        alt.Tooltip("high:Q", title="95% interval to", format=value_format),
        alt.Tooltip("n:Q", title=unit[1].capitalize() if unit else "n"),
        alt.Tooltip("words:N", title=f"Against the org's {org_word}"),
    ]
    # Few ticks, the last one kept inside the chart: a tick every 2% crowded a narrow chart.
    axis = alt.Axis(format=value_format, tickCount=6, labelFlush=True)
    interval = base.mark_rule(color=theme.OKABE_ITO[0], strokeWidth=4, opacity=0.7).encode(
        x=alt.X("low:Q", scale=x_scale, title=title, axis=axis), x2="high:Q", tooltip=tooltip
    )
    dot = base.mark_point(color=theme.OKABE_ITO[0], size=160, filled=True, opacity=1).encode(
        x=alt.X("rate:Q", scale=x_scale), tooltip=tooltip
    )
    layers = [interval, dot]
    if has_org:
        shown = "{" + (value_format_py(value_format) or ":.2f") + "}"
        label = f"Org's {org_word} " + shown.format(org_rate)
        org = pd.DataFrame({"rate": [org_rate], "label": [label]})
        rule = alt.Chart(org).encode(x=alt.X("rate:Q", scale=x_scale))
        # Above the first row, on the side of the rule with room: on a projector the rule needs
        # its words, and near the right edge they would be cut off.
        left = org_rate > top * 0.6
        layers += [
            rule.mark_rule(color=ORG_RULE_COLOUR, strokeDash=[6, 4], strokeWidth=2).encode(
                tooltip=[alt.Tooltip("label:N", title="Everyone counted")]
            ),
            rule.mark_text(
                align="right" if left else "left",
                baseline="bottom",
                dx=-5 if left else 5,
                y=-4,
                color=ORG_RULE_COLOUR,
                fontWeight="bold",
            ).encode(text="label:N"),
        ]
    # Roomy rows for a handful of groups (a projector); tighter for a hundred managers.
    return alt.layer(*layers).properties(height=alt.Step(40 if len(data) <= 15 else 26))


def _count(n: int, unit: tuple[str, str] | None) -> str:
    if unit is None:
        return f"n = {n}"
    return f"{n} {unit[0] if n == 1 else unit[1]}"


# --- the what-if page -------------------------------------------------------------------------

# A flag in what-if charts takes the hue of its badge on every page (green, sky blue, purple,
# orange), from the Okabe-Ito set; the flags arrive in pipelines.whatif.diff.FLAGS order.
FLAG_HUES = ("#009E73", "#56B4E9", "#CC79A7", "#E69F00")


def whatif_moves(
    moves: pd.DataFrame, group_title: str, flags: Sequence[str], groups: Sequence[str]
) -> alt.LayerChart:
    """Who a what-if moves, per `group` (a level or a team, in `groups` order): people who gain
    a flag to the right of zero, people who lose it to the left. Columns: group, flag (one of
    `flags`), move ("become" or "stop") and people (signed: + become, - stop). A flag keeps its
    hue (its place in `flags`) whichever flags moved; the legend lists only those that did."""
    shown = [f for f in flags if f in set(moves["flag"])]
    hues = [FLAG_HUES[list(flags).index(f) % len(FLAG_HUES)] for f in shown]
    data = moves.assign(count=moves["people"].abs())
    # Zero in the middle, so "stop" and "become" read as equal halves of the axis.
    sides = data.groupby(["group", data["people"] > 0])["people"].sum().abs()
    reach = max(int(sides.max()) if len(sides) else 1, 1)
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("group:N", title=None, sort=list(groups)),
            x=alt.X(
                "people:Q",
                stack="zero",
                title="← people who stop · people who become →",
                scale=alt.Scale(domain=[-reach, reach], nice=False),
                # Counts either side of zero, never a negative number of people.
                axis=alt.Axis(tickMinStep=1, format="d", labelExpr="abs(datum.value)"),
            ),
            color=alt.Color(
                "flag:N",
                title=None,
                scale=alt.Scale(domain=shown, range=hues),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("group:N", title=group_title),
                alt.Tooltip("flag:N", title="Flag"),
                alt.Tooltip("move:N", title="Move"),
                alt.Tooltip("count:Q", title="People"),
            ],
        )
    )
    zero = alt.Chart(pd.DataFrame({"people": [0]})).mark_rule(color="#4D4D4D").encode(x="people:Q")
    # Thick bars for a few levels, thinner ones for a list of many teams.
    return alt.layer(bars, zero).properties(height=alt.Step(36 if len(groups) <= 8 else 22))
