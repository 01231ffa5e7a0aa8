"""Engineer: where is this person on the ladder, and why?

Header facts and flags with their reasons, then each metric as the rule judged it against the
bars that applied to this person, the level shown per category and month, level history and the
evidence behind it all. Every number here is read from the warehouse row that holds it:
assessed_months (tenure, judged months), readiness (counters, flags, reason) and bar_checks
(figures and bars).
"""

import pandas as pd
import streamlit as st

from rungs_ui import access, charts, formats, identity, page, queries, state

CHART_MONTHS = 24
# decisions.decision as people say it.
DECISION_WORDS = {
    "in_band_raise": "In-band raise",
    "promotion": "Promotion",
    "deferred": "Deferred",
}
HEATMAP_MONTHS = 18

ctx = page.context()
page.header(ctx)
f, fw, wh = ctx.filters, ctx.fw, ctx.wh

people = queries.roster(wh, f)
if people.empty:
    st.info(
        "Nobody matches these filters in this month. Widen the sidebar filters or pick "
        "another as-of month."
    )
    st.stop()
ids = people["engineer_id"].tolist()
who = identity.current()
labels = dict(zip(ids, page.person_labels(people["engineer_id"]), strict=True))
# A link names the person by id (`?engineer=E0036`), never by name: names would land in browser
# history and in shared links. The choice is kept in the URL by hand, because a select box bound
# to the URL writes the label it shows, which is the name. The URL wins over the session (a
# link, reload or Back); picking someone writes the URL before the run reads it.
linked = page.linked_option(who.from_url_key(st.query_params.get(state.ENGINEER)), ids, labels)
if linked is not None:
    st.session_state[state.ENGINEER] = linked
elif st.session_state.get(state.ENGINEER) not in ids:
    st.session_state[state.ENGINEER] = ids[0]


def _picked() -> None:
    st.query_params[state.ENGINEER] = who.url_key(st.session_state[state.ENGINEER])


engineer_id = st.selectbox(
    "Engineer",
    ids,
    key=state.ENGINEER,
    format_func=labels.get,
    on_change=_picked,
    help="Type to search by name. Only people matching the sidebar filters are listed.",
)
st.query_params[state.ENGINEER] = who.url_key(engineer_id)
access.record_opened(ctx.scope, engineer_id)
person = people.loc[people["engineer_id"] == engineer_id].iloc[0]
judged = queries.engineer_months_judged(wh, engineer_id, f.month, CHART_MONTHS)
this_month = judged.loc[pd.to_datetime(judged["month"]) == pd.Timestamp(f.month)]
readiness = queries.engineer_readiness(wh, engineer_id, f.month)
now = readiness.loc[pd.to_datetime(readiness["month"]) == pd.Timestamp(f.month)]
level = person["level"]
next_level = fw.next_level(level)

st.subheader(page.text(who.person(engineer_id)))
manager = who.manager(person["manager_id"], person["manager_name"])
lead = " · :blue-badge[:material/groups: Team lead]" if bool(person["team_lead"]) else ""
st.markdown(
    f"{page.text(person['team'])} · {page.text(person['region'])} · reports to "
    f"**{page.text(manager)}**{lead}"
)

facts = st.columns(4)
facts[0].metric(
    "Level",
    page.text(level),
    border=True,
    help=f"Held since {who.date(person['level_since'])} (level_stints).",
)
if this_month.empty:
    st.caption(f"No assessed month for {page.month_label(f.month)}.")
else:
    month_row = this_month.iloc[0]
    facts[1].metric(
        "Time at level" if who.anonymised else "Whole months at level",
        who.tenure(month_row["whole_months_at_level"]),
        border=True,
        help=f"Calendar months held in full at {page.text(level)} since "
        f"{who.date(month_row['level_since'])}, this one included. "
        f"{int(month_row['judged_months_at_level'])} of them were judged; onboarding, "
        "months without helpdesk data, months mostly on leave and a month with a level "
        "change are not.",
    )
if now.empty:
    reason = this_month.iloc[0]["not_judged_because"] if not this_month.empty else "no data"
    facts[2].metric("Consistent months at level", "—", border=True)
    facts[3].metric("Months showing the next level", "—", border=True)
    page.not_judged_badge(this_month.iloc[0] if not this_month.empty else None, f.month)
    st.caption(
        f"{page.month_label(f.month)} is not judged ({page.text(reason)}), so it raises no flag."
    )
else:
    row = now.iloc[0]
    facts[2].metric(
        "Consistent months at level",
        int(row["months_at_level"]),
        border=True,
        help=f"Judged months in a row at or above {page.text(level)}, the count the promotion "
        "rule uses "
        f"({int(fw.setting('promotion_months_at_level'))} needed).",
    )
    if next_level is None:
        facts[3].metric("Months showing the next level", "top level", border=True)
    else:
        facts[3].metric(
            f"Months showing {page.text(next_level)}",
            int(row["months_at_next"]),
            border=True,
            help=f"Judged months in a row showing {page.text(next_level)} in every category "
            f"({int(fw.setting('promotion_months_at_next'))} needed).",
        )
    page.flag_badges(row)

