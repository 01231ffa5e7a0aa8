"""Engineer: where is this person on the ladder, and why?

Header facts and flags with their reasons, then each metric as the rule judged it against the
bars that applied to this person, the level shown per category and month, level history and the
evidence behind it all. Every number here is read from the warehouse row that holds it:
assessed_months (tenure, judged months), readiness (counters, flags, reason) and bar_checks
(figures and bars).
"""

import pandas as pd
import streamlit as st

from pipelines.journal import entries
from rungs_ui import (
    access,
    charts,
    formats,
    identity,
    journal_view,
    page,
    queries,
    recording,
    snapshot,
    state,
)

CHART_MONTHS = 24
# decisions.decision as people say it.
DECISION_WORDS = {
    "in_band_raise": "In-band raise",
    "promotion": "Promotion",
    "deferred": "Deferred",
}
HEATMAP_MONTHS = 18
# A snapshot's counters (rungs_ui.snapshot) as the page names them, in the order shown.
COUNTER_WORDS = {
    "months_at_level": "Consistent months at level",
    "months_at_next": "Months showing the next level",
    "months_to_ready": "Months to ready",
    "months_below_level": "Months below level",
    "judged_months_at_level": "Judged months at level",
    "whole_months_at_level": "Whole months at level",
    "categories_above": "Categories above level",
    "projected_window_month": "Projected window",
    "next_level": "Next level",
    "overall_level": "Level shown overall",
    "last_raise": "Last raise",
    "last_raise_on": "Last raise on",
}

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
if not (who.anonymised or ctx.present):
    # A packet names the person: none while names are hidden or the room is watching.
    page.download_packet(ctx, engineer_id, key="download_packet")
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
                "origin": "From",
                "recorded_by": "Recorded by",
            },
        )
with right:
    # The build's evidence, with what was recorded in the app since laid over it.
    recorded_in_app = journal_view.about(
        wh, journal_view.app_evidence(), people.loc[people["engineer_id"] == engineer_id]
    )
    evidence = journal_view.merge(
        queries.engineer_evidence(wh, engineer_id, f.month),
        journal_view.up_to(recorded_in_app, f.month, queries.build_as_of(wh)),
    )
    st.subheader(f"Evidence ({len(evidence)})")
    pending = journal_view.pending_count(evidence)
    later = journal_view.observed_after(recorded_in_app, f.month, queries.build_as_of(wh))
    if pending:
        st.caption(
            f"{pending} of them recorded in the app since the last build: they count from the "
            "next one."
        )
    if later:
        st.caption(
            f"{later} more recorded in the app, observed after {page.month_label(f.month)}: "
            "shown once the view reaches their month."
        )
    if evidence.empty:
        st.caption("No evidence recorded up to the as-of month.")
    else:
        page.chart(
            ctx,
            charts.evidence_timeline(who.for_chart(evidence), fw.categories, fw.levels),
        )
if not evidence.empty:
    items = journal_view.mark(
        who.frame(evidence, dates=["observed_on"], text=["summary", "source"])
    )
    page.table(
        ctx,
        items,
        column_config={
            **page.evidence_columns(),
            "evidence_id": None,
            **journal_view.RECORDED_COLUMN,
        },
        column_order=journal_view.column_order(items.columns),
    )
if not ctx.present:
    recording.show_saved_message("rec_eng")
    if ctx.scope.may_record_evidence(engineer_id):
        with st.expander(
            f"Record evidence about {page.text(labels[engineer_id])}", icon=":material/edit_note:"
        ):
            recording.evidence_form(ctx.scope, fw, "rec_eng", engineer_id, level, set(ids), f.month)
    else:
        st.caption(recording.who_may_record(ctx.scope))


def shown_counter(name: str, value: object) -> str:
    """A snapshot counter as the page shows it (a range and months when anonymised)."""
    if value is None:
        return "—"
    if name == "whole_months_at_level":
        return str(who.tenure(value))
    if name == "last_raise_on":
        return who.date(value)
    return str(value)


def scrubbed_lines(lines: list[str]) -> list[str]:
    """Sentences from a snapshot as this viewer may read them: it was taken in the view of
    whoever saved the decision, so names outside this view are blanked (anonymising is
    `page`'s, as it shows them)."""
    frame = queries.scrubbed_of_outsiders(wh, pd.DataFrame({"line": lines}), "line")
    return frame["line"].tolist()


def as_shown(payload: dict) -> dict:
    """A snapshot payload with its counters as the table above shows them (tenure as a range
    when anonymised), so the sentences say no more than the table."""
    readiness = payload.get("readiness") or {}
    counters = readiness.get("counters") or {}
    if not who.anonymised or "whole_months_at_level" not in counters:
        return payload
    shown = {
        **counters,
        "whole_months_at_level": shown_counter(
            "whole_months_at_level", counters["whole_months_at_level"]
        ),
    }
    return {**payload, "readiness": {**readiness, "counters": shown}}


def flags_then(readiness: dict) -> pd.Series:
    raised = set(readiness.get("flags") or [])
    return pd.Series(
        {flag: flag in raised for flag in page.FLAGS}
        | {"reason": scrubbed_lines([readiness.get("reason") or ""])[0]}
    )


