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

import contextlib
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from pipelines.fairness import (
    MEASURES,
    documentation_skew,
    fairness_groupings,
    fairness_min_group_size,
    fairness_table,
    grouping_label,
)
from rungs_ui import charts, formats, identity, navigation, page, queries
from rungs_ui.warehouse import ALIAS, Warehouse

PERIOD_MONTHS = 12


@dataclass(frozen=True)
class Written:
    """How one kind of measure is written: d3 format for the chart, a Python one for the
    tables, the axis title, what its n counts, and what the org's figure is called."""

    axis_format: str
    cell: str
    axis_title: str
    n_counts: str
    org_word: str = "rate"

    @property
    def header(self) -> str:
        """The table's figure column: short, so the words beside it fit in 1024 px."""
        return f"{'Median' if self.org_word == 'median' else 'Rate'} (95% interval)"


KINDS = {
    "share": Written(".0%", "{:.0%}", "Share of people", "people in the group during the period"),
    "per_person_month": Written(
        ".2f", "{:.2f}", "Items per person-month", "person-months present in the period"
    ),
    "months": Written(
        ".0f", "{:.0f} months", "Median months at level", "promotions in the period", "median"
    ),
}


@contextlib.contextmanager
def _reading(wh: Warehouse):
    """A cursor of its own on the run's read-only warehouse (sessions share the connection)."""
    cursor = wh.con.cursor()
    try:
        cursor.execute(f"use {ALIAS}")
        yield cursor
    finally:
        cursor.close()


# Cached per build, period, grouping and people counted: the queries read whole months of flags
# and evidence, and a projector view reruns on every click.
@st.cache_data(max_entries=64, show_spinner=False)
def _lens(_wh: Warehouse, build_id: str, grouping: str, start, end, size, people):
    del build_id
    with _reading(_wh) as con:
        return fairness_table(con, grouping, start, end, size, people)


@st.cache_data(max_entries=64, show_spinner=False)
def _skew(_wh: Warehouse, build_id: str, start, end, size, people):
    del build_id
    with _reading(_wh) as con:
        return documentation_skew(con, start, end, size, people)


@st.cache_data(max_entries=8, show_spinner=False)
def _settings(_wh: Warehouse, build_id: str, at_least: int) -> tuple[list[str], int]:
    del build_id
    with _reading(_wh) as con:
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
    interactive and the presentation table)."""
    return pd.DataFrame(
        {
            "label": rows["label"],
            "rate": [
                with_interval(r, lo, hi, how)
                for r, lo, hi in zip(rows["rate"], rows["low"], rows["high"], strict=True)
            ],
            "words": rows["words"],
            "n": rows["n"].astype(int),
        }
    )


def show_figures(
    ctx: page.PageContext,
    rows: pd.DataFrame,
    org_rate,
    how: Written,
    label: str,
) -> None:
    """A dot-and-interval chart of `rows` against the org's rate, and the same in a table."""
    page.chart(
        ctx,
        charts.rate_intervals(
            rows,
            org_rate,
            title=how.axis_title,
            value_format=how.axis_format,
            org_word=how.org_word,
        ),
    )
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
            "n": st.column_config.NumberColumn("n", help=f"The number of {how.n_counts}."),
        },
    )


# How a group's figure is marked against the org's, from the words pipelines.fairness wrote.
MARKS = {"higher": "▲", "longer": "▲", "lower": "▼", "shorter": "▼"}


def at_a_glance(rows: pd.DataFrame, org: dict) -> tuple[pd.DataFrame, list[str]]:
    """One row per group and one text cell per measure ("20% ▲"), and a phrase for each figure
    outside the org's ("At risk: Juniper higher, 80% against 5%")."""
    table = pd.DataFrame({"label": rows["label"], "people": rows["people"].astype(int)})
    differing = []
    for m in MEASURES:
        how = KINDS[m.kind].cell
        cells = []
        for label, rate, words in zip(
            rows["label"], rows[f"{m.key}_rate"], rows[f"{m.key}_words"], strict=True
        ):
            if formats.missing(rate):
                cells.append(formats.BLANK)
                continue
            direction = str(words).split(" ", 1)[0]
            mark = MARKS.get(direction, "")
            cells.append(f"{how.format(rate)} {mark}".strip())
            if mark:
                org_rate = org.get(f"{m.key}_rate")
                against = "" if formats.missing(org_rate) else f" against {how.format(org_rate)}"
                differing.append(
                    f"{m.label.lower()}, {label} {direction}: {how.format(rate)}{against}"
                )
        table[m.key] = cells
    return table, differing


def _measure_detail(ctx, measure, rows: pd.DataFrame, org: dict, grouping: str) -> None:
    """One measure: what it counts, then its chart and table."""
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
st.subheader("Before calibration: evidence recorded per report, by manager")
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
    skew_rows = skew.assign(n=skew["reports"])
    show_figures(
        ctx,
        skew_rows,
        skew["org_rate"].iloc[0],
        Written(".2f", "{:.2f}", "Items per report-month", "reports in the period"),
        "Manager",
    )
    st.caption(
        f"Managers with fewer than {min_size} reports in the period are not shown. n is the "
        "number of reports; the rate is examples recorded per report per month present."
    )
    page.download(
        skew[["label", "reports", "report_months", "items", "rate", "low", "high", "org_rate"]]
        .rename(columns={"label": "manager"})
        .assign(words=skew["words"]),
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

# --- at a glance: every measure for every group, differences marked --------------------------
st.markdown("#### At a glance")
glance, differing = at_a_glance(rows, lens.org)
comparisons = int(glance.drop(columns=["label", "people"]).ne(formats.BLANK).to_numpy().sum())
if differing:
    st.markdown(
        f"**{len(differing)} of {comparisons} figures** sit outside the org's figure: "
        + "; ".join(differing)
        + "."
    )
else:
    st.markdown(f"All {comparisons} figures are in line with the org's, within their intervals.")
st.caption(
    f"▲ higher (or longer) and ▼ lower (or shorter) than the org's figure, beyond the 95% "
    f"interval. With {comparisons} comparisons, about {comparisons / 20:.0f} would differ by "
    "chance alone: a marked figure is a question to look into, not a finding."
)
page.table(
    ctx,
    glance,
    column_config={
        "label": grouping_label(grouping),
        "people": st.column_config.NumberColumn("People"),
        **{m.key: st.column_config.TextColumn(m.label, help=m.help) for m in MEASURES},
    },
)

st.markdown("#### Each measure, with its interval")
for measure, tab in zip(MEASURES, st.tabs([m.label for m in MEASURES]), strict=True):
    with tab:
        _measure_detail(ctx, measure, rows, lens.org, grouping)

measure_columns = [
    f"{m.key}_{part}" for m in MEASURES for part in ("count", "n", "rate", "low", "high", "words")
]
page.download(
    rows[["label", "people", "person_months", *measure_columns]].rename(
        columns={"label": grouping}
    ),
    f"Download the figures by {grouping_label(grouping).lower()} as CSV",
    f"fairness-by-{grouping}",
    key="download_fairness_lens",
)
