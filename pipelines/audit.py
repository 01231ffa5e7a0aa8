"""The audit log: who signed in, whose Engineer page they opened, what they downloaded or
exported, with when and in which scope. Never a metric value: what was looked at, not what it
said.

It lives in the journal, a SQLite file beside the warehouse that no build replaces (default
data/journal.sqlite, or the path in RUNGS_JOURNAL_URL, `sqlite:///path` or a plain path), in
WAL mode so the app's sessions and a CLI can append at once. Rows are only ever added.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

JOURNAL_ENV = "RUNGS_JOURNAL_URL"
DEFAULT_JOURNAL = Path(__file__).resolve().parent.parent / "data" / "journal.sqlite"
# PRAGMA user_version holds how many of these have run; each runs once, in order.
MIGRATIONS: tuple[str, ...] = (
    """
    create table audit_log (
        id integer primary key autoincrement,
        at text not null,          -- UTC, ISO 8601
        who text not null,         -- the signed-in email, or "local"
        role text not null,        -- the widest role the person held then
        action text not null,      -- one of ACTIONS
        target text,               -- engineer id, file name or page; never a metric value
        scope text not null        -- the scope in words (Scope.describe())
    );
    create index audit_log_at on audit_log (at);
    """,
)
# What each action is called where people read the log.
ACTION_WORDS = {
    "sign_in": "Signed in",
    "sign_out": "Signed out",
    "no_access": "Refused: no access",
    "open_engineer": "Opened an Engineer page",
    "download": "Downloaded",
    "export": "Exported",
}
ACTIONS = frozenset(ACTION_WORDS)


class JournalError(RuntimeError):
    """The journal cannot be opened or written; the message names the file and the fix."""


@dataclass(frozen=True)
class Event:
    who: str
    role: str
    action: str
    scope: str
    target: str | None = None


def journal_path() -> Path:
    configured = os.environ.get(JOURNAL_ENV, "").strip()
    if not configured:
        return DEFAULT_JOURNAL
    if configured.startswith("sqlite:///"):
        configured = configured[len("sqlite:///") :]
    elif "://" in configured:
        raise JournalError(
            f"{JOURNAL_ENV}={configured.split('://')[0]}://…: only a SQLite journal is "
            "supported. Fix: give a file path or sqlite:///path."
        )
    return Path(configured).expanduser().resolve()


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(path, timeout=10)
    except (OSError, sqlite3.Error) as exc:
        raise JournalError(
            f"{path}: the journal cannot be opened ({exc}). Fix: make its folder writable by "
            f"the app, or point {JOURNAL_ENV} elsewhere."
        ) from exc
    try:
        con.execute("pragma journal_mode = wal")
        _migrate(con)
        yield con
    except sqlite3.Error as exc:
        raise JournalError(f"{path}: the journal could not be written ({exc}).") from exc
    finally:
        con.close()


def _migrate(con: sqlite3.Connection) -> None:
    done = con.execute("pragma user_version").fetchone()[0]
    for number, script in enumerate(MIGRATIONS[done:], start=done + 1):
        # executescript commits on its own; the version moves with the script it records.
        con.executescript(f"begin; {script} pragma user_version = {number}; commit;")


def record(event: Event, path: Path | None = None) -> None:
    """Append one event."""
    if event.action not in ACTIONS:
        raise ValueError(f"unknown audit action {event.action!r}")
    at = datetime.now(UTC).isoformat(timespec="seconds")
    with _connect(path or journal_path()) as con, con:
        con.execute(
            "insert into audit_log (at, who, role, action, target, scope) "
            "values (?, ?, ?, ?, ?, ?)",
            (at, event.who, event.role, event.action, event.target, event.scope),
        )


def recent(limit: int = 500, path: Path | None = None) -> pd.DataFrame:
    """The newest `limit` events, newest first."""
    path = path or journal_path()
    columns = ["at", "who", "role", "action", "target", "scope"]
    if not path.exists():
        return pd.DataFrame(columns=columns)
    with _connect(path) as con:
        rows = con.execute(
            f"select {', '.join(columns)} from audit_log order by id desc limit ?", (limit,)
        ).fetchall()
    return pd.DataFrame(rows, columns=columns)
