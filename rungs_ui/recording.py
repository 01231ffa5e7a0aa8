"""What the forms that write the journal share: the name an entry is saved under, the
idempotency key of one save attempt, who may record and what the page tells everyone else, and
the evidence form itself (the Evidence page and the Engineer page show the same one).

The journal (pipelines.journal) stores what it is given; every check of who may write what
happens here, at save time, against the scope of the run that saves: the options a form
offered were computed earlier, and a stale session or a crafted rerun must not write.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, replace
from datetime import date

import pandas as pd
import streamlit as st

from pipelines.access import Scope
from pipelines.access.scope import CALIBRATING_ROLES
from pipelines.journal import entries
from pipelines.journal.store import JournalError, open_journal
from pipelines.journal.validate import evidence_problems
from pipelines.tables import EVIDENCE_KINDS, EVIDENCE_SOURCES
from rungs_ui import identity, page
from rungs_ui.queries import FrameworkView

SELF = "self"
# What someone records about another person comes from one of these; "self" is what an
# engineer records about themselves, and only that.
OTHERS_SOURCES = tuple(s for s in EVIDENCE_SOURCES if s != SELF)
KIND_WORDS = {
    "example": "Example: shows the level",
    "concern": "Concern: falls short of it",
}
SAVED = "Saved. It counts from the next build; until then it shows here as not yet in a build."
ALREADY_SAVED = (
    "Already saved: this exact entry was saved a moment ago (a second click, or a retried "
    "save), so it was not written twice."
)
SUMMARY_MAX = 500

_ATTEMPT = "_rungs_attempt_{}"
_LAST_SAVED = "_rungs_last_saved_{}"
_FLASH = "_rungs_saved_message_{}"
_GENERATION = "_rungs_form_generation_{}"


# --- who ------------------------------------------------------------------------------------


def viewer(scope: Scope) -> str:
    """Who the journal says saved an entry: the signed-in email, or "local" in local mode."""
    return scope.viewer or entries.LOCAL


def may_record_any(scope: Scope) -> bool:
    """Whether this viewer may record evidence about anyone at all (the form is shown)."""
    if scope.read_only:
        return False
    if scope.everyone or scope.people - scope.self_ids:
        return True
    return scope.self_evidence


def who_may_record(scope: Scope) -> str:
    """Why there is no form, and who records evidence instead."""
    if scope.read_only:
        return (
            "People partners read evidence and do not record it: managers record it about "
            "their reports, leadership and admins about anyone."
        )
    if scope.self_ids and scope.self_ids >= scope.people and not scope.self_evidence:
        return (
            "Evidence about you is recorded by your manager (or leadership). Recording it "
            "about yourself is off; an admin turns it on with self_evidence = true under "
            "[journal] in the access file."
        )
    return (
        "Managers record evidence about the people in their view, leadership and admins about "
        "anyone, engineers about themselves where the access file allows ([journal] "
        "self_evidence)."
    )


def refusal(scope: Scope, engineer_id: str, in_view: set[str]) -> str | None:
    """Why `scope` may not record about `engineer_id` now; None when it may. `in_view`: the
    people the page lists this run (a person the filters leave out is refused too)."""
    if scope.read_only:
        return (
            "You read only (people partner), so nothing was saved. Ask the person's manager "
            "to record it."
        )
    if engineer_id not in in_view or not scope.allows(engineer_id):
        return (
            "This person is not among the people you may record evidence about this month "
            "(outside your view, or left out by the sidebar filters), so nothing was saved. "
            "Pick someone from the list, or widen the filters."
        )
    if not scope.may_record_evidence(engineer_id):
        return (
            "Recording evidence about yourself is off, so nothing was saved. Ask your manager "
            "to record it, or an admin to set self_evidence = true under [journal] in the "
            "access file."
        )
    return None


def may_change(scope: Scope, engineer_id: str, authors: set[str]) -> bool:
    """Whether `scope` may correct or remove an app entry about `engineer_id` that `authors`
    saved: its author, or leadership and admins, and only about someone they may record on."""
    if not scope.may_record_evidence(engineer_id):
        return False
    return scope.role in CALIBRATING_ROLES or viewer(scope) in authors


# --- one save attempt -----------------------------------------------------------------------


def attempt_key(form: str, content: dict) -> str:
    """The idempotency key of this save: one token per attempt, kept in the session until a
    save succeeds, so a retried save (the first one's answer lost) writes nothing twice. The
    content saved last by this form keeps its key, so a double-click that lands after the
    first save finished is recognised too."""
    last = st.session_state.get(_LAST_SAVED.format(form))
    if last is not None and last[0] == _fingerprint(content):
        return last[1]
    token = _ATTEMPT.format(form)
    if token not in st.session_state:
        st.session_state[token] = entries.new_key()
    return st.session_state[token]


def saved(form: str, content: dict, key: str, message: str) -> None:
    """After a save: the next attempt gets a new token, and `message` is shown on the run
    that follows (the page reruns to show the entry at once)."""
    st.session_state[_LAST_SAVED.format(form)] = (_fingerprint(content), key)
    st.session_state[_ATTEMPT.format(form)] = entries.new_key()
    st.session_state[_FLASH.format(form)] = message
    _next_inputs(form)


def show_saved_message(form: str) -> None:
    message = st.session_state.pop(_FLASH.format(form), None)
    if message:
        st.success(message, icon=":material/check_circle:")


def _fingerprint(content: dict) -> str:
    return hashlib.sha256(repr(sorted(content.items())).encode()).hexdigest()


def show_problems(problems: list[str]) -> None:
    st.error(
        "Nothing was saved:\n"
        + "\n".join(f"- {page.text(p[:1].upper() + p[1:])}." for p in problems),
        icon=":material/error:",
    )


# --- the evidence form ----------------------------------------------------------------------


def pick_person(form: str, recordable: list[str], labels: dict[str, str]) -> str:
    """The person to record about. A choice kept from earlier that is no longer someone this
    viewer may record about stays listed, marked, so the save is refused with the reason
    rather than silently landing on someone else."""
    key = f"{form}_person"
    options = list(recordable)
    kept = st.session_state.get(key)
    if kept is not None and kept not in options:
        options.append(kept)

    who = identity.current()
    shown = {
        e: labels.get(e, who.person(e))
        if e in recordable
        else f"{labels.get(e, who.person(e))} (not yours to record about)"
        for e in options
    }
    return st.selectbox("Record evidence about", options, key=key, format_func=shown.get)


def evidence_form(
    scope: Scope,
    fw: FrameworkView,
    form: str,
    engineer_id: str,
    level: str | None,
    in_view: set[str],
    month: date,
) -> None:
    """Record one observed example or concern about `engineer_id` (whose current level is
    the default level). Validated like evidence.csv, refused for anyone outside `scope`."""
    show_saved_message(form)
    about_self = engineer_id in scope.self_ids
    with st.form(f"{form}_form", border=True):
        values = _fields(inputs_prefix(form, engineer_id), fw, about_self, {"level": level})
        submitted = st.form_submit_button(
            "Save evidence", type="primary", icon=":material/save:", key=f"{form}_save"
        )
    if submitted:
        draft = entries.EvidenceDraft(engineer_id=engineer_id, **values)
        save_evidence(scope, fw, form, draft, in_view, month=month)


def _fields(prefix: str, fw: FrameworkView, about_self: bool, initial: dict) -> dict:
    """The form's inputs (`initial`: an entry being corrected, or the defaults)."""

    def index(options, value, default=0) -> int:
        return list(options).index(value) if value in options else default

    left, right = st.columns(2)
    category = left.selectbox(
        "Category",
        fw.categories,
        index=index(fw.categories, initial.get("category")),
        key=f"{prefix}_category",
    )
    level = right.selectbox(
        "Level it is typical of",
        fw.levels,
        index=index(fw.levels, initial.get("level")),
        key=f"{prefix}_level",
        help="The person's current level unless you pick another.",
    )
    kind = left.radio(
        "Kind",
        EVIDENCE_KINDS,
        index=index(EVIDENCE_KINDS, initial.get("kind")),
        format_func=KIND_WORDS.get,
        horizontal=True,
        key=f"{prefix}_kind",
    )
    today = date.today()
    observed = initial.get("observed_on")
    observed_on = right.date_input(
        "Observed on",
        value=pd.Timestamp(observed).date() if observed else today,
        max_value=today,
        format="YYYY-MM-DD",
        key=f"{prefix}_observed_on",
    )
    summary = st.text_area(
        "What was observed",
        value=_text(initial.get("summary")),
        max_chars=SUMMARY_MAX,
        height=80,
        placeholder="One or two sentences: what happened, and what it shows",
        key=f"{prefix}_summary",
    )
    left, right = st.columns(2)
    link = left.text_input(
        "Link (optional)",
        value=_text(initial.get("link")),
        placeholder="https://… a ticket, doc or review",
        key=f"{prefix}_link",
    )
    if about_self:
        source = right.selectbox(
            "Source",
            (SELF,),
            disabled=True,
            key=f"{prefix}_source_self",
            help="Evidence you record about yourself is marked as self-reported.",
        )
    else:
        source = right.selectbox(
            "Source",
            OTHERS_SOURCES,
            index=index(OTHERS_SOURCES, initial.get("source")),
            key=f"{prefix}_source",
            help="Who reported it.",
        )
    return {
        "observed_on": observed_on,
        "category": category,
        "level": level,
        "kind": kind,
        "summary": summary,
        "link": link.strip() or None,
        "source": source,
    }


def _text(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def save_evidence(
    scope: Scope,
    fw: FrameworkView,
    form: str,
    draft: entries.EvidenceDraft,
    in_view: set[str],
    evidence_id: str | None = None,
    month: date | None = None,
) -> bool:
    """Check `draft` (scope, source, the contract's rules) and save it, a new item or a new
    version of `evidence_id`; on success rerun so the page shows it. Nothing is written when
    anything is wrong: each problem is shown in the loader's words."""
    draft = replace(draft, summary=draft.summary.strip())
    problems = []
    refused = refusal(scope, draft.engineer_id, in_view)
    if refused:
        problems.append(refused)
    about_self = draft.engineer_id in scope.self_ids
    if about_self and draft.source != SELF:
        draft = replace(draft, source=SELF)  # what one says about oneself is self-reported
    elif not about_self and draft.source == SELF:
        problems.append(
            f"source self is only for evidence about yourself; pick {', '.join(OTHERS_SOURCES)}"
        )
    problems += evidence_problems(draft, fw, recorded_by=viewer(scope))
    if problems:
        show_problems(problems)
        return False
    content = asdict(draft) | {"who": viewer(scope), "evidence_id": evidence_id}
    key = attempt_key(form, content)
    try:
        result = entries.record_evidence(
            open_journal(), draft, who=viewer(scope), key=key, evidence_id=evidence_id
        )
    except JournalError as exc:
        st.error(page.text(str(exc)), icon=":material/error:")
        return False
    message = SAVED if result.written else ALREADY_SAVED
    if month is not None and pd.Timestamp(draft.observed_on) > _month_end(month):
        message += (
            f" It was observed after {page.month_label(month)}, the month in view, so the "
            "evidence tables show it once the view reaches its month."
        )
    saved(form, content, key, message)
    st.rerun()
    return True


def remove_entry(
    scope: Scope, form: str, evidence_id: str, engineer_id: str, authors: set[str], reason: str
) -> bool:
    """Withdraw an app entry with its reason (a tombstone: the journal keeps both)."""
    if not may_change(scope, engineer_id, authors):
        show_problems(
            [
                "only whoever recorded this entry, or leadership and admins, may remove it, "
                "and only about someone in their view"
            ]
        )
        return False
    if not reason.strip():
        show_problems(["a removal needs its reason; say in a few words why it no longer holds"])
        return False
    content = {"remove": evidence_id, "reason": reason.strip(), "who": viewer(scope)}
    key = attempt_key(form, content)
    try:
        entries.remove_evidence(
            open_journal(), evidence_id, who=viewer(scope), reason=reason, key=key
        )
    except (JournalError, KeyError) as exc:
        st.error(page.text(str(exc)), icon=":material/error:")
        return False
    saved(form, content, key, "Removed. The reason is kept; it stops counting from the next build.")
    st.rerun()
    return True


def _month_end(month: date) -> pd.Timestamp:
    return pd.Timestamp(month) + pd.offsets.MonthEnd(0)


def inputs_prefix(form: str, subject: str) -> str:
    """The start of the keys of a form's inputs about `subject` (a person, an entry). It
    changes after each save, so the browser draws empty inputs for the next entry rather
    than send back the text just saved."""
    generation = st.session_state.get(_GENERATION.format(form), 0)
    return f"{form}{generation or ''}_{subject}"


def _next_inputs(form: str) -> None:
    key = _GENERATION.format(form)
    st.session_state[key] = st.session_state.get(key, 0) + 1


# --- correcting and removing ----------------------------------------------------------------


def recent_entries(
    scope: Scope,
    fw: FrameworkView,
    app: pd.DataFrame,
    labels: dict[str, str],
    in_view: set[str],
    limit: int,
) -> None:
    """The viewer's latest entries recorded in the app (every entry in view for leadership
    and admins), each to correct (a new version) or remove with a reason (a tombstone)."""
    wide = scope.role in CALIBRATING_ROLES
    st.subheader("Recent entries recorded in the app" if wide else "Your recent entries")
    who = identity.current()
    if who.anonymised:
        st.caption("Hidden while Anonymise is on: correcting an entry shows its words as written.")
        return
    form = "rec_fix"
    show_saved_message(form)
    current = app.loc[~app["removed"].astype(bool)] if not app.empty else app
    if not wide and not current.empty:
        current = current.loc[current["recorded_by"] == viewer(scope)]
    current = current.sort_values("recorded_at", ascending=False).head(limit)
    if current.empty:
        st.caption(
            "Nothing recorded in the app about the people in view yet"
            + ("." if wide else " by you.")
            + " What you save above shows here, to correct or remove."
        )
        return
    rows = {row["evidence_id"]: row for _, row in current.iterrows()}

    def label(evidence_id: str) -> str:
        row = rows[evidence_id]
        summary = str(row["summary"])
        short = summary if len(summary) <= 60 else summary[:59] + "…"
        return (
            f"{who.date(row['observed_on'])} · {labels.get(row['engineer_id'], 'Someone')} · "
            f"{row['category']} {row['level']} · {short}"
        )

    # A newly saved entry (here or in the form above) is the one picked, to check it at once.
    newest, seen = next(iter(rows)), f"{form}_newest"
    if st.session_state.get(seen) != newest or st.session_state.get(f"{form}_entry") not in rows:
        st.session_state[f"{form}_entry"] = newest
        st.session_state[seen] = newest
    evidence_id = st.selectbox("Entry", list(rows), format_func=label, key=f"{form}_entry")
    row = rows[evidence_id]
    saver = row["recorded_by"]
    st.caption(
        f"Version {int(row['version'])}, saved "
        + ("in local mode" if saver == entries.LOCAL else f"by {page.text(saver)}")
        + f" on {who.date(row['recorded_at'])}."
    )
    correct, remove = st.tabs(["Correct it", "Remove it"])
    with correct, st.form(f"{form}_correct", border=True):
        values = _fields(
            inputs_prefix(form, evidence_id),
            fw,
            row["engineer_id"] in scope.self_ids,
            row.to_dict(),
        )
        if st.form_submit_button("Save the correction", icon=":material/edit:", key=f"{form}_save"):
            draft = entries.EvidenceDraft(engineer_id=row["engineer_id"], **values)
            if _may_change_entry(scope, row):
                save_evidence(scope, fw, form, draft, in_view, evidence_id=evidence_id)
    with remove, st.form(f"{form}_remove", border=True):
        reason = st.text_input(
            "Why it no longer holds",
            key=f"{inputs_prefix(form, evidence_id)}_reason",
            placeholder="Recorded about the wrong person; a duplicate; …",
        )
        if st.form_submit_button("Remove it", icon=":material/delete:", key=f"{form}_drop"):
            authors = _authors(evidence_id)
            if authors is not None:
                remove_entry(scope, form, evidence_id, row["engineer_id"], authors, reason)


def _authors(evidence_id: str) -> set[str] | None:
    """Everyone who saved a version of the item; None (said on the page) if unreadable."""
    try:
        history = entries.evidence_history(open_journal(), evidence_id)
    except JournalError as exc:
        st.error(page.text(str(exc)), icon=":material/error:")
        return None
    return set(history["recorded_by"]) if not history.empty else set()


def _may_change_entry(scope: Scope, row: pd.Series) -> bool:
    authors = _authors(row["evidence_id"])
    if authors is None:
        return False
    if not may_change(scope, row["engineer_id"], authors):
        show_problems(
            [
                "only whoever recorded this entry, or leadership and admins, may correct it, "
                "and only about someone in their view"
            ]
        )
        return False
    return True
