"""Evidence and calibration decisions recorded in the app, kept forever.

Nothing here is ever updated or deleted. Saving an edit adds a newer row for the same evidence
item (or the same cycle, person and stage of a decision); removing adds a row marked removed,
with its reason. The current state is each item's newest row. Every row carries who saved it,
when, and an idempotency key: the form makes one key per attempt, so a double-click or a
retried save finds its key taken and writes nothing twice.

A decision is saved in one transaction with its snapshot: what the room saw for that person at
that moment (see rungs_ui/snapshot.py), which no later build, corrected file or framework change
can alter.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

from pipelines.journal.store import Cursor, Journal

# What a manager proposes and the meeting calibrates, in the order a form offers them.
OUTCOMES = ("promotion", "in_band_raise", "hold", "development_plan", "none")
OUTCOME_WORDS = {
    "promotion": "Promote",
    "in_band_raise": "In-band raise",
    "hold": "Hold",
    "development_plan": "Development plan",
    "none": "No change",
}
# How a calibrated outcome reaches the readiness rules, as a decisions.csv row would.
OUTCOME_AS_DECISION = {
    "promotion": "promotion",
    "in_band_raise": "in_band_raise",
    "hold": "deferred",
    "development_plan": "deferred",
}
STAGES = ("proposed", "calibrated")
STAGE_WORDS = {"proposed": "Proposed", "calibrated": "Calibrated"}
# Who saved an entry when nobody is signed in.
LOCAL = "local"

EVIDENCE_COLUMNS = (
    "evidence_id",
    "engineer_id",
    "observed_on",
    "category",
    "level",
    "kind",
    "summary",
    "link",
    "source",
)
ENTRY_COLUMNS = ("recorded_by", "recorded_at", "version", "removed", "removal_reason")
DECISION_COLUMNS = (
    "cycle",
    "engineer_id",
    "stage",
    "outcome",
    "rationale",
    "to_level",
    "effective_on",
    "decided_on",
    "snapshot_id",
)


@dataclass(frozen=True)
class EvidenceDraft:
    """One observed example or concern, as the form or an import gives it."""

    engineer_id: str
    observed_on: date
    category: str
    level: str
    summary: str
    kind: str = "example"
    link: str | None = None
    source: str = "manager"


@dataclass(frozen=True)
class DecisionDraft:
    """A manager's proposal or the meeting's calibrated outcome for one person in one cycle.
    `to_level` and `effective_on` say, for a promotion, which level and from when."""

    cycle: str
    engineer_id: str
    stage: str
    outcome: str
    decided_on: date
    rationale: str | None = None
    to_level: str | None = None
    effective_on: date | None = None

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise ValueError(f"stage must be one of {', '.join(STAGES)}, not {self.stage!r}")
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, not {self.outcome!r}")


@dataclass(frozen=True)
class Snapshot:
    """What the room saw for one person when a decision was saved."""

    engineer_id: str
    build_id: str | None
    framework_version: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class Saved:
    """The outcome of a save: the item's id, and whether this call wrote it (False: the key
    had been used already, by a double-click or a retry, and nothing was written again)."""

    id: str
    written: bool


def new_key() -> str:
    """An idempotency key for one save attempt."""
    return uuid.uuid4().hex


def new_evidence_id() -> str:
    """An evidence id that no evidence.csv row uses: the 'app-' prefix says where it began."""
    return f"app-{secrets.token_hex(5)}"


def cycle_of(day: date) -> str:
    """The calibration cycle a day falls in: half years, as 2026-H2."""
    return f"{day.year}-H{1 if day.month <= 6 else 2}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


# --- evidence ---------------------------------------------------------------------------------


def record_evidence(
    journal: Journal,
    draft: EvidenceDraft,
    *,
    who: str,
    key: str,
    evidence_id: str | None = None,
) -> Saved:
    """Add an item (or, with `evidence_id`, a new version of it). Validate first: the journal
    stores what it is given (rungs_ui and the import check it against the contract)."""
    evidence_id = evidence_id or new_evidence_id()
    values = asdict(draft) | {"observed_on": _iso(draft.observed_on)}
    with journal.transaction() as cur:
        taken = _taken(cur, "evidence_entries", "evidence_id", key)
        if taken is not None:
            return Saved(taken, written=False)
        row = {c: values[c] for c in EVIDENCE_COLUMNS[1:]}
        written = _insert(cur, "evidence_entries", key, who, evidence_id=evidence_id, **row)
        if not written:
            # Another server saved this key between our look and our insert: its id is the
            # item's, not the one made up here.
            evidence_id = _taken(cur, "evidence_entries", "evidence_id", key) or evidence_id
    return Saved(evidence_id, written)


def remove_evidence(
    journal: Journal, evidence_id: str, *, who: str, reason: str, key: str
) -> Saved:
    """A tombstone: the item stops counting from the next build, and the reason is kept."""
    if not reason.strip():
        raise ValueError("a removal needs its reason")
    with journal.transaction() as cur:
        taken = _taken(cur, "evidence_entries", "evidence_id", key)
        if taken is not None:
            return Saved(taken, written=False)
        latest = _latest_evidence(cur, evidence_id)
        if latest is None:
            raise KeyError(f"no evidence {evidence_id} was recorded in the app")
        row = {c: latest[c] for c in EVIDENCE_COLUMNS}
        written = _insert(
            cur, "evidence_entries", key, who, **row, removed=1, removal_reason=reason.strip()
        )
    return Saved(evidence_id, written)


def evidence(journal: Journal, *, include_removed: bool = False) -> pd.DataFrame:
    """The current version of every item recorded in the app, oldest first: the contract's
    columns, then who saved that version, when, its version number and any removal."""
    columns = [*EVIDENCE_COLUMNS, *ENTRY_COLUMNS]
    if not journal.exists():
        return pd.DataFrame(columns=columns)
    with journal.transaction() as cur:
        rows = cur.rows(
            "select e.*, (select count(*) from evidence_entries v "
            "where v.evidence_id = e.evidence_id and v.id <= e.id) as version "
            "from evidence_entries e where e.id = (select max(id) from evidence_entries m "
            "where m.evidence_id = e.evidence_id) order by e.id"
        )
    frame = pd.DataFrame(rows, columns=[*columns, "id", "entry_key"])[columns]
    if not include_removed:
        frame = frame.loc[frame["removed"] == 0].reset_index(drop=True)
    frame["removed"] = frame["removed"].astype(bool)
    return frame


def evidence_history(journal: Journal, evidence_id: str) -> pd.DataFrame:
    """Every version of one item, oldest first."""
    with journal.transaction() as cur:
        rows = cur.rows(
            "select * from evidence_entries where evidence_id = ? order by id", (evidence_id,)
        )
    return pd.DataFrame(rows)


def _latest_evidence(cur: Cursor, evidence_id: str) -> dict | None:
    rows = cur.rows(
        "select * from evidence_entries where evidence_id = ? order by id desc limit 1",
        (evidence_id,),
    )
    return rows[0] if rows else None


# --- decisions --------------------------------------------------------------------------------


def record_decision(
    journal: Journal, draft: DecisionDraft, *, who: str, key: str, snapshot: Snapshot | None
) -> Saved:
    """Save a proposal or a calibrated outcome with the snapshot of what the room saw, in one
    transaction: either both are there afterwards or neither is."""
    with journal.transaction() as cur:
        taken = _taken(cur, "decision_entries", "entry_key", key)
        if taken is not None:
            return Saved(taken, written=False)
        snapshot_id = _store_snapshot(cur, key, snapshot) if snapshot else None
        row = asdict(draft) | {
            "rationale": (draft.rationale or "").strip() or None,
            "effective_on": _iso(draft.effective_on),
            "decided_on": _iso(draft.decided_on),
        }
        written = _insert(cur, "decision_entries", key, who, **row, snapshot_id=snapshot_id)
    return Saved(key, written)


def remove_decision(
    journal: Journal, cycle: str, engineer_id: str, stage: str, *, who: str, reason: str, key: str
) -> Saved:
    """Withdraw a proposal or a calibrated outcome; the reason is kept with it."""
    if not reason.strip():
        raise ValueError("a removal needs its reason")
    with journal.transaction() as cur:
        taken = _taken(cur, "decision_entries", "entry_key", key)
        if taken is not None:
            return Saved(taken, written=False)
        latest = cur.rows(
            "select * from decision_entries where cycle = ? and engineer_id = ? and stage = ? "
            "order by id desc limit 1",
            (cycle, engineer_id, stage),
        )
        if not latest:
            raise KeyError(f"nothing {stage} for {engineer_id} in {cycle}")
        row = {c: latest[0][c] for c in DECISION_COLUMNS}
        written = _insert(
            cur, "decision_entries", key, who, **row, removed=1, removal_reason=reason.strip()
        )
    return Saved(key, written)


def decisions(journal: Journal, cycle: str | None = None) -> pd.DataFrame:
    """The current proposal and calibrated outcome per person (one row per cycle, person and
    stage that is not withdrawn), oldest first, with who saved it and when."""
    columns = [*DECISION_COLUMNS, "recorded_by", "recorded_at", "version"]
    if not journal.exists():
        return pd.DataFrame(columns=columns)
    where, params = ("and d.cycle = ?", (cycle,)) if cycle else ("", ())
    with journal.transaction() as cur:
        rows = cur.rows(
            "select d.*, (select count(*) from decision_entries v where v.cycle = d.cycle "
            "and v.engineer_id = d.engineer_id and v.stage = d.stage and v.id <= d.id) "
            "as version from decision_entries d where d.id = (select max(id) from "
            "decision_entries m where m.cycle = d.cycle and m.engineer_id = d.engineer_id "
            f"and m.stage = d.stage) and d.removed = 0 {where} order by d.id",
            params,
        )
    return pd.DataFrame(rows, columns=[*columns, "id"])[columns]


def decision_history(journal: Journal, cycle: str | None = None) -> pd.DataFrame:
    """Every saved version, newest first: who changed what, and when."""
    columns = [*DECISION_COLUMNS, "removed", "removal_reason", "recorded_by", "recorded_at"]
    if not journal.exists():
        return pd.DataFrame(columns=columns)
    where, params = ("where cycle = ?", (cycle,)) if cycle else ("", ())
    with journal.transaction() as cur:
        rows = cur.rows(f"select * from decision_entries {where} order by id desc", params)
    frame = pd.DataFrame(rows, columns=[*columns, "id"])[columns]
    frame["removed"] = frame["removed"].astype(bool)
    return frame


def cycles(journal: Journal) -> list[str]:
    """Cycles with any decision, newest first."""
    if not journal.exists():
        return []
    with journal.transaction() as cur:
        rows = cur.rows("select distinct cycle from decision_entries order by cycle desc")
    return [r["cycle"] for r in rows]


def snapshot(journal: Journal, snapshot_id: str) -> Snapshot | None:
    """The frozen view saved with a decision."""
    with journal.transaction() as cur:
        rows = cur.rows("select * from snapshots where snapshot_id = ?", (snapshot_id,))
    if not rows:
        return None
    row = rows[0]
    return Snapshot(
        row["engineer_id"], row["build_id"], row["framework_version"], json.loads(row["payload"])
    )


def snapshots(journal: Journal) -> pd.DataFrame:
    """Every snapshot, as stored (payload as JSON text), oldest first."""
    columns = ["snapshot_id", "engineer_id", "taken_at", "build_id", "framework_version", "payload"]
    if not journal.exists():
        return pd.DataFrame(columns=columns)
    with journal.transaction() as cur:
        rows = cur.rows(f"select {', '.join(columns)} from snapshots order by taken_at")
    return pd.DataFrame(rows, columns=columns)


def _store_snapshot(cur: Cursor, key: str, snap: Snapshot) -> str:
    # Named after the save's key: a retried save with the same key can never leave a second,
    # orphaned snapshot behind.
    snapshot_id = f"snap-{key}"
    cur.execute(
        "insert into snapshots (snapshot_id, engineer_id, taken_at, build_id, "
        "framework_version, payload) values (?, ?, ?, ?, ?, ?) "
        "on conflict (snapshot_id) do nothing",
        (
            snapshot_id,
            snap.engineer_id,
            _now(),
            snap.build_id,
            snap.framework_version,
            json.dumps(snap.payload, sort_keys=True, default=str),
        ),
    )
    return snapshot_id


def _insert(cur: Cursor, table: str, key: str, who: str, **values: Any) -> bool:
    """Append one row under `key`; False when the key was taken meanwhile (two servers
    retrying the same save at once), in which case nothing is written."""
    row = {"entry_key": key, **values, "recorded_by": who, "recorded_at": _now()}
    marks = ", ".join("?" for _ in row)
    return bool(
        cur.execute(
            f"insert into {table} ({', '.join(row)}) values ({marks}) "
            "on conflict (entry_key) do nothing",
            tuple(row.values()),
        )
    )


def _taken(cur: Cursor, table: str, id_column: str, key: str) -> str | None:
    """The id saved under `key` already, if any."""
    rows = cur.rows(f"select {id_column} as id from {table} where entry_key = ?", (key,))
    return rows[0]["id"] if rows else None
