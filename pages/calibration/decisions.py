"""Calibration worksheet: each person's manager proposes an outcome, the meeting calibrates it.

For one cycle and one level: everyone in view with their flags and reason, the current proposal
and the calibrated outcome from the journal, editable where the viewer may (a manager proposes
for their people; leadership calibrates). Each saved cell is one journal entry, validated like
decisions.csv and frozen with a snapshot of what the room saw. Below, the outcomes against the
framework's guideline and every change made in the cycle. Anonymise hides names everywhere here;
the decisions stay attached to the person's id, which the page never shows.
"""

import dataclasses
from datetime import date

import pandas as pd
import streamlit as st

from pipelines.journal import entries
from pipelines.journal.store import JournalError, open_journal
from pipelines.journal.validate import decision_problems
from rungs_ui import charts, documentation, identity, navigation, outcomes, page, queries
from rungs_ui.queries import Filters
from rungs_ui.snapshot import take_snapshot

CYCLE_KEY = "worksheet_cycle"
LEVEL_KEY = "worksheet_level"
# One token per save attempt (the journal's idempotency key is built from it) and the editor's
# generation: a new editor after a clean save, so its cells show the journal again.
TOKEN_KEY = "worksheet_attempt"
EDITOR_GENERATION = "worksheet_editor"
SAVED_MESSAGE = "worksheet_saved"
# The editor's stage columns: the outcome, its rationale, and who saved it when.
STAGE_COLUMNS = {
    "proposed": ("proposed", "proposed_rationale", "proposed_by"),
    "calibrated": ("calibrated", "calibrated_rationale", "calibrated_by"),
}
WORD_OUTCOME = {words: outcome for outcome, words in entries.OUTCOME_WORDS.items()}

ctx = page.context()
page.header(ctx)
page.require(ctx, "readiness")
f, fw, wh, scope = ctx.filters, ctx.fw, ctx.wh, ctx.scope
who = identity.current()
journal = open_journal()
today = date.today()

flash = st.session_state.pop(SAVED_MESSAGE, None)
if flash:
    st.success(flash, icon=":material/check_circle:")

# --- the cycle and the level --------------------------------------------------------------------

# Both choices live in the URL, so a link to the worksheet opens the same cycle and level.
this_cycle = entries.cycle_of(today)
cycle_options = sorted({this_cycle, *entries.cycles(journal)}, reverse=True)
if st.session_state.get(CYCLE_KEY) not in cycle_options:
    st.session_state.pop(CYCLE_KEY, None)
if st.session_state.get(LEVEL_KEY) not in fw.levels:
    st.session_state.pop(LEVEL_KEY, None)
# By default the level with the most people flagged in view: where the meeting has most to say.
everyone_in_view = queries.readiness_at(wh, f)
flagged = everyone_in_view.loc[everyone_in_view.apply(page.flags_of, axis=1).map(len) > 0]
counts = flagged["level"].value_counts()
if counts.empty:
    counts = queries.level_distribution(wh, f).set_index("level")["engineers"]
busiest = fw.levels.index(counts.idxmax()) if not counts.empty else 0
controls = st.columns([1, 1, 3])
cycle = controls[0].selectbox(
    "Cycle",
    cycle_options,
    index=cycle_options.index(this_cycle),
    key=CYCLE_KEY,
    bind="query-params",
    help="Half years; the current one is today's.",
)
level = controls[1].selectbox("Level", fw.levels, index=busiest, key=LEVEL_KEY, bind="query-params")

# Evidence documentation first (issue 15): a thin record is a reason to read a case with care.
# Counts only, for the roles that see the Fairness page it points to.
if scope.role in navigation.ORG_ROLES and wh.has("evidence"):
    before = documentation.sentence(
        *documentation.managers_below(wh, wh.build_id, f.month, scope.min_aggregate_people)
    )
    if before:
        with st.container(border=True):
            st.markdown(before)
            st.page_link(
                "pages/policy/fairness.py",
                label="Evidence by manager on the Fairness page",
                icon=":material/diversity_3:",
                # The room's view travels with it: presentation mode, Anonymise, the month.
                query_params=identity.view_params(st.query_params),
            )

