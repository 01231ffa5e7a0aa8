"""Team health: how is the team doing against the framework?

Headline tiles with month-over-month change; the teams ranked by how far each sits from the bars
of its own people (its level mix), with each team's gap over the last 12 months; a click opens a
team's people with their flags; the level mix, and who is at risk and why.
"""

import dataclasses

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
    "attention_rank": "#",
    "team": "Team",
    "headcount": "People",
    "sla_adherence": "SLA",
    "sla_expected": "Own bars",
    "sla_gap": "Gap",
    "median_open_hours": "Open time (h)",
    "open_time_gap": "Open vs own (h)",
    "below_own_bar": "Below own bar",
    "csat": "CSAT",
    "csat_sample": "Ratings",
    "tickets_solved": "Solved",
    "ready": "Ready",
    "near": "Near",
    "in_band": "In-band",
    "at_risk": "At risk",
}
TEAM_HELP = {
    "attention_rank": "1 = the team furthest below the bars of its own people",
    "sla_adherence": "SLA targets met over the team's SLA tickets",
    "sla_expected": "Each person's SLA bar for the level they hold, weighted by their SLA tickets",
    "sla_gap": "SLA adherence less its own bars, in percentage points",
    "median_open_hours": "The middle of the engineers' own median open times, in hours",
    "open_time_gap": "The middle of each person's open time less their own open-time bar; "
    "above zero is slower than the bar",
    "below_own_bar": "People whose month missed their own SLA or open-time bar",
    "csat": "Good ratings over good and bad ratings",
    "tickets_solved": "Tickets solved in the month",
    "ready": "Promotion-ready",
    "near": "Near a promotion window",
    "in_band": "In-band raise candidates",
}
RANKING_RULE = (
    "Teams are ranked by how far their SLA adherence sits below the bars of their own people "
    "(each person's bar for the level they hold, weighted by their SLA tickets), the team "
    "furthest below first; ties go to the team with more people below their own bar."
)
# The people panel's team, and the ranked chart it follows.
PANEL_KEY = "team-panel"
CHART_KEY = "team-attention"
# The expander of the full table (its state: open or not).
TABLE_KEY = "team-table"


def _open_team(team: str) -> None:
    st.session_state[state.TEAMS] = [team]


def _picked_in_chart() -> None:
    """A click on a row of the ranked chart opens that team's people below it."""
    picked = st.session_state[CHART_KEY].selection.get(charts.TEAM_PICK) or []
    st.session_state[PANEL_KEY] = picked[0]["team"] if picked else None


def _gap_hours(v) -> str:
    return formats.BLANK if formats.missing(v) else f"{v:+.1f}"


def _team_table(measures: pd.DataFrame):
    """The team × measure table, ranked, each cell formatted one way; SLA and open time
    coloured by the team's gap to its own bars, at-risk and below-bar counts above zero marked."""
    table = measures[list(TEAM_COLUMNS)]

    def against_own(gap: pd.Series, below_is: int):
        return [
            "" if formats.missing(g) else (MISSES_BAR if g * below_is > 0 else MEETS_BAR)
            for g in gap
        ]

    styled = table.style.format(
        {
            "sla_adherence": formats.percent,
            "sla_expected": formats.percent,
            "sla_gap": formats.points,
            "median_open_hours": lambda v: formats.BLANK if formats.missing(v) else f"{v:.1f}",
            "open_time_gap": _gap_hours,
            "csat": formats.percent,
            **dict.fromkeys(
                ("headcount", "csat_sample", "tickets_solved", "below_own_bar"), formats.count
            ),
        }
    )
    styled = styled.apply(
        lambda _: against_own(measures["sla_gap"], -1), subset=["sla_adherence", "sla_gap"]
    ).apply(
        lambda _: against_own(measures["open_time_gap"], 1),
        subset=["median_open_hours", "open_time_gap"],
    )
    return styled.map(
        lambda n: MISSES_BAR if n and n > 0 else "", subset=["at_risk", "below_own_bar"]
    )


measures = queries.team_measures(wh, f)
trends = queries.team_trends(wh, f, months=12)
st.subheader("Which team needs attention?", anchor=TEAM_ANCHOR)
st.markdown(RANKING_RULE)
below = measures.loc[measures["sla_gap"] < 0, "team"].tolist()
st.caption(
    f"{formats.month(f.month)}, people in view only. "
    + (
        f"{len(below)} of {len(measures)} teams are below their own bars (tinted, gap in orange); "
        if below
        else f"None of the {len(measures)} teams is below its own bars; "
    )
    + "the others are grey. Trend: each team's gap over the last 12 months, around its own "
    "bars (the dotted line), on one scale for every team; an orange dot is a month below. "
    "Levels: the team's people by the level they hold. Click a team to see its people below."
)
page.chart(
    ctx,
    charts.team_attention(
        measures,
        trends,
        queries.team_level_mix(wh, f),
        fw.levels,
        present=ctx.present,
    ),
    key=CHART_KEY,
    on_select=_picked_in_chart,
)

# The team's people: picked by a click on the chart, or here (the keyboard's way, and the way
# the page is tested).
ranked = measures["team"].tolist()
if st.session_state.get(PANEL_KEY) not in ranked:
    st.session_state[PANEL_KEY] = None
ranks = dict(zip(measures["team"], measures["attention_rank"], strict=True))
team = st.selectbox(
    "A team's people",
    ranked,
    key=PANEL_KEY,
    index=None,
    placeholder="Click a team above, or pick one here",
    format_func=lambda t: f"{ranks[t]}. {t}",
)


