"""Calibration: the engineers at one level side by side, for a meeting around a shared screen.

Trajectories against the bars, the category matrix for the as-of month and the flags with their
reasons. "Anonymise" swaps every name on the page (charts, tooltips, tables, downloads) for a
stable letter; `?present=1` gives larger type and hides the sidebar.
"""

import dataclasses

import pandas as pd
import streamlit as st

from rungs_ui import anonymise, charts, page, queries, state

MAX_PEOPLE = 36  # more panels than this stop being readable on one screen

ctx = page.context()
page.header(ctx)
page.require(ctx, "readiness", "category_attainment")
f, fw, wh = ctx.filters, ctx.fw, ctx.wh

controls = st.columns([2, 2, 3])
if st.session_state.get(state.CALIBRATION_LEVEL) not in fw.levels:
    st.session_state.pop(state.CALIBRATION_LEVEL, None)
counts = queries.level_distribution(wh, f).set_index("level")["engineers"]
busiest = fw.levels.index(counts.idxmax()) if not counts.empty else 0
level = controls[0].selectbox(
    "Level", fw.levels, index=busiest, key=state.CALIBRATION_LEVEL, bind="query-params"
)
hide_names = controls[1].toggle(
    "Anonymise",
    key=state.ANONYMISE,
    bind="query-params",
    help="Replace every name on this page, including tooltips and downloads, with a letter "
    "that stays the same for each person while the build and the level stay the same.",
)
with controls[2]:
    if ctx.present:
        if st.button("Leave presentation mode", icon=":material/close_fullscreen:"):
            del st.query_params[state.PRESENT]
            st.rerun()
    elif st.button(
        "Presentation mode",
        icon=":material/present_to_all:",
        help="Larger type and no sidebar, for a shared screen (?present=1).",
    ):
        st.query_params[state.PRESENT] = "1"
        st.rerun()

at_level = dataclasses.replace(f, levels=(level,))
cohort = queries.readiness_at(wh, at_level)
if cohort.empty:
    st.info(
        f"Nobody in view held {page.text(level)} in {page.month_label(f.month)} with an eligible "
        "month. Pick another level or widen the sidebar filters."
    )
    st.stop()

masks = anonymise.Anonymiser.for_people(
    zip(cohort["engineer_id"], cohort["name"], strict=True), f"{wh.build_id}:{level}"
)
managers = queries.filter_options(wh, f.month)["managers"]
manager_masks = anonymise.Anonymiser.for_people(
    zip(managers["manager_id"], managers["manager_name"], strict=True), wh.build_id, "Manager"
)
everyone = masks.merged(manager_masks)
label = dict(
    zip(
        cohort["engineer_id"],
        cohort["engineer_id"].map(masks.alias)
        if hide_names
        else page.person_labels(cohort["engineer_id"], cohort["name"]),
        strict=True,
    )
)

shown = cohort.head(MAX_PEOPLE)
nxt = fw.next_level(level)
st.subheader(f"{len(cohort)} at {page.text(level)} in {page.month_label(f.month)}")
if len(cohort) > MAX_PEOPLE:
    st.caption(
        f"Showing the {MAX_PEOPLE} closest to {page.text(nxt) if nxt else 'the top'} first; "
        "narrow the sidebar filters (team, manager) to see the rest."
    )

months = queries.trajectories(wh, shown["engineer_id"].tolist(), f.month, 12)
months["person"] = months["engineer_id"].map(label)
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
        columns=3 if ctx.present else 4,
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

left, right = st.columns([2, 3])
with left:
    st.markdown(f"**Level shown per category, {page.month_label(f.month)}**")
    page.chart(ctx, charts.attainment_matrix(matrix, fw.categories))
with right:
    st.markdown("**Flags and reasons**")
    table = shown.assign(
        person=shown["engineer_id"].map(label),
        flags=shown.apply(page.flag_text, axis=1),
        reason=shown["reason"].map(everyone.scrub) if hide_names else shown["reason"],
    )[["person", "months_at_level", "months_at_next", "overall_level", "flags", "reason"]]
    st.dataframe(
        table.drop(columns=["reason"]),
        hide_index=True,
        width="stretch",
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
        export,
        "Download this view as CSV",
        f"rungs-calibration-{level}-{f.month:%Y-%m}{'-anonymised' if hide_names else ''}.csv",
        key="download_calibration",
    )
st.markdown("**Why**")
page.reason_lines(
    shown.assign(person=shown["engineer_id"].map(label), reason=table["reason"]), "person"
)
