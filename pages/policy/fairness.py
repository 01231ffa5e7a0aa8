"""Fairness: are flags and evidence falling evenly across teams, regions and managers?

First, how much evidence each manager has recorded per report per month against the org's
rate: the thing to look at before a calibration meeting, because fewer recorded examples means
fewer chances to show a level, not worse performance. Then the lens: for one grouping (team,
region, manager, level, or a roster column the framework declares) over a period, each
measure's rate per group with its 95% interval and sample size, against the org's rate.

pipelines.fairness computes every figure and decides which groups are too small to show; this
page only draws the rows it is handed, so a withheld group cannot reach a chart, a tooltip, a
table or a download. The sidebar's month ends the default period. Its team, region, manager and
level filters do not narrow this page: each filtered view would be suppressed on its own, and
subtracting two of them (all teams, then all teams but one) would give away the very group the
minimum withholds. The viewer's scope always applies.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from pipelines.fairness import (
    MEASURES,
    MEASURES_BY_KEY,
    documentation_skew,
    fairness_groupings,
    fairness_min_group_size,
    fairness_table,
    grouping_label,
)
from pipelines.fairness import differences as fairness_differences
from pipelines.fairness.words import direction, drop_sample
from rungs_ui import charts, formats, identity, navigation, page, queries
from rungs_ui.warehouse import Warehouse, reading

PERIOD_MONTHS = 12


@dataclass(frozen=True)
class Written:
    """How one kind of measure is written: d3 format for the chart, a Python one for the
    tables, the axis title, what its n counts (a sentence, a column heading and the unit the
    chart writes beside each name), and what the org's figure is called."""

    axis_format: str
    cell: str
    axis_title: str
    n_counts: str
    n_header: str
    unit: tuple[str, str]
    org_word: str = "rate"

    @property
    def header(self) -> str:
        """The table's figure column: short, so the words beside it fit in 1024 px."""
        return f"{'Median' if self.org_word == 'median' else 'Rate'} (95% interval)"


KINDS = {
    "share": Written(
        ".0%",
        "{:.0%}",
        "Share of people",
        "people in the group, each placed at their last judged month",
        "People",
        ("person", "people"),
    ),
    "per_person_month": Written(
        ".2f",
        "{:.2f}",
        "Examples per person-month",
        "person-months present in the period",
        "Person-months",
        ("person-month", "person-months"),
    ),
    "months": Written(
        ".0f",
        "{:.0f} months",
        "Median months at level",
        "promotions in the period",
        "Promotions",
        ("promotion", "promotions"),
        "median",
    ),
}
# The evidence by manager: the same measure as "Evidence per person-month", per manager, its n
# the reports in the period (anyone who reported to them in any month of it).
SKEW = Written(
    ".2f",
    "{:.2f}",
    "Examples per person-month",
    "reports in the period: anyone who reported to the manager in any of its months",
    "Reports in the period",
    ("report", "reports"),
)
# How the rows of a grouping are called in "Show all 40 teams".
PLURALS = {"team": "teams", "region": "regions", "manager": "managers", "level": "levels"}


# Cached per build, period, grouping and people counted: the queries read whole months of flags
# and evidence, and a projector view reruns on every click.
@st.cache_data(max_entries=64, show_spinner=False)
def _lens(_wh: Warehouse, build_id: str, grouping: str, start, end, size, people):
    del build_id
    with reading(_wh) as con:
        return fairness_table(con, grouping, start, end, size, people)


@st.cache_data(max_entries=64, show_spinner=False)
def _skew(_wh: Warehouse, build_id: str, start, end, size, people):
    del build_id
    with reading(_wh) as con:
        return documentation_skew(con, start, end, size, people)


@st.cache_data(max_entries=8, show_spinner=False)
def _settings(_wh: Warehouse, build_id: str, at_least: int) -> tuple[list[str], int]:
    del build_id
    with reading(_wh) as con:
        return fairness_groupings(con), fairness_min_group_size(con, at_least)


def people_counted(ctx: page.PageContext) -> tuple[str, ...] | None:
    """None when everyone in the warehouse counts; otherwise the ids the viewer's scope holds
    (the org's rate is then theirs). Never the sidebar's filters (see the module's note)."""
    if ctx.scope.everyone:
        return None
    return tuple(sorted(ctx.scope.people))