def _against_bar(figure: str, bar: str | None, below: bool) -> str:
    if bar is None:
        return figure
    return f"{figure} ({'below own' if below else 'own'} bar {bar})"


def _people_panel(team: str) -> None:
    in_team = dataclasses.replace(f, teams=(team,))
    people = queries.team_people(wh, in_team)
    flags = queries.readiness_at(wh, in_team, queries.Flag.ANY)
    # Nobody is dropped: a month that was not judged has no readiness row, so no flag.
    people = people.merge(
        flags[["engineer_id", *page.FLAGS, "reason"]], on="engineer_id", how="left"
    ).fillna({**dict.fromkeys(page.FLAGS, False), "reason": ""})
    row = measures.loc[measures["team"] == team].iloc[0]
    st.markdown(
        f"**{page.text(team)}**, ranked {row['attention_rank']} of {len(measures)}: SLA "
        f"{formats.percent(row['sla_adherence'])} against its own bars of "
        f"{formats.percent(row['sla_expected'])} ({formats.points(row['sla_gap'])}); "
        f"{formats.count(row['below_own_bar'])} of {formats.count(row['headcount'])} people "
        "below their own bar."
    )
    # Below their own bar on SLA or open time, the figures the rule judged against the bar of
    # the level they hold, and whether the month was judged; then flags and reason.
    details = []
    for _, person in people.iterrows():
        sla = _against_bar(
            f"SLA {formats.percent(person['sla_adherence'])}",
            None if formats.missing(person["sla_bar"]) else formats.percent(person["sla_bar"]),
            bool(person["below_sla_bar"]),
        )
        open_time = _against_bar(
            f"open time {formats.hours(person['median_open_hours'])}",
            None
            if formats.missing(person["open_time_bar"])
            else formats.hours(person["open_time_bar"]),
            bool(person["below_open_time_bar"]),
        )
        facts = [page.text(person["level"]), page.text(sla), page.text(open_time)]
        if not formats.missing(person["not_judged_because"]):
            facts.append(page.text(formats.not_judged(person["not_judged_because"])))
        below_badge = (
            ":orange-badge[Below own bar] "
            if person["below_sla_bar"] or person["below_open_time_bar"]
            else ""
        )
        details.append(below_badge + " · ".join(facts))
    # A team of a handful is recognisable even by letter, on a shared screen.
    identity.current().small_group(len(people))
    page.reason_lines(
        people.assign(name=page.person_labels(people["engineer_id"]), detail=details),
        detail_column="detail",
    )
    st.markdown(f"**{page.text(team)}'s SLA adherence over the last 12 months**")
    page.chart(
        ctx,
        charts.team_trend(
            trends.loc[trends["team"] == team],
            charts.MetricChart(
                charts.METRIC_VIEWS["sla_adherence"],
                fw.levels,
                bars=fw.bars_for_metric("sla_adherence"),
            ),
            # One team: the first team colour (indigo), not its place among every team's.
            (),
        ),
    )
    st.button(
        f"Narrow the whole page to {page.text(team)}",
        key="open-team",
        icon=":material/groups:",
        on_click=_open_team,
        args=(team,),
        help="Sets the sidebar's team filter to this team; the month and the view stay.",
    )


if team is not None:
    with st.container(border=True):
        _people_panel(team)

# Built and sent only once opened (opening reruns the page): a closed expander's content still
# goes to the browser, and at 150 teams its styled cells weigh more than the ranked chart.
table_panel = st.expander(
    "Every measure by team, as a table (CSAT, tickets, flags)", key=TABLE_KEY, on_change="rerun"
)
if table_panel.open:
    with table_panel:
        page.table(
            ctx,
            _team_table(measures),
            column_config={
                **{
                    k: st.column_config.Column(v, help=TEAM_HELP.get(k))
                    for k, v in TEAM_COLUMNS.items()
                },
            },
        )
        st.caption(
            "Ranked as above. SLA and its gap: green when the team meets its own bars, orange "
            "when below; open time and its gap likewise against each person's own open-time "
            "bar (levels without one are left out). CSAT (good ÷ rated) and tickets solved have "
            "no bar and are not coloured; at-risk and below-bar counts above zero are marked."
        )

st.subheader("Engineers per level")
page.chart(ctx, charts.level_distribution(queries.level_distribution(wh, f), fw.levels))

if "ready" in now:
    at_risk = queries.readiness_at(wh, f, queries.Flag.AT_RISK)
    st.subheader(f"At risk ({len(at_risk)})", anchor=AT_RISK_ANCHOR)
    if at_risk.empty:
        st.caption("Nobody in view is below their level for the months the framework counts.")
    else:
        st.caption("By team, the team that needs attention first at the top.")
        order = {t: i for i, t in enumerate(ranked)}
        at_risk = at_risk.assign(_order=at_risk["team"].map(order).fillna(len(order))).sort_values(
            ["_order", "team"], kind="stable"
        )
        for team_name, people in at_risk.groupby("team", sort=False):
            st.markdown(f"**{page.text(team_name)}** ({len(people)})")
            page.reason_lines(
                people.assign(
                    name=page.person_labels(people["engineer_id"]) + " (" + people["level"] + ")"
                )
            )

build = queries.latest_build(wh)
st.caption(
    f"Data as of {formats.month(build.get('as_of_month'))} · built "
    f"{pd.Timestamp(build['built_at']).strftime('%d %b %Y %H:%M %Z')} from "
    f"{page.text(build.get('source_dir'))} · framework "
    f"{page.text(build.get('framework_version'))}"
)