emphasise = tuple(lv for lv in (level, next_level) if lv)
if judged.empty:
    st.info("No monthly metrics for this person up to the as-of month.")
else:
    window = int(judged["metric_window_months"].iloc[0])
    over = "each month" if window == 1 else f"the {window} months to each month"

    def metric_chart(metric: str) -> None:
        checks = queries.engineer_bar_checks(wh, engineer_id, metric, f.month, CHART_MONTHS)
        if checks.empty:
            st.caption("The framework sets no bar on this metric.")
            return
        if not checks["judged"].any():
            reasons = ", ".join(dict.fromkeys(checks["not_judged_because"].dropna()))
            st.caption(f"No month judged yet ({page.text(reasons)}).")
            return
        if checks["observed"].isna().all():
            # The query layer hid it: a small team's median, which the ratio would give back.
            st.caption(
                "Not shown in your view: the team's median is over fewer than "
                f"{ctx.scope.min_aggregate_people} people, and this figure would reveal it. "
                "The flags and reasons above still take it into account."
            )
            return
        spec = charts.MetricChart(charts.METRIC_VIEWS[metric], fw.levels, emphasise)
        page.chart(ctx, charts.metric_against_bars(who.for_chart(checks), spec))

    st.subheader("SLA adherence against the level bars")
    metric_chart("sla_adherence")
    st.caption(
        f"Figures over {over}, as the rule judged them. Bold rules: "
        f"{' and '.join(map(page.text, emphasise))}. "
        "Grey columns: months not judged (hover for why)."
    )
    csat = queries.engineer_csat(wh, engineer_id, f.month, window)
    st.metric(
        "Customer satisfaction (CSAT)",
        formats.percent(csat["csat"]),
        border=True,
        help="Good ratings over good and bad ratings on the tickets this person solved; "
        "the framework sets no bar on it.",
    )
    months_to = formats.month(f.month)
    if window > 1:
        months_to = f"the {window} months to {months_to}"
    st.caption(f"CSAT over {formats.count(csat['csat_sample'])} ratings in {months_to}.")
    left, right = st.columns(2)
    with left:
        st.subheader("Median open time")
        metric_chart("median_open_hours")
    with right:
        st.subheader("Volume against the team median")
        metric_chart("volume_ratio")
        if bool(person["team_lead"]):
            st.caption(
                "Team lead: the volume bars drawn are the scaled bars the rule applied "
                f"(× {fw.setting('team_lead_volume_factor'):g})."
            )

attainment = queries.engineer_attainment(wh, engineer_id, f.month, HEATMAP_MONTHS)
st.subheader("Level shown per category and month")
if attainment.empty:
    st.caption("No assessed months yet.")
else:
    shown = who.for_chart(formats.check_inputs(attainment))
    page.chart(ctx, charts.attainment_heatmap(shown, fw.categories, formats.CHECK_TOOLTIP))
    st.caption(
        "Green: above the level held · grey: at it · orange: below it · pale: month "
        "not judged, tagged why (Onb.: onboarding · Leave: mostly on leave · New: joined "
        "that month · —: no helpdesk data). Hover a cell for the inputs of the check."
    )

left, right = st.columns([2, 3])
with left:
    st.subheader("Level history")
    stints = queries.engineer_stints(wh, engineer_id, f.month)
    page.chart(ctx, charts.level_history(who.for_chart(stints), fw.levels, f.month))
    page.table(
        ctx,
        who.frame(
            stints[["started_on", "level", "change", "from_level"]].fillna({"from_level": "—"}),
            dates=["started_on"],
        ),
        column_config={
            "started_on": who.date_column("From"),
            "level": "Level",
            "change": "Change",
            "from_level": "From level",
        },
    )
    decisions = queries.engineer_decisions(wh, engineer_id, f.month)
    if not decisions.empty:
        page.table(
            ctx,
            who.frame(
                decisions.assign(
                    decision=decisions["decision"].map(DECISION_WORDS).fillna(decisions["decision"])
                ),
                dates=["decided_on"],
                text=["note"],
            ),
            column_config={
                "decided_on": who.date_column("Decided"),
                "decision": "Decision",
                "note": "Note",
            },
        )
with right:
    evidence = queries.engineer_evidence(wh, engineer_id, f.month)
    st.subheader(f"Evidence ({len(evidence)})")
    if evidence.empty:
        st.caption("No evidence recorded up to the as-of month.")
    else:
        page.chart(
            ctx,
            charts.evidence_timeline(who.for_chart(evidence), fw.categories, fw.levels),
        )
if not evidence.empty:
    page.table(
        ctx,
        who.frame(evidence, dates=["observed_on"], text=["summary", "source"]),
        column_config={**page.evidence_columns(), "evidence_id": None},
    )
