"""Team health: how is the team doing against the framework?

Headline tiles with month-over-month change, the level mix, and team trends against the bars.
"""

import pandas as pd
import streamlit as st

from rungs_ui import charts, formats, identity, page, queries, state

# Anchors the tiles lead to, on this page.
TEAM_ANCHOR = "which-team"
AT_RISK_ANCHOR = "at-risk"

ctx = page.context()
page.header(ctx)
f, fw, wh = ctx.filters, ctx.fw, ctx.wh
previous = (pd.Timestamp(f.month) - pd.offsets.MonthBegin(1)).date()
now = queries.team_kpis(wh, f, f.month)
before = queries.team_kpis(wh, f, previous)

if not now["headcount"]:
    st.info(
        "Nobody matches these filters in this month. Widen the team, region, manager or "
        "level filters in the sidebar, or pick another as-of month."
    )
    st.stop()


def _delta(key: str, scale: float = 1.0):
    a, b = now.get(key), before.get(key)
    if a is None or b is None or pd.isna(a) or pd.isna(b):
        return None
    return (a - b) * scale


def _count_delta(key: str) -> int | None:
    change = _delta(key)
    return None if change is None else int(change)


st.subheader(f"{formats.month(f.month)} against {formats.month(previous)}")
tiles = st.columns(4)
tiles[0].metric(
    "Headcount",
    int(now["headcount"]),
    delta=_count_delta("headcount"),
    delta_color=formats.delta_colour(_count_delta("headcount"), 0),
    border=True,
)
sla_change = _delta("sla_adherence")
tiles[1].metric(
    "Team SLA adherence",
    formats.percent(now["sla_adherence"]),
    delta=None if sla_change is None else formats.points(sla_change),
    delta_color=formats.delta_colour(None if sla_change is None else sla_change * 100),
    border=True,
    help="SLA targets met over SLA-bearing tickets solved in the month.",
)
hours_change = _delta("median_open_hours")
tiles[2].metric(
    "Median open time",
    formats.hours(now["median_open_hours"]),
    delta=None if hours_change is None else f"{hours_change:+.1f} h",
    delta_color=formats.delta_colour(hours_change, better="inverse"),
    border=True,
    help="The middle of the engineers' own median open times that month.",
)
csat_change = (
    None
    if formats.missing(now["csat"]) or formats.missing(before["csat"])
    else now["csat"] - before["csat"]
)
tiles[3].metric(
    "CSAT",
    formats.percent(now["csat"]),
    delta=None if csat_change is None else formats.points(csat_change),
    delta_color=formats.delta_colour(None if csat_change is None else csat_change * 100),
    border=True,
    help="Customer satisfaction: good ratings over good and bad ratings on the month's solved "
    f"tickets, over {formats.count(now['csat_sample'])} ratings.",
)
tiles[3].caption(f"over {formats.count(now['csat_sample'])} ratings")
# The four team-wide tiles lead to the same measures split by team, in the table below.
st.markdown(f"[:material/arrow_downward: The same by team](#{TEAM_ANCHOR})")

if "ready" in now:
    flag_tiles = st.columns(4)
    links = {
        "ready": ("Promotion-ready", "pages/people/promotions.py"),
        "near": ("Near a window", "pages/people/promotions.py"),
        "in_band": ("In-band candidates", "pages/people/raises.py"),
        "at_risk": ("At risk", None),
    }
    for column, (key, (label, target)) in zip(flag_tiles, links.items(), strict=True):
        with column:
            st.metric(label, int(now[key]), delta=_count_delta(key), delta_color="off", border=True)
            if target:
                st.page_link(
                    target,
                    label="See the list",
                    icon=":material/arrow_forward:",
                    query_params=identity.current().link_params,
                )
            else:
                # An anchor on this page: the at-risk people are listed below with reasons.
                st.markdown(
                    f"[:material/arrow_downward: See the list, with reasons](#{AT_RISK_ANCHOR})"
                )
else:
    page.require(ctx, "readiness")


# Cell backgrounds of the team table: pale forms of the attainment colours, so text stays legible.
MEETS_BAR = "background-color: #CCEBE0"
MISSES_BAR = "background-color: #F7D4BF"
# Short headers with their units: the table has to fit beside the sidebar at 1280 px.
TEAM_COLUMNS = {
    "team": "Team",
    "headcount": "People",
    "sla_adherence": "SLA",
    "sla_sample": "SLA tickets",
    "median_open_hours": "Open time (h)",
    "csat": "CSAT",
    "csat_sample": "Ratings",
    "tickets_solved": "Solved",
    "ready": "Ready",
    "near": "Near",
    "in_band": "In-band",
    "at_risk": "At risk",
}
TEAM_HELP = {
    "sla_adherence": "SLA targets met over the team's SLA tickets",
    "median_open_hours": "The middle of the engineers' own median open times, in hours",
    "csat": "Good ratings over good and bad ratings",
    "tickets_solved": "Tickets solved in the month",
    "ready": "Promotion-ready",
    "near": "Near a promotion window",
    "in_band": "In-band raise candidates",
}


