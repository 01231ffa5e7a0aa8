"""How the dashboard writes a month, a day, a share, hours and counts: one way, everywhere.

Pages format with the functions; charts use the d3 formats next to them so an axis, a tooltip
and a table cell show the same value the same way. A missing value is written BLANK, never
"None" or "nan".
"""

from __future__ import annotations

import pandas as pd

BLANK = "—"

# d3-format / d3-time-format twins of the functions below, for Altair axes and tooltips.
MONTH_D3 = "%b %Y"
DAY_D3 = "%-d %b %Y"
PERCENT_D3 = ".1%"
PERCENT_AXIS_D3 = ".0%"
HOURS_D3 = ".1f"
COUNT_D3 = ",d"


def missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str) or not pd.api.types.is_scalar(value):
        return False
    return bool(pd.isna(value))


def month(value) -> str:
    """'Oct 2026'."""
    return BLANK if missing(value) else pd.Timestamp(value).strftime("%b %Y")


def day(value) -> str:
    """'1 Feb 2027'."""
    return BLANK if missing(value) else pd.Timestamp(value).strftime("%-d %b %Y")


def percent(share) -> str:
    """A share (0.963) as '96.3%'."""
    return BLANK if missing(share) else f"{float(share):.1%}"


def points(change) -> str:
    """A change of a share (0.012) in percentage points: '+1.2 pts'."""
    return BLANK if missing(change) else f"{float(change) * 100:+.1f} pts"


def points_expr(field: str) -> str:
    """points() as a Vega expression of `datum[field]` (never missing), for a text the
    browser makes: '+1.2 pts', '-0.4 pts' (d3's format would write a typographic minus)."""
    return f"(datum.{field} < 0 ? '-' : '+') + format(abs(datum.{field}) * 100, '.1f') + ' pts'"


def hours(value) -> str:
    """'12.5 h'."""
    return BLANK if missing(value) else f"{float(value):.1f} h"


def count(value) -> str:
    """'1,204'."""
    return BLANK if missing(value) else f"{int(value):,}"


def share_of(share, sample, unit: str = "ratings") -> str:
    """A share with the sample it is over: '92.0% of 250 ratings'; BLANK with no sample."""
    if missing(share) or missing(sample) or int(sample) == 0:
        return BLANK
    return f"{percent(share)} of {count(sample)} {unit}"


def cell(value) -> object:
    """A table cell: missing becomes BLANK, anything else is left as it is."""
    return BLANK if missing(value) else value


# --- a framework metric and the inputs of a category check ----------------------------------

METRIC_WORDS = {
    "sla_adherence": "SLA adherence",
    "median_open_hours": "median open time",
    "volume_ratio": "volume (solved ÷ team median)",
}


def metric_value(metric: str, value) -> str:
    """A figure of a framework metric as people write it: 96.3%, 12.5 h, 0.72."""
    if missing(value):
        return BLANK
    if metric == "sla_adherence":
        return percent(value)
    if metric == "median_open_hours":
        return hours(value)
    return f"{float(value):.2f}"


# Tooltip column -> title of the few inputs that explain a category check (Engineer heatmap).
CHECK_TOOLTIP = {
    "tip_not_judged": "Not judged because",
    "tip_sla": "SLA adherence",
    "tip_open_time": "Median open time",
    "tip_volume": "Tickets solved",
    "tip_evidence": "Evidence",
    "tip_held_back": "Next level held back by",
}


def _ids(value) -> str:
    items = [] if missing(value) else list(value)
    return ", ".join(map(str, items))


def _held_back(row) -> str:
    """Why the level above was not shown, from the blocker columns category_attainment wrote."""
    kind, level = row.get("blocker_kind"), row.get("blocked_level")
    if missing(kind) or missing(level):
        return BLANK
    metric = row.get("blocker_metric")
    words = METRIC_WORDS.get(metric, str(metric))
    if kind == "bar":
        return (
            f"{level}: {words} {metric_value(metric, row.get('blocker_observed'))} "
            f"against a bar of {metric_value(metric, row.get('blocker_bar'))}"
        )
    if kind == "sample":
        return f"{level}: too few tickets to judge {words} ({count(row.get('blocker_sample'))})"
    if kind == "concern":
        evidence = row.get("blocker_evidence_id")
        return f"{level}: a concern" + ("" if missing(evidence) else f" ({evidence})")
    if kind == "example":
        return f"{level}: no example at {level} yet"
    return f"{level}: {kind}"


def check_inputs(cells: pd.DataFrame) -> pd.DataFrame:
    """category_attainment rows with the CHECK_TOOLTIP columns added as text."""
    out = cells.copy()

    def get(column):
        return out[column] if column in out else pd.Series(None, index=out.index, dtype=object)

    out["tip_not_judged"] = get("not_judged_because").map(lambda v: BLANK if missing(v) else v)
    out["tip_sla"] = [
        BLANK if missing(s) else f"{percent(s)} of {count(n)} SLA tickets"
        for s, n in zip(get("sla_adherence"), get("sla_sample").fillna(0), strict=True)
    ]
    out["tip_open_time"] = get("median_open_hours").map(hours)
    out["tip_volume"] = [
        count(n) + ("" if missing(n) or missing(m) else f" (team median {float(m):g})")
        for n, m in zip(get("tickets_solved"), get("team_median_solved"), strict=True)
    ]
    out["tip_evidence"] = [
        "; ".join(
            part
            for part in (
                f"examples {_ids(ex)}" if _ids(ex) else "",
                f"concerns {_ids(co)}" if _ids(co) else "",
            )
            if part
        )
        or "none"
        for ex, co in zip(get("example_ids"), get("concern_ids"), strict=True)
    ]
    out["tip_held_back"] = [_held_back(row) for _, row in out.iterrows()]
    return out


def delta_colour(change, digits: int = 1, better: str = "normal") -> str:
    """st.metric's delta_color for a change shown to `digits` decimals: "off" (grey, no verdict)
    when it shows as zero or is unknown, so "+0.0 pts" never gets a green arrow; else `better`
    ("normal" when up is good, "inverse" when down is)."""
    if missing(change) or round(float(change), digits) == 0:
        return "off"
    return better


# --- a month the rule did not judge, named for what it is ------------------------------------

# assessed_months.not_judged_because -> (the word for a tooltip, the short tag inside a cell).
NOT_JUDGED_WORDS = {
    "onboarding": ("Onboarding", "Onb."),
    "mostly on leave": ("On leave", "Leave"),
    "no data for the month": ("No data", "—"),
    "joined during the month": ("Joined this month", "New"),
    "left during the month": ("Left this month", "Left"),
    "level changed during the month": ("Level changed this month", "Chg."),
}


def not_judged(reason) -> str:
    """'Onboarding', 'On leave', ...: never a level, never 'below'."""
    if missing(reason):
        return "Not judged"
    return NOT_JUDGED_WORDS.get(str(reason), (str(reason).capitalize(), ""))[0]


def not_judged_label(reason) -> str:
    """The short tag a heatmap cell carries for a month not judged."""
    if missing(reason):
        return ""
    return NOT_JUDGED_WORDS.get(str(reason), ("", ""))[1]