def filters_set(ctx: page.PageContext) -> bool:
    f = ctx.filters
    return bool(f.teams or f.regions or f.managers or f.levels)


def manager_labels(ids: pd.Series, names: pd.Series) -> list[str]:
    """How each manager is shown: as everywhere else (a letter when anonymised). A manager the
    sidebar does not list this month (they left, or manage nobody now) gets a numbered stand-in
    when anonymised, so two of them never merge into one "a manager" row."""
    who = identity.current()
    labels, others = [], 0
    for manager_id, name in zip(ids, names, strict=True):
        if not manager_id:  # the people who reported to nobody: a group, not a person
            labels.append(name)
        elif manager_id in who.managers or not who.anonymised:
            labels.append(who.manager(manager_id, name))
        else:
            others += 1
            labels.append(f"Another manager {others}")
    return labels


def with_interval(rate, low, high, how: str) -> str:
    """'24% (15% – 37%)': the rate and its 95% interval in one cell, so the words beside them
    still fit in a 1024 px window."""
    if formats.missing(rate):
        return formats.BLANK
    if formats.missing(low) or formats.missing(high):
        return how.format(rate)
    return f"{how.format(rate)} ({how.format(low)} – {how.format(high)})"


def figures_table(rows: pd.DataFrame, how: str) -> pd.DataFrame:
    """label, rate with interval, words and n as the table shows them (text, the same in the
    interactive and the presentation table). The words leave out the n their column holds."""
    return pd.DataFrame(
        {
            "label": rows["label"],
            "rate": [
                with_interval(r, lo, hi, how)
                for r, lo, hi in zip(rows["rate"], rows["low"], rows["high"], strict=True)
            ],
            "words": rows["words"].map(drop_sample),
            "n": rows["n"].astype(int),
        }
    )


def figures_shown(ctx: page.PageContext, rows: pd.DataFrame, how: Written, label: str, n: str):
    """The table of `rows`: the figure with its interval, the words against the org's, and
    n headed by what it counts (`n`: "People", "Person-months", "Reports in the period")."""
    page.table(
        ctx,
        figures_table(rows, how.cell),
        column_config={
            "label": label,
            "rate": st.column_config.TextColumn(
                how.header,
                help="The interval: where the rate would likely fall with another sample.",
            ),
            "words": st.column_config.TextColumn(f"Against the org's {how.org_word}"),
            "n": st.column_config.NumberColumn(n, help=f"The number of {how.n_counts}."),
        },
    )


def show_figures(
    ctx: page.PageContext,
    rows: pd.DataFrame,
    org_rate,
    how: Written,
    label: str,
    *,
    key: str,
    plural: str,
    lead: bool = True,
    only: pd.Series | None = None,
) -> None:
    """A dot-and-interval chart of `rows` against the org's rate, and the same in a table.
    Up to ALL_GROUPS_UP_TO rows, every one is drawn; above it (142 managers on a real org:
    2,500 px of chart), the rows outside the org's figure, a toggle to draw all, and the full
    table behind an expander. `plural` names the rows ("managers"); `lead`: say how many
    differ (the skew says it in its own words above); `only`: the rows drawn when not all are
    (by default those outside the org's figure)."""
    marked = rows["words"].map(direction).astype(bool)
    if only is not None:
        marked = only
    few = len(rows) <= ALL_GROUPS_UP_TO
    if not few and lead:
        st.markdown(
            f"{int(marked.sum())} of {len(rows)} {plural} differ from the org's {how.org_word}, "
            "beyond the 95% interval." + (" They are drawn below." if marked.any() else "")
        )
    show_all = few or st.toggle(f"Show all {len(rows)} {plural}", key=key, value=False)
    drawn = rows if show_all else rows[marked]
    if not drawn.empty:
        page.chart(
            ctx,
            charts.rate_intervals(
                drawn,
                org_rate,
                title=how.axis_title,
                value_format=how.axis_format,
                org_word=how.org_word,
                unit=how.unit,
            ),
        )
    if few:
        figures_shown(ctx, rows, how, label, how.n_header)
        return
    with st.expander(f"Every one of the {len(rows)} {plural}: the table"):
        figures_shown(ctx, rows, how, label, how.n_header)


