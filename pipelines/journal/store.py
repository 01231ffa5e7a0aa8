"""The journal's storage: one durable database that no build replaces.

By default a SQLite file (data/journal.sqlite, WAL mode, so the app's sessions and a CLI append
at once); with RUNGS_JOURNAL_URL=postgresql://… a PostgreSQL database, for deployments where
several app servers write. Everything above this module writes portable SQL with `?`
placeholders and runs it through `Journal.transaction()`; only the connection, the id column
and the migration bookkeeping differ between the two.

Schema changes are numbered migrations, each run once, in order, inside the transaction that
records its number, so a journal is never left half-migrated.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

JOURNAL_ENV = "RUNGS_JOURNAL_URL"
DEFAULT_JOURNAL = Path(__file__).resolve().parents[2] / "data" / "journal.sqlite"

# {id} becomes each dialect's auto-numbered key. Dates and times are ISO text in both, so the
# rows read back the same whichever database holds them.
MIGRATIONS: tuple[str, ...] = (
    # 1: the audit log (what was looked at, never what it said).
    """
    create table audit_log (
        id {id},
        at text not null,
        who text not null,
        role text not null,
        action text not null,
        target text,
        scope text not null
    );
    create index audit_log_at on audit_log (at);
    """,
    # 2: evidence and decisions recorded in the app, and what the room saw at each decision.
    # Rows are only ever added: an edit is a newer row for the same evidence_id (or the same
    # cycle, person and stage), a removal is a row with removed = 1 and its reason.
    """
    create table evidence_entries (
        id {id},
        entry_key text not null unique,
        evidence_id text not null,
        engineer_id text not null,
        observed_on text not null,
        category text not null,
        level text not null,
        kind text not null,
        summary text not null,
        link text,
        source text not null,
        removed integer not null default 0,
        removal_reason text,
        recorded_by text not null,
        recorded_at text not null
    );
    create index evidence_entries_evidence on evidence_entries (evidence_id);
    create table snapshots (
        snapshot_id text primary key,
        engineer_id text not null,
        taken_at text not null,
        build_id text,
        framework_version text,
        payload text not null
    );
    create table decision_entries (
        id {id},
        entry_key text not null unique,
        cycle text not null,
        engineer_id text not null,
        stage text not null,
        outcome text not null,
        rationale text,
        to_level text,
        effective_on text,
        decided_on text not null,
        removed integer not null default 0,
        removal_reason text,
        snapshot_id text references snapshots (snapshot_id),
        recorded_by text not null,
        recorded_at text not null
    );
    create index decision_entries_person on decision_entries (cycle, engineer_id, stage);
    """,
)


class JournalError(RuntimeError):
    """The journal cannot be opened or written; the message names where and the fix."""


@dataclass(frozen=True)
class Journal:
    """Where the journal lives: a SQLite file, or a PostgreSQL URL."""

    url: str

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith(("postgresql://", "postgres://"))

    @property
    def path(self) -> Path | None:
        return None if self.is_postgres else Path(self.url)

    def describe(self) -> str:
        """Where, in words safe to print: a PostgreSQL URL without its password."""
        if self.is_postgres:
            return re.sub(r"://([^:@/]+):[^@/]*@", r"://\1:***@", self.url)
        return self.url

    def exists(self) -> bool:
        return self.is_postgres or Path(self.url).exists()

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """One transaction: committed when the block ends, rolled back if it raises. On SQLite
        it takes the write lock at once (BEGIN IMMEDIATE), so two writers queue rather than
        fail half-way."""
        con = self._connect()
        try:
            cursor = Cursor(con, self.is_postgres)
            try:
                if not self.is_postgres:
                    con.execute("begin immediate")
                yield cursor
                con.commit()
            except BaseException:
                con.rollback()
                raise
        except (sqlite3.Error, _pg_errors()) as exc:
            fix = (
                "check the server is running and this user may write the journal's tables"
                if self.is_postgres
                else "check the disk has room and the file is writable by the app"
            )
            raise JournalError(
                f"{self.describe()}: the journal could not be written ({self._hide(exc)}). "
                f"Fix: {fix}."
            ) from exc
        finally:
            con.close()

    def _hide(self, exc: BaseException) -> str:
        """The error's text without the URL's password, should a driver ever echo it."""
        text = str(exc).strip()
        password = re.search(r"://[^:@/]+:([^@/]+)@", self.url) if self.is_postgres else None
        return text.replace(password.group(1), "***") if password else text

    def _connect(self):
        if self.is_postgres:
            return self._connect_postgres()
        path = Path(self.url)
        con = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Transactions are begun explicitly (see `transaction`).
            con = sqlite3.connect(path, timeout=30, isolation_level=None)
            con.execute("pragma journal_mode = wal")
            con.execute("pragma busy_timeout = 30000")
            con.execute("pragma foreign_keys = on")
            _migrate_sqlite(con)
        except (OSError, sqlite3.Error) as exc:
            if con is not None:
                con.close()
            raise JournalError(
                f"{path}: the journal cannot be opened ({exc}). Fix: make its folder writable "
                f"by the app, or point {JOURNAL_ENV} elsewhere."
            ) from exc
        return con

    def _connect_postgres(self):
        try:
            import psycopg
        except ImportError as exc:  # a broken install, not a user's mistake
            raise JournalError("psycopg is not installed; run `make run` to sync.") from exc
        con = None
        try:
            con = psycopg.connect(self.url, connect_timeout=10)
            _migrate_postgres(con)
        except psycopg.Error as exc:
            if con is not None:
                con.close()
            raise JournalError(
                f"{self.describe()}: the journal cannot be opened ({self._hide(exc)}). Fix: "
                f"check the server is running and {JOURNAL_ENV} names a database this user "
                "may create tables in."
            ) from exc
        return con


class Cursor:
    """Portable statements: `?` placeholders, rows as tuples or dicts."""

    def __init__(self, con, postgres: bool):
        self._con = con
        self._postgres = postgres

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""
        cur = self._con.cursor()
        cur.execute(self._sql(sql), tuple(params))
        return cur.rowcount

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self._con.cursor()
        cur.execute(self._sql(sql), tuple(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def _sql(self, sql: str) -> str:
        # psycopg reads every % as a placeholder's start, so a literal one is doubled first.
        return sql.replace("%", "%%").replace("?", "%s") if self._postgres else sql


def open_journal(url: str | Path | None = None) -> Journal:
    """The journal at `url`, else RUNGS_JOURNAL_URL, else data/journal.sqlite. A plain path or
    sqlite:///path is a SQLite file; postgresql://… a PostgreSQL database."""
    configured = str(url if url is not None else os.environ.get(JOURNAL_ENV, "")).strip()
    if not configured:
        return Journal(str(DEFAULT_JOURNAL))
    if configured.startswith(("postgresql://", "postgres://")):
        return Journal(configured)
    if configured.startswith("sqlite:///"):
        configured = configured[len("sqlite:///") :]
    elif "://" in configured:
        raise JournalError(
            f"{JOURNAL_ENV}={configured.split('://')[0]}://…: not a journal this app can use. "
            "Fix: give a file path, sqlite:///path or postgresql://user@host/database."
        )
    return Journal(str(Path(configured).expanduser().resolve()))