at_level = dataclasses.replace(f, levels=(level,))
people = queries.roster(wh, at_level)
if people.empty:
    st.info(
        f"Nobody in view held {page.text(level)} in {page.month_label(f.month)}. Pick another "
        "level, or widen the sidebar filters."
    )
    st.stop()
ids = people["engineer_id"].tolist()
label = {e: who.person(e) for e in ids}
who.small_group(len(ids))

readiness = queries.readiness_at(wh, at_level).set_index("engineer_id")
# Own proposals hidden, outsiders' names blanked (rungs_ui.outcomes, shared with Calibration).
current = outcomes.current_at(wh, journal, cycle, ids, scope)
recorded = {(r["engineer_id"], r["stage"]): r for r in current.to_dict("records")}


# --- who saved what -----------------------------------------------------------------------------

# Recorders are named only when the viewer may see them: as they are shown elsewhere (a letter
# when anonymised), "you", or an email for a viewer who sees everyone; else "a colleague".
everyone_then = queries.roster(wh, Filters(month=f.month))
by_email = dict(zip(everyone_then["email"].str.lower(), everyone_then["engineer_id"], strict=True))


def recorder(email: object) -> str:
    email = str(email or "")
    if email == scope.viewer:
        return "you"
    if email.lower() in by_email:
        return who.person(by_email[email.lower()])
    if email == entries.LOCAL:
        return "local mode"
    return email if scope.everyone and not who.anonymised else "a colleague"


def when(value: object) -> str:
    if value is None or pd.isna(value):
        return ""
    moment = pd.Timestamp(value)
    return moment.strftime("%b %Y") if who.anonymised else moment.strftime("%-d %b %Y %H:%M")


# --- the worksheet ------------------------------------------------------------------------------