def _open_team(team: str) -> None:
    st.session_state[state.TEAMS] = [team]


def _team_table(measures: pd.DataFrame):
    """The team × measure table, each cell formatted one way; SLA and open time coloured by
    whether the team meets the framework's lowest bar, at-risk counts above zero marked."""
    table = measures[list(TEAM_COLUMNS)]

    def against_bar(met: pd.Series):
        return ["" if formats.missing(m) else (MEETS_BAR if m else MISSES_BAR) for m in met]

    styled = table.style.format(
        {
            "sla_adherence": formats.percent,
            "median_open_hours": lambda v: formats.BLANK if formats.missing(v) else f"{v:.1f}",
            "csat": formats.percent,
            **dict.fromkeys(
                ("headcount", "sla_sample", "csat_sample", "tickets_solved"), formats.count
            ),
        }
    )
    styled = styled.apply(
        lambda _: against_bar(measures["sla_meets_bar"]), subset=["sla_adherence"]
    ).apply(lambda _: against_bar(measures["open_time_meets_bar"]), subset=["median_open_hours"])
    return styled.map(lambda n: MISSES_BAR if n and n > 0 else "", subset=["at_risk"])


measures = queries.team_measures(wh, f)
st.subheader("Which team?", anchor=TEAM_ANCHOR)
page.table(
    ctx,
    _team_table(measures),
    column_config={
        **{k: st.column_config.Column(v, help=TEAM_HELP.get(k)) for k, v in TEAM_COLUMNS.items()},
    },
)
# Each team's view, in this tab: a button that narrows the sidebar's team filter to the team.
# Not a link column or a Markdown link (both open a new tab), nor a page link to this same page
# (the sidebar keeps the session's team filter over the link's). The rest of the view (month,
# presentation, anonymise) is the session's and stays; the filter writes the team to the URL.
team_buttons = st.container(horizontal=True, vertical_alignment="center")
team_buttons.caption("Open a team's view:", width="content")
for team in measures["team"]:
    team_buttons.button(
        page.text(team),
        key=f"open-team-{team}",
        icon=":material/groups:",
        type="tertiary",
        on_click=_open_team,
        args=(str(team),),
    )
bars = measures.iloc[0] if not measures.empty else None
if bars is not None:
    sla_bar = (
        f"{page.text(bars['sla_bar_level'])}'s bar of {formats.percent(bars['sla_bar'])}"
        if not formats.missing(bars["sla_bar"])
        else "no bar (the framework sets none)"
    )
    open_bar = (
        f"{page.text(bars['open_time_bar_level'])}'s bar of {formats.hours(bars['open_time_bar'])}"
        if not formats.missing(bars["open_time_bar"])
        else "no bar (the framework sets none)"
    )
    st.caption(
        f"{formats.month(f.month)}, people in view only. Green: the team as a whole meets the "
        "lowest bar the framework sets on the measure, the floor every engineer is held to; "
        f"orange: it does not. SLA adherence is pooled over the team's SLA tickets, against "
        f"{sla_bar}; median open time is the middle of the engineers' own medians, against "
        f"{open_bar}. CSAT (good ÷ rated) and tickets solved have no bar and are not coloured; "
        "an at-risk count above zero is marked. Open a team's view to see its people."
    )


def _trend_spec(metric: str) -> charts.MetricChart:
    return charts.MetricChart(
        charts.METRIC_VIEWS[metric], fw.levels, bars=fw.bars_for_metric(metric)
    )


left, right = st.columns([2, 3])
with left:
    st.subheader("Engineers per level")
    page.chart(ctx, charts.level_distribution(queries.level_distribution(wh, f), fw.levels))
with right:
    trends = queries.team_trends(wh, f, months=12)
    all_teams = queries.team_names(wh)
    st.subheader("SLA adherence per team against the level bars")
    page.chart(ctx, charts.team_trend(trends, _trend_spec("sla_adherence"), all_teams))
st.subheader("Median open time per team against the bar")
page.chart(ctx, charts.team_trend(trends, _trend_spec("median_open_hours"), all_teams))

if "ready" in now:
    at_risk = queries.readiness_at(wh, f, queries.Flag.AT_RISK)
    st.subheader(f"At risk ({len(at_risk)})", anchor=AT_RISK_ANCHOR)
    if at_risk.empty:
        st.caption("Nobody in view is below their level for the months the framework counts.")
    else:
        page.reason_lines(
            at_risk.assign(
                name=page.person_labels(at_risk["engineer_id"])
                + " ("
                + at_risk["team"]
                + ", "
                + at_risk["level"]
                + ")"
            )
        )

build = queries.latest_build(wh)
st.caption(
    f"Data as of {formats.month(build.get('as_of_month'))} · built "
    f"{pd.Timestamp(build['built_at']).strftime('%d %b %Y %H:%M %Z')} from "
    f"{page.text(build.get('source_dir'))} · framework "
    f"{page.text(build.get('framework_version'))}"
)