def _script(number: int, postgres: bool) -> list[str]:
    ident = (
        "bigint generated always as identity primary key"
        if postgres
        else "integer primary key autoincrement"
    )
    script = MIGRATIONS[number - 1].replace("{id}", ident)
    return [s.strip() for s in script.split(";") if s.strip()]


def _migrate_sqlite(con: sqlite3.Connection) -> None:
    if con.execute("pragma user_version").fetchone()[0] >= len(MIGRATIONS):
        return
    con.execute("begin immediate")  # one process migrates; the others wait, then see it done
    try:
        done = con.execute("pragma user_version").fetchone()[0]
        for number in range(done + 1, len(MIGRATIONS) + 1):
            for statement in _script(number, postgres=False):
                con.execute(statement)
            con.execute(f"pragma user_version = {number}")
        con.commit()
    except BaseException:
        con.rollback()
        raise


def _migrate_postgres(con) -> None:
    # Every transaction connects afresh: an up-to-date journal is seen without taking the lock.
    with con.transaction():
        present = con.execute("select to_regclass('journal_version') is not null").fetchone()[0]
        done = present and con.execute("select max(version) from journal_version").fetchone()[0]
    if done and done >= len(MIGRATIONS):
        return
    with con.transaction():
        # Two app servers starting at once: the second waits here, then finds nothing to do.
        con.execute("select pg_advisory_xact_lock(7340211)")
        con.execute("create table if not exists journal_version (version integer not null)")
        row = con.execute("select max(version) from journal_version").fetchone()
        done = row[0] or 0
        for number in range(done + 1, len(MIGRATIONS) + 1):
            for statement in _script(number, postgres=True):
                con.execute(statement)
            con.execute("insert into journal_version values (%s)", (number,))


def _pg_errors() -> type[BaseException]:
    try:
        import psycopg
    except ImportError:
        return sqlite3.Error
    return psycopg.Error
