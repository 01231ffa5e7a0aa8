"""The audit log: who signed in, whose Engineer page they opened, what they downloaded or
exported, with when and in which scope. Never a metric value: what was looked at, not what it
said.

It lives in the journal, a SQLite file beside the warehouse that no build replaces (default
data/journal.sqlite, or the path in RUNGS_JOURNAL_URL, `sqlite:///path` or a plain path), in
WAL mode so the app's sessions and a CLI can append at once. Rows are only ever added.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from pipelines.journal.store import JOURNAL_ENV, MIGRATIONS, JournalError, open_journal

__all__ = ["JOURNAL_ENV", "MIGRATIONS", "JournalError", "recent", "record"]

# What each action is called where people read the log.
ACTION_WORDS = {
    "sign_in": "Signed in",
    "sign_out": "Signed out",
    "no_access": "Refused: no access",
    "open_engineer": "Opened an Engineer page",
    "download": "Downloaded",
    "export": "Exported",
    "save_framework": "Saved a framework file",
}
ACTIONS = frozenset(ACTION_WORDS)


@dataclass(frozen=True)
class Event:
    who: str
    role: str
    action: str
    scope: str
    target: str | None = None


def record(event: Event, path: Path | None = None) -> None:
    """Append one event."""
    if event.action not in ACTIONS:
        raise ValueError(f"unknown audit action {event.action!r}")
    at = datetime.now(UTC).isoformat(timespec="seconds")
    with open_journal(path).transaction() as cur:
        cur.execute(
            "insert into audit_log (at, who, role, action, target, scope) "
            "values (?, ?, ?, ?, ?, ?)",
            (at, event.who, event.role, event.action, event.target, event.scope),
        )


def recent(limit: int = 500, path: Path | None = None) -> pd.DataFrame:
    """The newest `limit` events, newest first."""
    journal = open_journal(path)
    columns = ["at", "who", "role", "action", "target", "scope"]
    if not journal.exists():
        return pd.DataFrame(columns=columns)
    with journal.transaction() as cur:
        rows = cur.rows(
            f"select {', '.join(columns)} from audit_log order by id desc limit ?", (limit,)
        )
    return pd.DataFrame(rows, columns=columns)
