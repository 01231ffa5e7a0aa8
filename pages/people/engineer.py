"""Engineer: where is this person on the ladder, and why?

Header facts and flags with their reasons, then each metric against the level bars, the
attainment heatmap, level history and the evidence behind it all.
"""

import pandas as pd
import streamlit as st

from rungs_ui import charts, page, queries, state

ctx = page.context()
page.header("pages/people/engineer.py")
f, fw, wh = ctx.filters, ctx.fw, ctx.wh

people = queries.roster(wh, f)
if people.empty:
    st.info(
        "Nobody matches these filters in this month. Widen the sidebar filters or pick "
        "another as-of month."
    )
    st.stop()
ids = people["engineer_id"].tolist()
names = dict(zip(ids, people["name"], strict=True))
if st.session_state.get(state.ENGINEER) not in ids:
    st.session_state.pop(state.ENGINEER, None)
engineer_id = st.selectbox(
    "Engineer",
    ids,
    key=state.ENGINEER,
    bind="query-params",
    format_func=lambda eid: f"{names[eid]} · {eid}",
    help="Type to search by name or id. Only people matching the sidebar filters are listed.",
)
person = people.loc[people["engineer_id"] == engineer_id].iloc[0]
level = person["level"]
next_level = fw.next_level(level)
min_sample = fw.setting("min_sample")

readiness = (
    queries.engineer_readiness(wh, engineer_id, f.month) if wh.has("readiness") else pd.DataFrame()
)
now = (
    readiness.loc[pd.to_datetime(readiness["month"]) == pd.Timestamp(f.month)]
    if not readiness.empty
    else readiness
)

st.subheader(person["name"])
manager = person["manager_name"] if pd.notna(person["manager_name"]) else "no manager"
lead = (
    " · :blue-badge[:material/groups: Team lead] volume bar scaled for team leads"
    if bool(person["team_lead"])
    else ""
)
st.markdown(f"{person['team']} · {person['region']} · reports to **{manager}**{lead}")
facts = st.columns(4)
facts[0].metric("Level", level, border=True)
facts[1].metric(
    "Whole months at level",
    int(person["whole_months_at_level"]),
    border=True,
    help=f"Calendar months in full at {level} since {person['level_since']}.",
)
if now.empty:
    st.caption(
        f"No readiness row for {page.month_label(f.month)}: the month is not eligible "
        "(onboarding, leave or after leaving) or this build has no readiness table."
    )
else:
    row = now.iloc[0]
    facts[2].metric("Consistent months at level", int(row["months_at_level"]), border=True)
    facts[3].metric(
        f"Months showing {next_level or 'the next level'}", int(row["months_at_next"]), border=True
    )
    page.flag_badges(row)

months = queries.engineer_months(wh, engineer_id, f.month).tail(24)
emphasise = [lv for lv in (level, next_level) if lv]
if months.empty:
    st.info("No monthly metrics for this person up to the as-of month.")
else:
    st.subheader("SLA adherence against the level bars")
    page.chart(
        ctx,
        charts.metric_against_bars(
            months,
            "sla_adherence",
            "sla_sample",
            min_sample,
            fw.bars_for_metric("sla_adherence"),
            fw.levels,
            emphasise,
            "SLA adherence",
            ".0%",
            ".1%",
            "SLA tickets",
        ),
    )
    st.caption(
        f"Bold rules: {' and '.join(emphasise)}. Grey columns: fewer than "
        f"{int(min_sample)} SLA-bearing tickets, so the month is not judged."
    )
    left, right = st.columns(2)
    with left:
        st.subheader("Median open time")
        page.chart(
            ctx,
            charts.metric_against_bars(
                months,
                "median_open_hours",
                "tickets_solved",
                min_sample,
                fw.bars_for_metric("median_open_hours"),
                fw.levels,
                emphasise,
                "Median open time (h)",
                ".0f",
                ".1f",
                "Tickets solved",
            ),
        )
    with right:
        st.subheader("Volume against the team median")
        volume = fw.bars_for_metric("volume_ratio")
        ratio = float(volume["value"].min()) if not volume.empty else None
        if ratio is not None and bool(person["team_lead"]):
            ratio *= fw.setting("team_lead_volume_factor")
        page.chart(ctx, charts.volume_against_team(months, ratio))

if wh.has("category_attainment"):
    attainment = queries.engineer_attainment(wh, engineer_id, f.month)
    attainment = attainment.loc[
        pd.to_datetime(attainment["month"]) > pd.Timestamp(f.month) - pd.DateOffset(months=18)
    ]
    st.subheader("Level shown per category and month")
    if attainment.empty:
        st.caption("No eligible months yet.")
    else:
        attainment = attainment.assign(
            status=charts.attainment_status(
                attainment["demonstrated_level"],
                attainment["current_level"],
                fw.rank,
                attainment["eligible"].astype(bool) if "eligible" in attainment else None,
            )
        )
        inputs = [c for c in queries.ATTAINMENT_INPUTS if c in attainment.columns]
        shown = attainment.copy()
        for column in inputs:
            shown[column] = shown[column].map(page.plain)
        page.chart(ctx, charts.attainment_heatmap(shown, fw.categories, inputs))
        st.caption(
            "Green: above the level held · grey: at it · orange: below it · pale: month "
            "not judged. Hover a cell for the inputs of the check."
        )

left, right = st.columns([2, 3])
with left:
    st.subheader("Level history")
    page.chart(
        ctx, charts.level_history(queries.level_history(wh, engineer_id), fw.levels, f.month)
    )
    decisions = queries.engineer_decisions(wh, engineer_id)
    if not decisions.empty:
        st.dataframe(decisions, hide_index=True)
with right:
    evidence = queries.engineer_evidence(wh, engineer_id, f.month)
    st.subheader(f"Evidence ({len(evidence)})")
    if evidence.empty:
        st.caption("No evidence recorded up to the as-of month.")
    else:
        page.chart(ctx, charts.evidence_timeline(evidence, fw.categories, fw.levels))
if not evidence.empty:
    st.dataframe(
        evidence,
        hide_index=True,
        column_config={**page.evidence_columns(), "evidence_id": None},
    )
