"""Calibration: everyone at one level side by side, for a meeting around a shared screen.

One grid, one row per person judged at the level in the as-of month, however many: flags,
the promotion rule's counters, the level shown per category over the last months and what is
still short of the next level. Everyone holding the level who was not judged this month is
named with the reason. A click on a row opens the person's panel (trajectory against the bars,
reason, counters, a link to their Engineer page). Filters and sort sit on the page itself, so
presentation mode (`?present=1`, no sidebar, larger type) keeps them. "Anonymise" swaps every
name on the page (grid, tooltips, panel, download) for a stable letter.
"""

import dataclasses
from datetime import date

import pandas as pd
import streamlit as st

from pipelines.journal import entries
from pipelines.journal.store import JournalError, open_journal
from rungs_ui import calibration_grid as grid
from rungs_ui import charts, formats, identity, outcomes, page, queries, state, theme

# Which grid click has opened the panel, and the grid's generation: closing the panel draws a
# new grid (no row selected), so the same person can be opened again.
OPEN_KEY = "_calibration_open"
GENERATION_KEY = "_calibration_grid"
# The same panel from a list, without a mouse: the pick is taken as a request and the list
# cleared, so choosing the same person again opens the panel again.
PICKER_KEY = "calibration_person"
REQUEST_KEY = "_calibration_request"
WORKSHEET = "pages/calibration/decisions.py"
WORKSHEET_LEVEL = "worksheet_level"  # the worksheet's level, bound to its URL

ctx = page.context()
page.header(ctx)
page.require(ctx, "readiness", "category_attainment")
f, fw, wh = ctx.filters, ctx.fw, ctx.wh
# Anonymise is a mode of the whole session, in the sidebar (rungs_ui.identity).
who = identity.current()
FLAGS = list(page.FLAGS)

# --- the level and who holds it -------------------------------------------------------------

top = st.columns([1, 2, 2])  # presentation mode is in the page header
if st.session_state.get(state.CALIBRATION_LEVEL) not in fw.levels:
    st.session_state.pop(state.CALIBRATION_LEVEL, None)
counts = queries.level_distribution(wh, f).set_index("level")["engineers"]
busiest = fw.levels.index(counts.idxmax()) if not counts.empty else 0
level = top[0].selectbox(
    "Level", fw.levels, index=busiest, key=state.CALIBRATION_LEVEL, bind="query-params"
)
nxt = fw.next_level(level)
month = page.month_label(f.month)

at_level = dataclasses.replace(f, levels=(level,))
cohort = queries.readiness_at(wh, at_level).reset_index(drop=True)
holding = queries.roster(wh, at_level)
unjudged = queries.not_judged_at(wh, at_level)

# --- filters and sort, on the page (presentation mode has no sidebar) -----------------------

teams = sorted(cohort["team"].dropna().unique().tolist())
if st.session_state.get(state.CALIBRATION_TEAM) not in ["", *teams]:
    st.session_state.pop(state.CALIBRATION_TEAM, None)
team = top[1].selectbox(
    "Team",
    ["", *teams],
    format_func=lambda t: t or "All teams",
    key=state.CALIBRATION_TEAM,
    bind="query-params",
)
sort = top[2].selectbox(
    "Order",
    list(grid.SORTS),
    format_func=grid.SORTS.get,
    key=state.CALIBRATION_SORT,
    bind="query-params",
    help="Flagged first, then by name, is the worksheet's and the pre-read's order.",
)
show_words = {grid.SHOW_ALL: "Everyone", grid.SHOW_FLAGGED: "Any flag", **page.FLAGS}
show = st.segmented_control(
    "Show",
    list(show_words),
    format_func=show_words.get,
    default=grid.SHOW_ALL,
    required=True,
    key=state.CALIBRATION_SHOW,
    bind="query-params",
)

# --- the counts, and who they leave out -----------------------------------------------------

st.subheader(f"{len(cohort)} at {page.text(level)} judged in {month}")
raised = cohort[FLAGS].fillna(False).astype(bool)
tally = [f"{page.FLAGS[name]} {int(raised[name].sum())}" for name in FLAGS]
tally.append(f"no flag {int((~raised.any(axis=1)).sum())}")
st.markdown(" · ".join(tally))

ids = holding["engineer_id"].tolist()  # everyone holding the level: the worksheet's count
if not unjudged.empty:
    why = []
    for reason, rows in unjudged.groupby(
        unjudged["not_judged_because"].map(formats.not_judged), sort=False
    ):
        names = ", ".join(page.text(who.person(e)) for e in rows["engineer_id"])
        why.append(f"{page.text(reason.lower())} ({names})")
    st.markdown(
        f"{len(ids)} hold {page.text(level)} in {month}, as the Calibration worksheet counts; "
        f"{len(unjudged)} of them {'is' if len(unjudged) == 1 else 'are'} not judged this "
        f"month, so carry no flag and are not in the grid: {'; '.join(why)}."
    )
elif ids:
    st.markdown(
        f"{len(ids)} hold {page.text(level)} in {month} and all of them are judged this month: "
        "the Calibration worksheet counts the same people."
    )

