"""Evidence recorded in the app, shown the moment it is saved.

The warehouse holds what the last build read, the journal's entries included (origin 'app').
Anything saved since is only in the journal: these functions lay the journal's current
versions over the warehouse's rows for the same people and months, so a page shows
- items the build has not read yet, marked "not yet in a build";
- items corrected since the build, in their corrected words, marked so;
- nothing of items removed since the build (the tombstone hides them at once).

Journal rows go through the query layer's scrub like the warehouse's: who recorded an item,
and names in its text, are blanked when they are someone the viewer may not see.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from pipelines.access import Scope
from pipelines.journal import entries
from pipelines.journal.store import JournalError, open_journal
from rungs_ui import queries
from rungs_ui.warehouse import Warehouse

APP = "app"
FILE = "evidence.csv"
# What a correction can change, and so what tells a corrected item from its built version.
CONTENT = ("observed_on", "category", "level", "kind", "summary", "link", "source")
# Columns the query layer scrubs of out-of-view names in evidence rows.
SCRUBBED = ("summary", "link", "source", "recorded_by")
# Where an item stands against the build the page reads.
NEW, CHANGED = "new", "changed"
RECORDED = "recorded"


def app_evidence() -> pd.DataFrame | None:
    """The current version of every item recorded in the app (removed ones included, to hide
    what the build still has); None, with a warning, when the journal cannot be read."""
    try:
        return entries.evidence(open_journal(), include_removed=True)
    except JournalError as exc:
        st.warning(
            f"Evidence recorded in the app cannot be shown: {exc}", icon=":material/warning:"
        )
        return None


def about(wh: Warehouse, app: pd.DataFrame | None, people: pd.DataFrame) -> pd.DataFrame:
    """The app entries about `people` (engineer_id, with name and team when given), scrubbed
    as the query layer scrubs evidence, whenever they were observed."""
    if app is None or app.empty:
        return pd.DataFrame(columns=[*entries.EVIDENCE_COLUMNS, *entries.ENTRY_COLUMNS])
    app = app.loc[app["engineer_id"].isin(set(people["engineer_id"]))].copy()
    app["observed_on"] = pd.to_datetime(app["observed_on"])
    extra = [c for c in ("name", "team") if c in people.columns]
    if extra:
        app = app.merge(people[["engineer_id", *extra]], on="engineer_id", how="left")
    return queries.scrubbed_of_outsiders(wh, app.reset_index(drop=True), *SCRUBBED)


def up_to(app: pd.DataFrame, month: date, newest: date | None) -> pd.DataFrame:
    """The entries a view of `month` shows: those observed by its end, the bound every evidence
    query keeps; at the build's newest month (`newest`), also what was observed since, which
    no build has judged yet and which the next one will (today's save shows at once)."""
    if _is_newest(month, newest):
        return app
    return app.loc[pd.to_datetime(app["observed_on"]) <= _month_end(month)]


def observed_after(app: pd.DataFrame, month: date, newest: date | None) -> int:
    """How many entries (not removed) a view of an earlier month leaves out for being observed
    after it, so the page says so rather than leave a just-saved item unaccounted for."""
    if _is_newest(month, newest):
        return 0
    live = app.loc[~app["removed"].astype(bool)] if "removed" in app.columns else app
    return int((pd.to_datetime(live["observed_on"]) > _month_end(month)).sum())


def _is_newest(month: date, newest: date | None) -> bool:
    return newest is None or month >= newest


def _month_end(month: date) -> pd.Timestamp:
    return pd.Timestamp(month) + pd.offsets.MonthEnd(0)


def matching(app: pd.DataFrame, text: str) -> pd.DataFrame:
    """The entries the Evidence page's search would find (as evidence_search.sql matches)."""
    needle = (text or "").strip().lower()
    if not needle or app.empty:
        return app
    fields = [c for c in ("summary", "name", "category", "source") if c in app.columns]
    hit = pd.Series(False, index=app.index)
    for column in fields:
        hit |= app[column].fillna("").astype(str).str.lower().str.contains(needle, regex=False)
    return app.loc[hit]


def merge(built: pd.DataFrame, app: pd.DataFrame, limit: int | None = None) -> pd.DataFrame:
    """`built` (warehouse evidence rows) with `app` (from `about`) laid over them, newest
    first, with `origin` (app or file) and `pending` (new, changed or empty) columns."""
    out = built.copy()
    out["observed_on"] = pd.to_datetime(out["observed_on"])
    if "origin" not in out.columns:
        # A warehouse built before the build read the journal: the app's ids tell its items.
        ids = out["evidence_id"] if "evidence_id" in out.columns else pd.Series("", out.index)
        out["origin"] = ids.astype(str).str.startswith("app-").map({True: APP, False: FILE})
    # Anything but the app is a file; the build names which one.
    out["origin"] = out["origin"].fillna(FILE).replace("", FILE)
    out["pending"] = ""
    if app.empty:
        return _ordered(out, limit)
    latest = app.drop_duplicates("evidence_id", keep="last").set_index("evidence_id")
    keys = _keys(out, latest)
    known = keys.isin(latest.index)
    removed = known & keys.map(lambda k: bool(latest["removed"].get(k, False)))
    out = out.loc[~removed]
    keys = keys.loc[out.index]
    for index, key in keys.loc[keys.isin(latest.index)].items():
        entry = latest.loc[key]
        if any(_differs(out.at[index, c], entry[c]) for c in CONTENT if c in out.columns):
            for column in CONTENT:
                if column in out.columns:
                    out.at[index, column] = entry[column]
            out.at[index, "recorded_by"] = entry["recorded_by"]
            out.at[index, "pending"] = CHANGED
    fresh = latest.loc[~latest.index.isin(keys) & ~latest["removed"].astype(bool)].reset_index()
    if not fresh.empty:
        fresh = fresh.assign(origin=APP, pending=NEW, link=fresh["link"].fillna(""))
        fresh = fresh[[c for c in out.columns if c in fresh.columns]]
        out = pd.concat([out, fresh], ignore_index=True) if len(out) else fresh
    return _ordered(out, limit)


def _keys(built: pd.DataFrame, latest: pd.DataFrame) -> pd.Series:
    """Each built row's evidence id. A query that does not return ids is matched on what the
    item says instead (an item corrected since the build then shows twice until the build)."""
    if "evidence_id" in built.columns:
        return built["evidence_id"].astype(str)
    by_content = {_content_key(row): key for key, row in latest.iterrows()}
    return built.apply(lambda row: by_content.get(_content_key(row), ""), axis=1)


def _content_key(row: pd.Series) -> tuple:
    return (
        row["engineer_id"],
        pd.Timestamp(row["observed_on"]).date(),
        row["category"],
        row["level"],
        str(row["summary"]).strip(),
    )


def _differs(shown: object, entry: object) -> bool:
    def norm(value: object) -> object:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return ""
        if isinstance(value, pd.Timestamp | date):
            return pd.Timestamp(value).date()
        return str(value).strip()

    return norm(shown) != norm(entry)


def _ordered(out: pd.DataFrame, limit: int | None) -> pd.DataFrame:
    by = ["observed_on", "evidence_id"] if "evidence_id" in out.columns else ["observed_on"]
    out = out.sort_values(by, ascending=[False] + [True] * (len(by) - 1), kind="stable")
    out = out.reset_index(drop=True)
    return out.head(limit) if limit is not None else out


def pending_count(rows: pd.DataFrame) -> int:
    return int((rows["pending"] != "").sum()) if "pending" in rows.columns else 0


RECORDED_COLUMN = {
    RECORDED: st.column_config.TextColumn(
        "Recorded",
        width="medium",
        help="Where the item came from and who recorded it; an item recorded in the app since "
        "the last build says so first, and counts from the next build.",
    )
}


def column_order(columns: pd.Index) -> list[str]:
    """The evidence tables' columns with where each item came from ahead of its summary: at
    a laptop's width the summary fills the table, and whether an item is in the build yet
    must not be the part scrolled out of sight."""
    shown = [c for c in columns if c not in ("evidence_id", "engineer_id", RECORDED)]
    at = shown.index("summary") if "summary" in shown else len(shown)
    return [*shown[:at], RECORDED, *shown[at:]] if RECORDED in columns else shown


def mark(framed: pd.DataFrame) -> pd.DataFrame:
    """A shown table's `recorded` column, in place of recorded_by, origin and pending: who
    recorded each item and where ("Recorded in the app by …", "Not yet in a build · …"). Call
    it after identity's `frame`, so the recorder is already shown as the viewer may see them."""
    out = framed.copy()
    who = out.get("recorded_by", pd.Series("", index=out.index)).fillna("").astype(str)
    out[RECORDED] = [
        _recorded(origin, by, pending)
        for origin, by, pending in zip(out["origin"], who, out["pending"], strict=True)
    ]
    return out.drop(columns=[c for c in ("recorded_by", "origin", "pending") if c in out])


def _recorded(origin: str, who: str, pending: str) -> str:
    by = " in local mode" if who == entries.LOCAL else f" by {who}" if who else ""
    if origin != APP:
        return f"{origin}{by}"
    if pending == NEW:
        return f"Not yet in a build · recorded in the app{by}"
    if pending == CHANGED:
        return f"Corrected, not yet in a build · recorded in the app{by}"
    return f"Recorded in the app{by}"


# --- decisions --------------------------------------------------------------------------------


def decisions_about(engineer_id: str, scope: Scope) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The current proposal and calibrated outcome of every cycle for one person (newest
    cycle first), and every version saved about them (newest first); None, with a warning,
    when the journal cannot be read. On one's own page only the meeting's outcomes: what a
    manager proposed about you is theirs to discuss with you, not a page to find it on."""
    try:
        journal = open_journal()
        current = entries.decisions(journal)
        history = entries.decision_history(journal)
    except JournalError as exc:
        st.warning(
            f"Decisions recorded in the app cannot be shown: {exc}", icon=":material/warning:"
        )
        return None
    current = current.loc[current["engineer_id"] == engineer_id]
    history = history.loc[history["engineer_id"] == engineer_id].reset_index(drop=True)
    if engineer_id in scope.self_ids:
        current = current.loc[current["stage"] == "calibrated"]
        history = history.loc[history["stage"] == "calibrated"].reset_index(drop=True)
    stage_order = {stage: i for i, stage in enumerate(entries.STAGES)}
    current = current.assign(_stage=current["stage"].map(stage_order)).sort_values(
        ["cycle", "_stage"], ascending=[False, True]
    )
    return current.drop(columns="_stage").reset_index(drop=True), history


def focus(current: pd.DataFrame) -> pd.Series | None:
    """The decision to set beside today: the newest cycle's calibrated outcome, else its
    proposal."""
    if current.empty:
        return None
    newest = current.loc[current["cycle"] == current["cycle"].max()]
    calibrated = newest.loc[newest["stage"] == "calibrated"]
    return (calibrated if not calibrated.empty else newest).iloc[-1]


def frozen(snapshot_id: object) -> entries.Snapshot | None:
    """The snapshot saved with a decision; None when it has none or it cannot be read."""
    if not isinstance(snapshot_id, str) or not snapshot_id:
        return None
    try:
        return entries.snapshot(open_journal(), snapshot_id)
    except JournalError as exc:
        st.warning(f"The decision's snapshot cannot be read: {exc}", icon=":material/warning:")
        return None