def cell(value: object) -> object:
    """An editor cell with every kind of blank (None, NaN, NaT, empty text) as None."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, str):
        return value.strip() or None
    return value


def flags_and_reason(engineer_id: str) -> tuple[str, str]:
    if engineer_id not in readiness.index:
        return "—", f"{page.month_label(f.month)} not judged, so no flag."
    row = readiness.loc[engineer_id]
    flags = ", ".join(page.FLAGS_SHORT[name] for name in page.flags_of(row)) or "—"
    return flags, str(who.scrub(row.get("reason") or ""))


def sheet_row(engineer_id: str) -> dict:
    flags, reason = flags_and_reason(engineer_id)
    row = {"person": label[engineer_id], "flags": flags, "reason": reason}
    promotion = None
    for stage, (outcome_col, rationale_col, by_col) in STAGE_COLUMNS.items():
        entry = recorded.get((engineer_id, stage))
        if entry is None:
            # Blank text, not None: the editor writes a missing value as a grey "None".
            row |= {outcome_col: "", rationale_col: "", by_col: ""}
            continue
        row |= {
            outcome_col: entries.OUTCOME_WORDS[entry["outcome"]],
            rationale_col: cell(who.scrub(cell(entry["rationale"]))) or "",
            by_col: f"{recorder(entry['recorded_by'])} · {when(entry['recorded_at'])}",
        }
        if entry["outcome"] == "promotion":
            promotion = entry  # the calibrated one wins: it comes second
    row["to_level"] = cell(promotion["to_level"]) if promotion else None
    effective = cell(promotion["effective_on"]) if promotion else None
    row["effective_on"] = date.fromisoformat(effective) if effective else None
    return row


def order_key(engineer_id: str) -> tuple[bool, str]:
    flagged = engineer_id in readiness.index and bool(page.flags_of(readiness.loc[engineer_id]))
    return (not flagged, label[engineer_id])


ids = sorted(ids, key=order_key)
sheet = pd.DataFrame([sheet_row(e) for e in ids])  # row i is ids[i]; no id is ever shown

may_calibrate = scope.may_calibrate()
may_propose_any = any(scope.may_propose(e) for e in ids)
editable = may_calibrate or may_propose_any
outcome_words = list(entries.OUTCOME_WORDS.values())
next_month = (pd.Timestamp(today) + pd.offsets.MonthBegin(1)).date()

column_config = {
    "person": st.column_config.TextColumn("Person", pinned=True, disabled=True),
    "flags": st.column_config.TextColumn("Flags", disabled=True),
    "reason": st.column_config.TextColumn("Reason", width="medium", disabled=True),
    "proposed": st.column_config.SelectboxColumn(
        "Proposed",
        options=outcome_words,
        help="The manager's proposal; blank = nothing proposed (clearing it withdraws one).",
        disabled=not may_propose_any,
    ),
    "proposed_rationale": st.column_config.TextColumn(
        "Why (proposal)", disabled=not may_propose_any, width="medium"
    ),
    "calibrated": st.column_config.SelectboxColumn(
        "Calibrated",
        options=outcome_words,
        help="What the meeting decided; blank = not decided yet. Needs a rationale.",
        disabled=not may_calibrate,
    ),
    "calibrated_rationale": st.column_config.TextColumn(
        "Why (meeting)", disabled=not may_calibrate, width="medium"
    ),
    "to_level": st.column_config.SelectboxColumn(
        "Promote to",
        options=list(fw.levels),
        help=f"For a promotion; blank = the next level. Default {fw.next_level(level) or '—'}.",
        disabled=not editable,
    ),
    "effective_on": st.column_config.DateColumn(
        "Effective",
        format="D MMM YYYY",
        help=f"For a promotion; blank = the first of next month ({next_month:%-d %b %Y}).",
        disabled=not editable,
    ),
    "proposed_by": st.column_config.TextColumn("Proposal saved", disabled=True),
    "calibrated_by": st.column_config.TextColumn("Decision saved", disabled=True),
}
order = list(column_config)

st.subheader(f"{len(ids)} at {page.text(level)} · cycle {cycle}")


def changed_stages(before: pd.DataFrame, after: pd.DataFrame) -> list[tuple[int, str]]:
    """(row, stage) pairs whose outcome, rationale or promotion details the user changed."""
    found = []
    for i in range(len(before)):
        old, new = before.iloc[i], after.iloc[i]

        def differs(column: str, old=old, new=new) -> bool:
            return cell(old[column]) != cell(new[column])

        details = differs("to_level") or differs("effective_on")
        for stage, (outcome_col, rationale_col, _) in STAGE_COLUMNS.items():
            promoting = cell(new[outcome_col]) == entries.OUTCOME_WORDS["promotion"]
            if differs(outcome_col) or differs(rationale_col) or (details and promoting):
                found.append((i, stage))
    return found


def save(before: pd.DataFrame, after: pd.DataFrame) -> None:
    token = st.session_state.setdefault(TOKEN_KEY, entries.new_key())
    problems: list[str] = []
    try:
        saved = save_cells(before, after, token, problems)
    except JournalError as exc:
        # Cells saved before the failure keep their keys: a new token, so that a changed cell
        # saved again is written rather than taken for a retry of what is already there.
        st.session_state[TOKEN_KEY] = entries.new_key()
        st.error(f"Saving stopped: {exc}", icon=":material/error:")
        return
    if saved:
        # A new token for the next attempt: this one's keys are spent.
        st.session_state[TOKEN_KEY] = entries.new_key()
    if problems:
        st.error(
            f"Saved {saved}; not saved, fix and save again:\n\n"
            + "\n".join(f"- {p}" for p in problems),
            icon=":material/error:",
        )
        return
    st.session_state[SAVED_MESSAGE] = (
        f"Saved {saved} {'change' if saved == 1 else 'changes'} to cycle {cycle}."
        if saved
        else "Nothing had changed, so nothing was saved."
    )
    st.session_state[EDITOR_GENERATION] = st.session_state.get(EDITOR_GENERATION, 0) + 1
    st.rerun()


def save_cells(before: pd.DataFrame, after: pd.DataFrame, token: str, problems: list[str]) -> int:
    """Validate and write each changed cell; how many were written. Problems are appended."""
    saved = 0
    for i, stage in changed_stages(before, after):
        engineer_id, row = ids[i], after.iloc[i]
        outcome_col, rationale_col, _ = STAGE_COLUMNS[stage]
        words = cell(row[outcome_col])
        rationale = cell(row[rationale_col]) or ""
        kept = recorded.get((engineer_id, stage))
        if kept is not None and rationale == (cell(before.iloc[i][rationale_col]) or ""):
            # Untouched: the stored words, not the scrubbed ones Anonymise put in the cell.
            rationale = kept["rationale"] or ""
        heading = f"**{page.text(label[engineer_id])}** ({entries.STAGE_WORDS[stage].lower()})"
        allowed = (
            scope.may_calibrate(engineer_id)
            if stage == "calibrated"
            else scope.may_propose(engineer_id)
        )
        if not allowed:
            problems.append(
                f"{heading}: you may not record this"
                + (
                    "; the calibrated outcome is recorded by leadership, never about oneself."
                    if stage == "calibrated"
                    else "; a proposal is made by the person's manager, not for oneself."
                )
            )
            continue
        key = f"{token}:{engineer_id}:{stage}"
        if not words:
            if (engineer_id, stage) not in recorded:
                problems.append(f"{heading}: pick an outcome before writing why.")
                continue
            # Who withdrew it is the row's recorded_by; the reason carries no identity.
            reason = rationale or "withdrawn in the worksheet"
            result = entries.remove_decision(
                journal, cycle, engineer_id, stage, who=scope.viewer, reason=reason, key=key
            )
            saved += int(result.written)
            continue
        outcome = WORD_OUTCOME[words]
        promoting = outcome == "promotion"
        effective = cell(row["effective_on"])
        draft = entries.DecisionDraft(
            cycle=cycle,
            engineer_id=engineer_id,
            stage=stage,
            outcome=outcome,
            decided_on=today,
            rationale=rationale or None,
            to_level=(cell(row["to_level"]) or fw.next_level(level)) if promoting else None,
            effective_on=(
                (pd.Timestamp(effective).date() if effective is not None else next_month)
                if promoting
                else None
            ),
        )
        found = decision_problems(draft, fw)
        if found:
            problems += [f"{heading}: {page.text(p)}" for p in found]
            continue
        result = entries.record_decision(
            journal,
            draft,
            who=scope.viewer,
            key=key,
            snapshot=take_snapshot(wh, engineer_id, f.month),
        )
        saved += int(result.written)
    return saved


# Every row on screen up to this many; a longer worksheet scrolls inside itself.
ALL_ROWS_UP_TO = 25
if ctx.present or not editable:
    # On a shared screen the room reads a static table in large type, editing one click away:
    # fewer columns, a promotion's level and date beside its outcome.
    shown, shown_order = sheet, order
    if ctx.present:
        promoting = sheet["to_level"].fillna("").ne("")
        target = (
            " → "
            + sheet["to_level"].fillna("")
            + sheet["effective_on"].map(lambda d: f" from {who.date(d)}" if d else "")
        ).where(promoting, "")
        promote = entries.OUTCOME_WORDS["promotion"]
        shown = sheet.assign(
            **{
                stage: sheet[stage].where(sheet[stage] != promote, promote + target)
                for stage in ("proposed", "calibrated")
            }
        )
        shown_order = [c for c in order if c not in ("to_level", "effective_on")]
        shown_order = [c for c in shown_order if not c.endswith("_by")]
    page.table(ctx, shown, column_config=column_config, column_order=shown_order)
if not editable:
    st.caption(
        f"Read only: your role ({page.text(scope.role)}) may read proposals and decisions but "
        "not record them. Managers propose; leadership records the calibrated outcome."
    )
elif ctx.present and not st.toggle(
    "Record proposals and outcomes",
    key="worksheet_editing",
    help="Opens the editable table under the large one; the room keeps reading above it.",
):
    # The shared screen stays static (large type, nothing to scroll) until someone records.
    pass
else:
    with st.form("worksheet", border=False):
        edited = st.data_editor(
            sheet,
            column_config=column_config,
            column_order=order,
            hide_index=True,
            num_rows="fixed",
            # A person with no promotion has no target level or date: an empty cell, not "None".
            placeholder="",
            width="stretch",
            height="content" if len(sheet) <= ALL_ROWS_UP_TO else "auto",
            key=f"worksheet_editor_{st.session_state.get(EDITOR_GENERATION, 0)}",
        )
        submitted = st.form_submit_button("Save changes", type="primary", icon=":material/save:")
    what = []
    if may_propose_any:
        what.append("propose for the people you manage")
    if may_calibrate:
        what.append("record the meeting's calibrated outcome (with a rationale)")
    st.caption(
        f"You may {' and '.join(what)}. Only the cells you change are saved, each with a "
        "snapshot of what this page shows for the person now. A promotion takes the next "
        "level and the first of next month unless you set them."
    )
    if submitted:
        save(sheet, edited)


# --- the distribution ---------------------------------------------------------------------------

st.subheader("Outcomes against the guideline")
counts = outcomes.counts(current)
share = outcomes.guideline_share(fw)
if counts.empty:
    st.caption(f"Nothing proposed or calibrated at {page.text(level)} in {cycle} yet.")
else:
    page.chart(
        ctx,
        charts.outcome_distribution(
            counts, outcome_words, share * len(ids) if share is not None else None
        ),
    )
st.caption(outcomes.sentence(counts, len(ids), page.text(level), share))

if not current.empty:
    team_of = dict(zip(people["engineer_id"], people["team"], strict=True))
    by_team = (
        current.assign(
            team=current["engineer_id"].map(team_of),
            outcome=current["outcome"].map(entries.OUTCOME_WORDS),
            stage=current["stage"].map(entries.STAGE_WORDS),
            rank=current["outcome"].map(list(entries.OUTCOME_WORDS).index),
        )
        .groupby(["team", "stage", "outcome", "rank"])
        .size()
        .rename("people")
        .reset_index()
    )
    st.markdown(f"**Per team, at {page.text(level)}**")
    page.chart(ctx, charts.outcomes_by_team(by_team, outcome_words))


# --- who changed what ---------------------------------------------------------------------------

st.subheader("Changes in this cycle")
history = entries.decision_history(journal, cycle)
history = history.loc[history["engineer_id"].isin(ids)]
history = history.loc[
    ~(history["engineer_id"].isin(scope.self_ids) & (history["stage"] == "proposed"))
]
history = queries.scrubbed_of_outsiders(
    wh, history.reset_index(drop=True), "rationale", "removal_reason"
)
if history.empty:
    st.caption(f"No proposal or decision recorded at {page.text(level)} in {cycle} yet.")
else:
    # "From" is the version before, of the same person and stage (history is newest first).
    chain = history.iloc[::-1].copy()
    chain["now"] = chain["outcome"].map(entries.OUTCOME_WORDS).where(~chain["removed"], "withdrawn")
    chain["before"] = chain.groupby(["engineer_id", "stage"])["now"].shift().fillna("—")
    chain.loc[chain["before"] == "withdrawn", "before"] = "—"
    log = pd.DataFrame(
        {
            "when": chain["recorded_at"].map(when),
            "who": chain["recorded_by"].map(recorder),
            "person": chain["engineer_id"].map(label),
            "stage": chain["stage"].map(entries.STAGE_WORDS),
            "before": chain["before"],
            "after": chain["now"],
            "why": [
                who.scrub(r if removed else n) or ""
                for r, n, removed in zip(
                    chain["removal_reason"], chain["rationale"], chain["removed"], strict=True
                )
            ],
        }
    ).iloc[::-1]
    page.table(
        ctx,
        log,
        column_config={
            "when": "When",
            "who": "Who",
            "person": "Person",
            "stage": "Stage",
            "before": "From",
            "after": "To",
            "why": st.column_config.TextColumn("Rationale", width="large"),
        },
    )
    st.caption(f"Every save at {page.text(level)} in {cycle}, newest first; nothing is erased.")
