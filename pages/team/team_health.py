"""Team health: how is the team doing against the framework?

Headline tiles with month-over-month change, the level mix, and team trends against the bars.
"""

import pandas as pd
import streamlit as st

from rungs_ui import charts, page, queries

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


st.subheader(f"{page.month_label(f.month)} against {page.month_label(previous)}")
tiles = st.columns(3)
tiles[0].metric("Headcount", int(now["headcount"]), delta=_count_delta("headcount"), border=True)
sla = now["sla_adherence"]
tiles[1].metric(
    "Team SLA adherence",
    "—" if pd.isna(sla) else f"{sla:.1%}",
    delta=None
    if _delta("sla_adherence", 100) is None
    else f"{_delta('sla_adherence', 100):+.1f} pts",
    border=True,
    help="SLA targets met over SLA-bearing tickets solved in the month.",
)
hours = now["median_open_hours"]
tiles[2].metric(
    "Median open time",
    "—" if pd.isna(hours) else f"{hours:.1f} h",
    delta=None if _delta("median_open_hours") is None else f"{_delta('median_open_hours'):+.1f} h",
    delta_color="inverse",
    border=True,
    help="The middle of the engineers' own median open times that month.",
)

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
                st.page_link(target, label="See the list", icon=":material/arrow_forward:")
            else:
                st.caption("Listed below, with reasons.")
else:
    page.require(ctx, "readiness")


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
    st.subheader("SLA adherence per team against the level bars")
    page.chart(ctx, charts.team_trend(trends, _trend_spec("sla_adherence")))
st.subheader("Median open time per team against the bar")
page.chart(ctx, charts.team_trend(trends, _trend_spec("median_open_hours")))

if "ready" in now:
    at_risk = queries.readiness_at(wh, f, queries.Flag.AT_RISK)
    st.subheader(f"At risk ({len(at_risk)})")
    if at_risk.empty:
        st.caption("Nobody in view is below their level for the months the framework counts.")
    else:
        page.reason_lines(
            at_risk.assign(
                name=at_risk["name"] + " (" + at_risk["team"] + ", " + at_risk["level"] + ")"
            )
        )

build = queries.latest_build(wh)
st.caption(
    f"Data as of {page.month_label(build.get('as_of_month'))} · built "
    f"{pd.Timestamp(build['built_at']).strftime('%d %b %Y %H:%M %Z')} from "
    f"{page.text(build.get('source_dir'))} · framework "
    f"{page.text(build.get('framework_version'))}"
)