if cohort.empty:
    st.info(
        f"Nobody in view held {page.text(level)} in {month} with a judged month. Pick another "
        "level, or widen the sidebar filters."
    )
    st.stop()
who.small_group(len(cohort))

cycle = entries.cycle_of(date.today())
try:
    decided = outcomes.current_at(wh, open_journal(), cycle, ids, ctx.scope)
except JournalError as exc:
    st.caption(f"Proposed and calibrated outcomes cannot be counted: {page.text(exc)}")
else:
    line = st.columns([4, 1], vertical_alignment="center")
    line[0].markdown(
        f"Cycle {page.text(cycle)}: "
        + outcomes.sentence(
            outcomes.counts(decided), len(ids), page.text(level), outcomes.guideline_share(fw)
        )
    )
    with line[1]:
        st.page_link(
            WORKSHEET,
            label="Open the worksheet",
            icon=":material/edit_note:",
            query_params={WORKSHEET_LEVEL: level, **identity.view_params(st.query_params)},
        )

# --- the grid -------------------------------------------------------------------------------

cohort["person"] = cohort["engineer_id"].map(who.person)
# Each person's raised flags in the dashboard's order (page.flags_of), worked out once: the
# grid, the reasons and the download all read them.
flag_rows = [row for _, row in cohort[FLAGS].iterrows()]
flags_of = pd.Series([page.flags_of(row) for row in flag_rows], index=cohort.index)
flag_words = pd.Series([page.flag_text(row) for row in flag_rows], index=cohort.index)
ordered = cohort.loc[grid.in_order(cohort, cohort["person"], FLAGS, sort)]
view = ordered.loc[grid.shown(ordered, FLAGS, show, team or None)]
if len(view) < len(cohort):
    chosen = [show_words[show].lower()] if show != grid.SHOW_ALL else []
    chosen += [f"team {team}"] if team else []
    st.caption(
        f"Showing {len(view)} of the {len(cohort)} judged at {page.text(level)} "
        f"({page.text(', '.join(chosen))}); Show and Team above bring back the rest."
    )
if view.empty:
    st.info("Nobody at this level matches Show and Team. Pick Everyone or All teams.")
    st.stop()

short = queries.still_short_in(wh, at_level).set_index("engineer_id")["still_short_in"]
need_level = int(fw.setting("promotion_months_at_level"))
need_next = int(fw.setting("promotion_months_at_next"))


def short_words(engineer_id: str) -> str:
    """The categories still short of the next level; "all" when every one is (most people
    far from the next level: a column of four names each would hide the few that differ)."""
    missing = short.get(engineer_id)
    if not nxt or not isinstance(missing, str):
        return "—"
    return "all" if len(missing.split(", ")) == len(fw.categories) else missing


people = pd.DataFrame(
    {
        "person": view["person"],
        "team": view["team"].fillna("no team"),
        "flags": [
            ", ".join(page.FLAGS_SHORT[n] for n in raised) for raised in flags_of[view.index]
        ],
        "flag": [raised[0] if raised else "" for raised in flags_of[view.index]],
        "flag_words": flag_words[view.index],
        "at_level": [f"{int(n)}/{need_level}" for n in view["months_at_level"]],
        "at_next": [f"{int(n)}/{need_next}" if nxt else "—" for n in view["months_at_next"]],
        "short_in": [short_words(e) for e in view["engineer_id"]],
    }
).reset_index(drop=True)
headers = {
    "person": "Engineer",
    "team": "Team",
    "flags": "Flags",
    "at_level": f"At {level} /{need_level}",
    "at_next": f"At {nxt} /{need_next}" if nxt else "At next",
    "short_in": f"Short of {nxt} in" if nxt else "Short of next in",
}
months = list(pd.date_range(end=pd.Timestamp(f.month), periods=grid.GRID_MONTHS, freq="MS"))
cells = queries.attainment_months(wh, at_level, grid.GRID_MONTHS)
cells["person"] = cells["engineer_id"].map(who.person)
cells["shown"] = (
    cells["demonstrated_level"]
    .astype(object)
    .where(cells["demonstrated_level"].notna(), cells["not_judged_because"].map(formats.not_judged))
)

st.markdown(
    f"**Level shown per category, {page.month_label(months[0])} to {month}**, a cell a month "
    "against the level held then; counters are consistent months out of what the framework "
    "asks. Click a row to open the person's panel."
)


def requested() -> None:
    st.session_state[REQUEST_KEY] = st.session_state.get(PICKER_KEY)
    st.session_state[PICKER_KEY] = None


st.columns([1, 2])[0].selectbox(
    "Open a person's panel",
    view["person"].tolist(),
    index=None,
    placeholder="Click a row below, or pick a person",
    key=PICKER_KEY,
    on_change=requested,
)
figure = grid.calibration_grid(
    people,
    cells.drop(columns=["engineer_id"]),
    fw.categories,
    months,
    headers,
    dict(zip(FLAGS, charts.FLAG_HUES, strict=True)),
    present=ctx.present,
)
if ctx.present:
    figure = theme.for_presentation(figure)
