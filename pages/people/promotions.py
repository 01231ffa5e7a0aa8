"""Promotions: who can we make a case for now, and who is close?

The pipeline flagged them; this page lists them with the counters behind each flag, the month
a near case is projected to open and the categories still short of the next level.
"""

import pandas as pd
import streamlit as st

from rungs_ui import identity, page, queries

ctx = page.context()
page.header(ctx)
page.require_people(ctx)
page.require(ctx, "readiness", "category_attainment")
f, fw, wh = ctx.filters, ctx.fw, ctx.wh
who = identity.current()
need_level = int(fw.setting("promotion_months_at_level"))
need_next = int(fw.setting("promotion_months_at_next"))

flagged = queries.readiness_at(wh, f, queries.Flag.READY_OR_NEAR)
short = queries.still_short_in(wh, f).set_index("engineer_id")["still_short_in"]


def _counters(row: pd.Series) -> str:
    nxt = fw.next_level(row["level"]) or "next level"
    return (
        f"{min(int(row['months_at_level']), need_level)}/{need_level} at {row['level']} · "
        f"{min(int(row['months_at_next']), need_next)}/{need_next} at {nxt}"
    )


def _blocking(row: pd.Series) -> str:
    """Categories this month whose level shown is still below the next level."""
    if row["engineer_id"] not in short.index:
        return ""  # at the top level
    categories = short[row["engineer_id"]]
    return "none" if pd.isna(categories) else categories


def _table(rows: pd.DataFrame) -> pd.DataFrame:
    if rows.empty:
        return rows.assign(progress=[], blocking=[])
    return rows.assign(
        progress=rows.apply(_counters, axis=1), blocking=rows.apply(_blocking, axis=1)
    )


ready = _table(flagged.loc[flagged["promotion_ready"].astype(bool)])
near = _table(
    flagged.loc[flagged["near_window"].astype(bool) & ~flagged["promotion_ready"].astype(bool)]
)

tiles = st.columns(2)
tiles[0].metric(
    "Promotion-ready",
    len(ready),
    border=True,
    help=f"{need_level} consistent months at level and {need_next} showing the next.",
)
tiles[1].metric(
    "Near a window",
    len(near),
    border=True,
    help="Already showing the next level and within a few months of ready.",
)
page.download_workbook(
    ctx,
    "Download promotions, in-band raises and at risk as one workbook (.xlsx)",
    key="download_workbook",
)

search = st.text_input(
    "Find", placeholder="Filter by name, team, manager or category", key="promotions_find"
)


def _matches(rows: pd.DataFrame) -> pd.DataFrame:
    if not search.strip() or rows.empty:
        return rows
    text = rows[["name", "team", "manager_name", "blocking", "reason"]].astype(str)
    hit = text.apply(lambda col: col.str.contains(search.strip(), case=False, regex=False))
    return rows.loc[hit.any(axis=1)]


COLUMNS = {
    "name": st.column_config.TextColumn("Engineer"),
    "team": "Team",
    "manager_name": "Manager",
    "level": "Level",
    "progress": st.column_config.TextColumn(
        "Progress", help="Consistent months at level · months showing the next level"
    ),
    "projected_window_month": st.column_config.DateColumn("Window opens", format="MMM YYYY"),
    "blocking": st.column_config.TextColumn("Still short in"),
}

for title, rows, key, empty in (
    ("Ready now", _matches(ready), "ready", "Of the people in view, nobody is ready now."),
    ("Near a window", _matches(near), "near", "Of the people in view, nobody is near a window."),
):
    st.subheader(f"{title} ({len(rows)})")
    if rows.empty:
        st.caption(empty)
        continue
    columns = [
        c
        for c in COLUMNS
        if c in rows.columns and not (key == "ready" and c == "projected_window_month")
    ]
    table = who.frame(rows, dates=["projected_window_month"]).assign(
        page=rows["engineer_id"].map(who.link)
    )
    page.table(
        ctx,
        table[[*columns, "page"]],
        column_config={**COLUMNS, "page": st.column_config.LinkColumn("Page", display_text="open")},
    )
    page.download(
        who.whole(rows[["engineer_id", "manager_id", *columns, "reason"]]),
        f"Download {title.lower()} as CSV",
        "promotions-ready" if key == "ready" else "promotions-near",
        key=f"download_{key}",
    )
    with st.expander(f"Why: the reason for each of the {len(rows)}", expanded=len(rows) <= 12):
        page.reason_lines(who.frame(rows).assign(engineer_id=rows["engineer_id"]))
