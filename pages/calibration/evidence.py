"""Evidence: where is the evidence thin?

How long since each person's latest example per category (at their level and at the next), how
much each manager records next to their team, and every item, searchable.
"""

import pandas as pd
import streamlit as st

from rungs_ui import charts, identity, journal_view, page, queries, recording, state

MAX_PEOPLE = 40
WINDOW_MONTHS = 6
SEARCH_LIMIT = 500
RECENT_ENTRIES = 20

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
# People left out who are exactly as thin as the last one drawn: the cut between them is only
# alphabetical, so the page says how many there are.
thinness = ["categories_never", "longest_gap"]
last_drawn = people.loc[people["thinnest_order"] == min(in_view, MAX_PEOPLE), thinness]
left_out = people.loc[people["thinnest_order"] > MAX_PEOPLE, thinness]
as_thin = int(left_out.fillna(-1).eq(last_drawn.fillna(-1).iloc[0]).all(axis="columns").sum())
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
tied = (
    f" {as_thin} more not drawn are as thin as the last one: pick a team or manager in the "
    "sidebar to see them."
    if as_thin
    else ""
)
st.caption(
    f"Thinnest first ({min(in_view, MAX_PEOPLE)} of {in_view} people): most categories with "
    f"no example at their level, then the longest time since one, then by name.{tied} "
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

# Everyone in view, by the label the page shows: whom evidence may be recorded about, and
# whose entries recorded in the app (not yet in a build) join the table below.
roster = queries.roster(wh, f)
labels = dict(zip(roster["engineer_id"], page.person_labels(roster["engineer_id"]), strict=True))
in_view = set(roster["engineer_id"])
app = journal_view.app_evidence()
app_in_view = journal_view.about(wh, app, roster)

if not ctx.present:
    st.subheader("Record evidence")
    if not recording.may_record_any(ctx.scope):
        st.caption(recording.who_may_record(ctx.scope))
    else:
        recordable = [e for e in roster["engineer_id"] if ctx.scope.may_record_evidence(e)]
        if not recordable:
            st.caption(
                "Nobody these filters leave in view is someone you may record evidence "
                "about. Widen the sidebar filters."
            )
        else:
            st.caption(
                "An observed example or concern, checked like a row of evidence.csv. It shows "
                "below at once and counts from the next build."
            )
            person = recording.pick_person("rec_ev", recordable, labels)
            level = roster.loc[roster["engineer_id"] == person, "level"]
            recording.evidence_form(
                ctx.scope,
                fw,
                "rec_ev",
                person,
                level.iloc[0] if len(level) else None,
                in_view,
                f.month,
            )

st.subheader("All evidence")
text = st.text_input(
    "Search",
    key=state.EVIDENCE_SEARCH,
    bind="query-params",
    placeholder="Words in the summary, a name, a category or a source",
)
items = journal_view.merge(
    queries.evidence_search(wh, f, text or "", limit=SEARCH_LIMIT),
    journal_view.matching(
        journal_view.up_to(app_in_view, f.month, queries.build_as_of(wh)), text or ""
    ),
    limit=SEARCH_LIMIT,
)
pending = journal_view.pending_count(items)
later = journal_view.observed_after(app_in_view, f.month, queries.build_as_of(wh))
st.caption(
    f"{len(items)} items"
    + (f" (first {SEARCH_LIMIT})" if len(items) == SEARCH_LIMIT else "")
    + (f" · {pending} recorded in the app since the last build" if pending else "")
    + (
        f" · {later} recorded in the app observed after {page.month_label(f.month)}, shown "
        "once the view reaches their month"
        if later
        else ""
    )
)
shown = journal_view.mark(who.frame(items, dates=["observed_on"], text=["summary", "source"]))
page.table(
    ctx,
    shown,
    column_config={
        **page.evidence_columns(),
        "evidence_id": None,
        "engineer_id": None,
        "name": "Engineer",
        "team": "Team",
        **journal_view.RECORDED_COLUMN,
    },
    column_order=journal_view.column_order(shown.columns),
)

if not ctx.present and recording.may_record_any(ctx.scope):
    recording.recent_entries(ctx.scope, fw, app_in_view, labels, in_view, RECENT_ENTRIES)