generation = st.session_state.setdefault(GENERATION_KEY, 0)
event = st.altair_chart(
    figure,
    theme=None,
    width="content",
    key=f"calibration_grid_{generation}",
    on_select="rerun",
    selection_mode=grid.PICK,
)

# --- one person's panel ---------------------------------------------------------------------


def closed() -> None:
    st.session_state[GENERATION_KEY] = st.session_state.get(GENERATION_KEY, 0) + 1
    st.session_state.pop(OPEN_KEY, None)


def panel(row: pd.Series) -> None:
    engineer_id, label = row["engineer_id"], row["person"]
    page.flag_badges(row)
    tiles = st.columns(3)
    tiles[0].metric(f"Months at {level} ({need_level} needed)", int(row["months_at_level"]))
    if nxt:
        tiles[1].metric(f"Months at {nxt} ({need_next} needed)", int(row["months_at_next"]))
        missing = short.get(engineer_id)
        tiles[2].metric(f"Short of {nxt} in", missing if isinstance(missing, str) else "none")
    st.caption(
        f"{page.text(row['team'] or 'No team')} · overall {page.text(row['overall_level'])} "
        f"in {month} · months count consistent months, as the promotion rule does"
    )
    trajectory = queries.trajectories(wh, [engineer_id], f.month, 12)
    trajectory["person"] = label
    st.markdown(
        f"**SLA adherence, last 12 months**: bold rules {page.text(level)}"
        f"{' and ' + page.text(nxt) if nxt else ''}; grey ticks: too few tickets to judge."
    )
    page.chart(
        ctx,
        charts.trajectories(
            trajectory.drop(columns=["engineer_id"]),
            charts.MetricChart(
                charts.METRIC_VIEWS["sla_adherence"],
                fw.levels,
                tuple(lv for lv in (level, nxt) if lv),
                bars=fw.bars_for_metric("sla_adherence"),
            ),
            columns=1,
            order=[label],
            panel=(560, 220),
        ),
    )
    own = cells.loc[cells["engineer_id"] == engineer_id].drop(columns=["engineer_id"])
    if not own.empty:
        st.markdown("**Level shown per category**")
        page.chart(ctx, charts.attainment_heatmap(own, fw.categories, {}))
    st.page_link(
        "pages/people/engineer.py",
        label=f"{page.text(label)}'s Engineer page",
        icon=":material/person:",
        query_params={state.ENGINEER: who.url_key(engineer_id), **who.link_params},
    )


def open_panel(label: str) -> None:
    row = by_label.loc[label].copy()
    row["person"] = label
    st.dialog(page.text(label), width="large", position="right", on_dismiss=closed)(panel)(row)


picked = [p.get("person") for p in (event.selection.get(grid.PICK) or [])]
by_label = view.set_index("person")
asked = st.session_state.pop(REQUEST_KEY, None)
if asked in by_label.index:
    open_panel(asked)
elif picked and picked[0] in by_label.index:
    if st.session_state.get(OPEN_KEY) != picked[0]:
        st.session_state[OPEN_KEY] = picked[0]
        open_panel(picked[0])
else:
    st.session_state.pop(OPEN_KEY, None)

# --- reasons and the download ---------------------------------------------------------------

flagged = view.loc[flags_of[view.index].map(len) > 0]
if not flagged.empty:
    st.markdown("**Flags and reasons**, in the grid's order")
    page.reason_lines(flagged, "person")

matrix = queries.attainment_at(wh, at_level)
wide = matrix.pivot(index="engineer_id", columns="category", values="demonstrated_level")
wide = wide.reindex(columns=list(fw.categories)).reset_index()
judged = ordered.assign(
    flags=flag_words[ordered.index],
    reason=ordered["reason"].map(who.scrub),
    still_short_in=ordered["engineer_id"].map(short),
)[
    [
        "engineer_id",
        "person",
        "team",
        "manager_id",
        "manager_name",
        "months_at_level",
        "months_at_next",
        "overall_level",
        "still_short_in",
        "flags",
        "reason",
    ]
]
not_judged = pd.DataFrame(
    {
        "engineer_id": unjudged["engineer_id"],
        "person": unjudged["engineer_id"].map(who.person),
        "team": unjudged["team"],
        "manager_id": unjudged["manager_id"],
        "manager_name": unjudged["manager_name"],
        "flags": "—",
        "reason": [
            f"Not judged in {month}: {formats.not_judged(r).lower()}"
            for r in unjudged["not_judged_because"]
        ],
    }
)
export = pd.concat([judged, not_judged], ignore_index=True).merge(
    wide, on="engineer_id", how="left"
)
# Managers as the page shows them (a letter when anonymised), in the frame handed on.
export.insert(
    export.columns.get_loc("manager_id"),
    "manager",
    [who.manager(m, n) for m, n in zip(export["manager_id"], export["manager_name"], strict=True)],
)
export = export.drop(columns=["manager_id", "manager_name"])
page.download(
    who.whole(export),
    f"Download everyone at {level} as CSV",
    f"calibration-{level}",
    key="download_calibration",
)
