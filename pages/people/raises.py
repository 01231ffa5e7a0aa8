"""In-band raises: who is exceeding their level without meeting the next?

Candidates the pipeline flagged, with the categories they show above their level, in how many
of the recent months, and their last raise or promotion.
"""

import streamlit as st

from rungs_ui import formats, identity, page, queries

ctx = page.context()
page.header(ctx)
page.require_people(ctx)
page.require(ctx, "readiness", "category_attainment")
f, fw, wh = ctx.filters, ctx.fw, ctx.wh
lookback = int(fw.setting("in_band_lookback_months"))

candidates = queries.readiness_at(wh, f, queries.Flag.IN_BAND)
st.metric(
    "In-band raise candidates",
    len(candidates),
    border=True,
    help=f"Above their level in at least {int(fw.setting('in_band_min_categories_above'))} "
    f"categories in each of the last {lookback} eligible months, not promotion-ready, "
    "and no raise or promotion in the cooldown.",
)
if candidates.empty:
    st.info("Of the people in view, nobody is an in-band raise candidate this month.")
    st.stop()

who = identity.current()
# Written out (a day, a month when anonymised, a dash when never): a missing date or text would
# show as "None" in the table.
table = who.frame(
    candidates.assign(
        last_raise=candidates["last_raise"].map(formats.cell),
        last_raise_on=candidates["last_raise_on"].map(who.date),
    )
).assign(engineer_id=candidates["engineer_id"], page=candidates["engineer_id"].map(who.link))
columns = [
    "name",
    "team",
    "manager_name",
    "level",
    "months_at_level",
    "above_categories",
    "months_with_categories_above",
    "last_raise",
    "last_raise_on",
]
page.table(
    ctx,
    table[[*columns, "page"]],
    column_config={
        "name": "Engineer",
        "team": "Team",
        "manager_name": "Manager",
        "level": "Level",
        "months_at_level": st.column_config.NumberColumn("Consistent months"),
        "above_categories": st.column_config.TextColumn(
            "Above level in", help="Categories shown above the level held in the as-of month."
        ),
        "months_with_categories_above": st.column_config.NumberColumn(
            "Months above",
            help="Consecutive eligible months with enough categories above the level held.",
        ),
        "last_raise": "Last raise or promotion",
        "last_raise_on": st.column_config.TextColumn("On"),
        "page": st.column_config.LinkColumn("Page", display_text="open"),
    },
)
page.download(
    who.whole(candidates[["engineer_id", "manager_id", *columns, "reason"]]),
    "Download candidates as CSV",
    "in-band-raises",
    key="download_in_band",
)
with st.expander(f"Why: the reason for each of the {len(table)}", expanded=len(table) <= 12):
    page.reason_lines(table)
