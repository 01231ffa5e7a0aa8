"""Evidence: where is the evidence thin?

How long since each person's latest example per category (at their level and at the next), how
much each manager records next to their team, and every item, searchable.
"""

import pandas as pd
import streamlit as st

from rungs_ui import charts, identity, page, queries, state

MAX_PEOPLE = 40
WINDOW_MONTHS = 6

ctx = page.context()
page.header(ctx)
f, fw, wh = ctx.filters, ctx.fw, ctx.wh

coverage = queries.evidence_coverage(wh, f)
if coverage.empty:
    st.info("Nobody matches these filters in this month. Widen the sidebar filters.")
    st.stop()

# The query lists the thinnest person first.
thinnest = coverage.loc[coverage["thinnest_order"] <= MAX_PEOPLE, "engineer_id"].unique()
in_view = int(coverage["thinnest_order"].max())
people = coverage.drop_duplicates("engineer_id")
who = identity.current()
names = pd.Series(page.person_labels(people["engineer_id"]).values, index=people["engineer_id"])
cells = coverage.loc[coverage["engineer_id"].isin(thinnest)]
long = cells.melt(
    id_vars=["engineer_id", "name", "category"],
    value_vars=["months_since_current", "months_since_next"],
    var_name="which",
    value_name="months_since",
)
long["which"] = long["which"].map(
    {"months_since_current": "at current level", "months_since_next": "at next level"}
)
long["person"] = long["engineer_id"].map(names)
order = [names[e] for e in thinnest]
long = long.set_index("person").loc[order].reset_index()

st.subheader("Months since the latest example")
st.caption(
    f"Thinnest first ({min(in_view, MAX_PEOPLE)} of {in_view} people). "
    "Darker means older; grey 'never' means no example at that level ever."
)
page.chart(
    ctx,
    charts.coverage_heatmap(long[["person", "category", "which", "months_since"]], fw.categories),
)

st.subheader(f"Evidence per engineer, last {WINDOW_MONTHS} months, by manager")
per_manager = queries.evidence_per_manager(wh, f, WINDOW_MONTHS)
# Bars by manager id: two managers who share a name are two bars, each labelled apart.
per_manager = who.frame(per_manager)
page.chart(ctx, charts.evidence_per_manager(per_manager))
st.caption(
    "Bars: items per engineer in each manager's group · black tick: the team's rate. "
    "A bar well short of its tick is a group to document before calibration."
)

st.subheader("All evidence")
text = st.text_input(
    "Search",
    key=state.EVIDENCE_SEARCH,
    bind="query-params",
    placeholder="Words in the summary, a name, a category or a source",
)
items = queries.evidence_search(wh, f, text or "")
st.caption(f"{len(items)} items" + (" (first 500)" if len(items) == 500 else ""))
page.table(
    ctx,
    who.frame(items, dates=["observed_on"], text=["summary", "source"]),
    column_config={
        **page.evidence_columns(),
        "engineer_id": None,
        "name": "Engineer",
        "team": "Team",
    },
)