def decision_line(row: pd.Series) -> str:
    outcome = entries.OUTCOME_WORDS.get(row["outcome"], row["outcome"])
    line = f"{entries.STAGE_WORDS.get(row['stage'], row['stage'])}: **{page.text(outcome)}**"
    if row["outcome"] == "promotion" and isinstance(row["to_level"], str):
        line += f" to {page.text(row['to_level'])} from {who.date(row['effective_on'])}"
    if isinstance(row["rationale"], str) and row["rationale"].strip():
        line += f" — {page.text(row['rationale'])}"
    return line


def show_decisions(current: pd.DataFrame, history: pd.DataFrame) -> None:
    """The proposals and calibrated outcomes saved in the app for this person, and beside the
    latest one what the room saw then and what the page shows today."""
    st.subheader("Decisions")
    # Who saved each and why, blanked like the evidence when outside this view.
    shown = queries.scrubbed_of_outsiders(wh, current, "rationale", "recorded_by")
    shown = who.frame(shown[[c for c in shown.columns if c != "engineer_id"]], text=["rationale"])
    for cycle, rows in shown.groupby("cycle", sort=False):
        st.markdown(f"**{page.text(cycle)}**")
        for _, row in rows.iterrows():
            st.markdown(decision_line(row))
            st.caption(
                f"Decided on {who.date(row['decided_on'])} · saved by "
                f"{page.text(row['recorded_by'])} on {who.date(row['recorded_at'])}"
                + (f" · version {int(row['version'])}" if int(row["version"]) > 1 else "")
            )
    chosen = journal_view.focus(current)
    saved = journal_view.frozen(chosen["snapshot_id"]) if chosen is not None else None
    if saved is not None:
        then = saved.payload
        now = snapshot.take_snapshot(wh, engineer_id, f.month).payload
        if not ctx.scope.everyone:
            # Saved by someone who may have seen the whole team: shown as this viewer sees it.
            then, now = snapshot.without_team_median(then), snapshot.without_team_median(now)
        stage = entries.STAGE_WORDS.get(chosen["stage"], chosen["stage"]).lower()
        st.markdown(f"##### What the room saw for the {page.text(chosen['cycle'])} {stage} outcome")
        before, after = st.columns(2)
        with before, st.container(border=True):
            st.markdown(f"**As decided on {who.date(chosen['decided_on'])}**")
            st.caption(
                f"Data to {page.month_label(then.get('as_of_month'))} · build "
                f"{page.text(saved.build_id or '—')}"
            )
            page.flag_badges(flags_then(then.get("readiness") or {}))
        with after, st.container(border=True):
            st.markdown("**As of today**")
            st.caption(f"Data to {page.month_label(f.month)} · build {page.text(wh.build_id)}")
            page.flag_badges(flags_then(now.get("readiness") or {}))
        counters_then = (then.get("readiness") or {}).get("counters") or {}
        counters_now = (now.get("readiness") or {}).get("counters") or {}
        names = [n for n in COUNTER_WORDS if n in counters_then or n in counters_now]
        names += [n for n in {**counters_then, **counters_now} if n not in COUNTER_WORDS]
        page.table(
            ctx,
            pd.DataFrame(
                {
                    "counter": [COUNTER_WORDS.get(n, n.replace("_", " ")) for n in names],
                    "then": [shown_counter(n, counters_then.get(n)) for n in names],
                    "now": [shown_counter(n, counters_now.get(n)) for n in names],
                }
            ),
            height="content",
            column_config={
                "counter": "Counter",
                "then": f"As decided ({who.date(chosen['decided_on'])})",
                "now": "As of today",
            },
        )
        st.markdown("**What changed since**")
        changed = snapshot.changes(as_shown(then), as_shown(now))
        if changed:
            st.markdown(
                "\n".join(f"- {page.text(who.scrub(line))}" for line in scrubbed_lines(changed))
            )
        else:
            st.caption("Nothing: today's view is what the room saw.")
    elif chosen is not None:
        st.caption("This decision was saved without a snapshot of what the room saw.")
    with st.expander("Every change to these decisions"):
        trail = queries.scrubbed_of_outsiders(
            wh, history, "rationale", "removal_reason", "recorded_by"
        )
        trail = who.frame(
            trail.assign(
                recorded_at=trail["recorded_at"].map(who.date),
                stage=trail["stage"].map(entries.STAGE_WORDS),
                outcome=trail["outcome"].map(entries.OUTCOME_WORDS),
                removed=trail["removed"].map({True: "withdrawn", False: ""}),
            )[
                [
                    "recorded_at",
                    "cycle",
                    "stage",
                    "outcome",
                    "rationale",
                    "removed",
                    "removal_reason",
                    "recorded_by",
                ]
            ],
            text=["rationale", "removal_reason"],
        )
        page.table(
            ctx,
            trail,
            column_config={
                "recorded_at": "Saved",
                "cycle": "Cycle",
                "stage": "Stage",
                "outcome": "Outcome",
                "rationale": st.column_config.TextColumn("Rationale", width="large"),
                "removed": "Withdrawn",
                "removal_reason": "Why withdrawn",
                "recorded_by": "Saved by",
            },
        )


journal_decisions = journal_view.decisions_about(engineer_id, ctx.scope)
if journal_decisions is not None and not journal_decisions[1].empty:
    show_decisions(*journal_decisions)