def skew_sentence(below: int, managers: int, org_rate: float) -> str:
    """The skew's lead: how many managers record fewer examples than the org, beyond the
    interval."""
    rate = f"{org_rate:.2f} examples per person-month"
    if below == 0:
        return (
            f"None of the {managers} managers shown records fewer examples per report than the "
            f"org's rate ({rate}), beyond the 95% interval."
        )
    verb = "records" if below == 1 else "record"
    return (
        f"**{below} of {managers} managers** {verb} fewer examples per report than the org's "
        f"rate ({rate}), beyond the 95% interval."
    )


def glance_sentence(marked: int, comparisons: int, chance: int) -> str:
    """The count of figures outside the org's, against what chance alone would give."""
    if marked == 0:
        return f"All {comparisons:,} figures are in line with the org's, within their intervals."
    sit = "sits" if marked == 1 else "sit"
    return (
        f"**{marked:,} of {comparisons:,} figures** {sit} outside the org's figure, beyond "
        f"their 95% interval; about {chance:,} would by chance alone."
    )


# How a group's figure is marked against the org's, from the words pipelines.fairness wrote.
MARKS = {"higher": "▲", "longer": "▲", "lower": "▼", "shorter": "▼"}
# The grid's columns: evidence first (the measure calibration reads first, and the one a
# narrow window must not push off to the right), then the others in the lens's order.
GLANCE_ORDER = sorted(MEASURES, key=lambda m: m.kind != "per_person_month")
# The "which groups look off" table: this many rows, the rest in its download.
LEADING_GROUPS = 10
# Up to this many groups a chart draws every one; above it, those outside the org's figure.
ALL_GROUPS_UP_TO = 15


def figure_text(measure, rate) -> str:
    return formats.BLANK if formats.missing(rate) else KINDS[measure.kind].cell.format(rate)


