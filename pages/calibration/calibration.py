"""Calibration: the engineers at one level side by side, for a meeting around a shared screen.

Trajectories against the bars, the category matrix for the as-of month and the flags with their
reasons. "Anonymise" swaps every name on the page (charts, tooltips, tables, downloads) for a
stable letter; `?present=1` gives larger type and hides the sidebar.
"""

import dataclasses

import pandas as pd
import streamlit as st

from rungs_ui import charts, identity, page, queries, state

MAX_PEOPLE = 36  # more panels than this stop being readable on one screen

ctx = page.context()
page.header(ctx)
page.require(ctx, "readiness", "category_attainment")
f, fw, wh = ctx.filters, ctx.fw, ctx.wh

controls = st.columns([2, 2, 3])  # presentation mode is in the page header
if st.session_state.get(state.CALIBRATION_LEVEL) not in fw.levels:
    st.session_state.pop(state.CALIBRATION_LEVEL, None)
counts = queries.level_distribution(wh, f).set_index("level")["engineers"]
busiest = fw.levels.index(counts.idxmax()) if not counts.empty else 0
level = controls[0].selectbox(
    "Level", fw.levels, index=busiest, key=state.CALIBRATION_LEVEL, bind="query-params"
)
# Anonymise is a mode of the whole session, in the sidebar (rungs_ui.identity).
who = identity.current()

at_level = dataclasses.replace(f, levels=(level,))
cohort = queries.readiness_at(wh, at_level)
if cohort.empty:
    st.info(
        f"Nobody in view held {page.text(level)} in {page.month_label(f.month)} with an eligible "
        "month. Pick another level or widen the sidebar filters."
    )
    st.stop()

who.small_group(len(cohort))
label = dict(zip(cohort["engineer_id"], page.person_labels(cohort["engineer_id"]), strict=True))

shown = cohort.head(MAX_PEOPLE)
# One order on every panel (charts, matrix, table, reasons): the flagged first, then by label.
shown = (
    shown.assign(
        _unflagged=shown.apply(page.flags_of, axis=1).map(len).eq(0),
        _label=shown["engineer_id"].map(label),
    )
    .sort_values(["_unflagged", "_label"])
    .drop(columns=["_unflagged", "_label"])
)
nxt = fw.next_level(level)
st.subheader(f"{len(cohort)} at {page.text(level)} in {page.month_label(f.month)}")
if len(cohort) > MAX_PEOPLE:
    st.caption(
        f"Showing the {MAX_PEOPLE} closest to {page.text(nxt) if nxt else 'the top'} first; "
        "narrow the sidebar filters (team, manager) to see the rest."
    )

# A flagged person's panel says so in its title, so the room sees who to talk about first.
flag_words = shown.apply(
    lambda row: ", ".join(page.FLAGS_SHORT[f] for f in page.flags_of(row)) or None, axis=1
)
panel_title = dict(
    zip(
        shown["engineer_id"],
        shown["engineer_id"].map(label) + (" · " + flag_words).fillna(""),
        strict=True,
    )
)
months = queries.trajectories(wh, shown["engineer_id"].tolist(), f.month, 12)
months["person"] = months["engineer_id"].map(panel_title)
months = months.drop(columns=["engineer_id"])
st.markdown(
    f"**SLA adherence, last 12 months** — bold rules: {page.text(level)}"
    f"{' and ' + page.text(nxt) if nxt else ''}; grey ticks: too few tickets to judge."
)
page.chart(
    ctx,
    charts.trajectories(
        months,
        charts.MetricChart(
            charts.METRIC_VIEWS["sla_adherence"],
            fw.levels,
            tuple(lv for lv in (level, nxt) if lv),
            bars=fw.bars_for_metric("sla_adherence"),
        ),
        # A projector has the whole width: fewer, larger panels.
        columns=5 if ctx.present else 4,
        panel=(290, 200) if ctx.present else (210, 150),
        order=shown["engineer_id"].map(panel_title).tolist(),
    ),
)

matrix = queries.attainment_at(wh, at_level)
matrix = matrix.loc[matrix["engineer_id"].isin(shown["engineer_id"])].copy()
matrix["person"] = matrix["engineer_id"].map(label)
matrix = matrix.drop(columns=["engineer_id", "name"])
order = shown["engineer_id"].map(label).tolist()
matrix["person"] = pd.Categorical(matrix["person"], categories=order, ordered=True)
matrix = matrix.sort_values("person")
matrix["person"] = matrix["person"].astype(str)

# Matrix above table, each the full width: side by side, neither had room below 1600 px.
left, right = st.container(), st.container()
with left:
    st.markdown(f"**Level shown per category, {page.month_label(f.month)}**")
    page.chart(ctx, charts.attainment_matrix(matrix, fw.categories))
with right:
    st.markdown("**Flags and reasons**")
    table = shown.assign(
        person=shown["engineer_id"].map(label),
        flags=shown.apply(page.flag_text, axis=1),
        reason=shown["reason"].map(who.scrub),
    )[["person", "months_at_level", "months_at_next", "overall_level", "flags", "reason"]]
    page.table(
        ctx,
        table.drop(columns=["reason"]),
        flagged=table["flags"].ne("—"),
        height="content",
        column_config={
            "person": "Engineer",
            "months_at_level": st.column_config.NumberColumn("At level", help="Consistent months"),
            "months_at_next": st.column_config.NumberColumn(f"At {nxt or 'next'}"),
            "overall_level": "Shown",
            "flags": "Flags",
        },
    )
    wide = matrix.pivot(index="person", columns="category", values="demonstrated_level")
    export = table.merge(wide.reset_index(), on="person", how="left")
    page.download(
        who.whole(export),
        "Download this view as CSV",
        f"calibration-{level}",
        key="download_calibration",
    )
st.markdown("**Why**")
page.reason_lines(
    shown.assign(person=shown["engineer_id"].map(label), reason=table["reason"]), "person"
)