def at_a_glance(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per group and one text cell per measure ("20% ▲", the mark never wrapped
    apart from its figure), evidence first."""
    table = pd.DataFrame({"label": rows["label"], "people": rows["people"].astype(int)})
    for m in GLANCE_ORDER:
        cells = []
        for rate, words in zip(rows[f"{m.key}_rate"], rows[f"{m.key}_words"], strict=True):
            mark = MARKS.get(direction(words), "")
            text = figure_text(m, rate)
            cells.append(f"{text}\u00a0{mark}" if mark and text != formats.BLANK else text)
        table[m.key] = cells
    return table


def differing_by_group(found: pd.DataFrame) -> pd.DataFrame:
    """The groups with a figure outside the org's, most distant first: the group, how many
    of its figures differ, and each as "Ready ▲ 40% (org 9%)"."""
    grouped = fairness_differences.by_group(found)
    described = []
    for positions in grouped["positions"]:
        parts = []
        for i in positions:
            row = found.iloc[i]
            m = MEASURES_BY_KEY[row["measure"]]
            part = (
                f"{m.short} {MARKS[row['direction']]} {figure_text(m, row['rate'])} "
                f"(org {figure_text(m, row['org_rate'])})"
            )
            # One figure never breaks across lines; the list breaks between figures.
            parts.append(part.replace(" ", "\u00a0").replace("-", "\u2011"))
        described.append("; ".join(parts))
    return pd.DataFrame(
        {"group": grouped["group"], "figures": grouped["figures"], "differs": described}
    )


def differences_download(found: pd.DataFrame, grouping: str) -> pd.DataFrame:
    """Every differing figure, one row each, as the CSV carries them."""
    return pd.DataFrame(
        {
            grouping: found["group"],
            "measure": found["label"],
            "against_the_org": found["direction"],
            "rate": found["rate"],
            "low": found["low"],
            "high": found["high"],
            "org_rate": found["org_rate"],
        }
    )


def _measure_detail(ctx, measure, rows: pd.DataFrame, org: dict, grouping: str) -> None:
    """One measure: what it counts, then its chart and table (the only chart drawn: eight
    charts of forty teams each made the first load slow)."""
    if measure.help:
        st.caption(measure.help)
    figures = pd.DataFrame(
        {
            "label": rows["label"],
            "rate": rows[f"{measure.key}_rate"],
            "low": rows[f"{measure.key}_low"],
            "high": rows[f"{measure.key}_high"],
            "n": rows[f"{measure.key}_n"],
            "words": rows[f"{measure.key}_words"],
        }
    ).dropna(subset=["rate"])
    if figures.empty:
        st.caption(f"No {measure.label.lower()} in this period.")
        return
    show_figures(
        ctx,
        figures,
        org.get(f"{measure.key}_rate"),
        KINDS[measure.kind],
        grouping_label(grouping),
        key=f"fairness_all_{measure.key}",
        plural=f"{PLURALS.get(grouping, 'groups')}",
    )


ctx = page.context()
page.header(ctx)
if ctx.scope.role not in navigation.ORG_ROLES:  # the navigation already hides it from others
    st.info("The fairness lens is for admins and leadership.")
    st.stop()
page.require(ctx, "readiness", "evidence", "engineers")
wh = ctx.wh
groupings, min_size = _settings(wh, wh.build_id, ctx.scope.min_aggregate_people)
people = people_counted(ctx)

# --- the period, for everything on the page -------------------------------------------------
months = sorted(queries.as_of_months(wh))
end_default = ctx.filters.month if ctx.filters.month in months else months[-1]
start_default = months[max(0, months.index(end_default) - (PERIOD_MONTHS - 1))]
# Keyed by the sidebar's month: a new as-of month starts again from its own twelve months.
start, end = st.select_slider(
    "Period",
    options=months,
    value=(start_default, end_default),
    format_func=page.month_label,
    key=f"fairness_period_{end_default:%Y-%m}",
    help="The months counted, for the evidence by manager and every measure below. By "
    f"default the {PERIOD_MONTHS} months up to the sidebar's month.",
)
counted = "everyone in the warehouse" if people is None else "the people in your view"
if filters_set(ctx):
    st.info(
        "The sidebar's team, region, manager and level filters do not apply here: comparing "
        "two filtered views could reveal a group too small to show. Every figure counts "
        "the whole org; pick a grouping below to compare its parts.",
        icon=":material/filter_alt_off:",
    )
st.caption(
    f"{page.month_label(start)} to {page.month_label(end)}, counting {counted}. Groups of fewer "
    f"than {min_size} people are never shown, here or in a download."
)

# --- first: evidence recorded, by manager ---------------------------------------------------
st.subheader("Before calibration: evidence per person-month, by manager")
st.markdown(
    "Recorded examples are what a calibration meeting reads. A manager who records fewer of "
    "them gives their reports fewer chances to show a level: a low rate here says the "
    "record is thin, **not** that the people are doing less well. Look at this before the "
    "meeting, and read those reports' cases with it in mind."
)
skew = _skew(wh, wh.build_id, start, end, min_size, people)
if skew.empty:
    st.info(
        f"No manager had {min_size} or more reports in this period, so there is no rate to compare."
    )
else:
    skew = skew.assign(label=manager_labels(skew["manager_id"], skew["manager_name"]))
    org_rate = skew["org_rate"].iloc[0]
    below = skew["words"].map(direction) == "lower"
    st.markdown(
        skew_sentence(int(below.sum()), len(skew), org_rate)
        + ("" if len(skew) <= ALL_GROUPS_UP_TO or not below.any() else " They are drawn below.")
    )
    show_figures(
        ctx,
        skew.assign(n=skew["reports"]),
        org_rate,
        SKEW,
        "Manager",
        key="fairness_skew_all",
        plural="managers",
        lead=False,
        only=below,
    )
    st.caption(
        f"Managers with fewer than {min_size} reports in the period are not shown. Reports in "
        "the period: anyone who reported to the manager in at least one of its months, each "
        "month counted for the manager of that month; the rate is examples of work recorded "
        "per person-month (concerns are not counted)."
    )
    page.download(
        skew[["label", "reports", "report_months", "items", "rate", "low", "high", "org_rate"]]
        .rename(columns={"label": "manager", "report_months": "person_months"})
        .assign(words=skew["words"].map(drop_sample)),
        "Download evidence by manager as CSV",
        "fairness-evidence-by-manager",
        key="download_fairness_skew",
    )

# --- the lens: one grouping, every measure --------------------------------------------------
st.subheader("Across groups")
grouping = st.selectbox(
    "Group by",
    groupings,
    format_func=grouping_label,
    key="fairness_grouping",
    help="Team, region, manager and level always; other roster columns when the framework "
    "file declares them under [fairness] groupings.",
)
lens = _lens(wh, wh.build_id, grouping, start, end, min_size, people)
if lens.suppressed:
    st.info(lens.note, icon=":material/visibility_off:")
elif lens.note:
    st.caption(lens.note)
rows = lens.rows.copy()
if rows.empty:
    st.info(
        f"No {grouping_label(grouping).lower()} had {min_size} or more people in this period, "
        "so there is nothing to compare."
    )
    st.stop()
if grouping == "manager":
    rows["label"] = manager_labels(rows["group_id"], rows["group"])
else:
    rows["label"] = rows["group"].astype(str)
group_word = grouping_label(grouping)

# --- at a glance: which groups look off, then every figure ----------------------------------
st.markdown("#### At a glance")
comparisons = fairness_differences.compared(rows)
found = fairness_differences.differences(rows, lens.org, label="label")
chance = fairness_differences.by_chance(comparisons)
st.markdown(glance_sentence(len(found), comparisons, chance))
st.caption(
    "A figure is marked ▲ higher (or longer) or ▼ lower (or shorter) when its whole 95% "
    "interval lies beyond the org's figure. About one comparison in twenty does so by chance "
    "alone: a marked figure is a question to look into, not a finding."
)
if not found.empty:
    off = differing_by_group(found)
    shown_off = off.head(LEADING_GROUPS)
    # A static table, in both modes: ten rows at most, and its last column wraps at 1024 px
    # where an interactive table would cut it off.
    st.table(
        page.text_table(
            shown_off.rename(
                columns={
                    "group": group_word,
                    "figures": "Marked",
                    "differs": "Where it differs",
                }
            )
        ),
        hide_index=True,
    )
    rest = len(off) - len(shown_off)
    st.caption(
        (
            f"The {len(shown_off)} groups whose interval sits farthest from the org's figure; "
            f"{rest} more in the download. "
            if rest
            else ""
        )
        + "Farthest first, measured from the near end of the interval."
    )
    page.download(
        differences_download(found, grouping),
        "Download every marked figure as CSV",
        f"fairness-marked-by-{grouping}",
        key="download_fairness_marked",
    )
st.markdown(f"Every figure, by {group_word.lower()}:")
page.table(
    ctx,
    at_a_glance(rows),
    column_config={
        "label": group_word,
        "people": st.column_config.NumberColumn(
            "People",
            help="Each person counted once, in their group at their last judged month.",
        ),
        **{
            m.key: st.column_config.TextColumn(m.short, help=f"{m.label}. {m.help}")
            for m in MEASURES
        },
    },
)
st.caption(
    "Evidence: examples recorded per person-month. Ready, Near window, In-band and At risk: "
    "share of people flagged at least once; Promoted, Raised: share with that decision; "
    "Months at level: median before a promotion."
)

st.markdown("#### Each measure, with its interval")
picked = st.segmented_control(
    "Measure",
    [m.key for m in GLANCE_ORDER],
    format_func=lambda key: MEASURES_BY_KEY[key].short,
    default=GLANCE_ORDER[0].key,
    key="fairness_measure",
    label_visibility="collapsed",
)
measure = MEASURES_BY_KEY[picked or GLANCE_ORDER[0].key]
st.markdown(f"**{measure.label}**")
_measure_detail(ctx, measure, rows, lens.org, grouping)

measure_columns = [
    f"{m.key}_{part}" for m in MEASURES for part in ("count", "n", "rate", "low", "high", "words")
]
page.download(
    rows[["label", "people", "person_months", *measure_columns]].rename(
        columns={"label": grouping}
    ),
    f"Download the figures by {group_word.lower()} as CSV",
    f"fairness-by-{grouping}",
    key="download_fairness_lens",
)
