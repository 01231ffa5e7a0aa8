"""The audit log: appended, never rewritten, in a journal file no build replaces, with its
schema migrated once; a journal it cannot use is an error that names the file and the fix."""

from __future__ import annotations

import sqlite3

import pytest

from pipelines import audit
from pipelines.journal.store import open_journal


def event(action="open_engineer", target="E0001"):
    return audit.Event(
        who="ana@example.com",
        role="manager",
        action=action,
        scope="manager: 4 people",
        target=target,
    )


def test_events_are_appended_and_read_newest_first(tmp_path):
    path = tmp_path / "journal.sqlite"
    audit.record(event("sign_in", None), path)
    audit.record(event("download", "rungs-promotions.csv"), path)
    log = audit.recent(path=path)
    assert log["action"].tolist() == ["download", "sign_in"]
    assert log.columns.tolist() == ["at", "who", "role", "action", "target", "scope"]
    assert log["at"].str.endswith("+00:00").all()  # UTC, whatever the server's zone


def test_the_schema_is_migrated_once_and_the_file_is_in_wal_mode(tmp_path):
    path = tmp_path / "journal.sqlite"
    audit.record(event(), path)
    audit.record(event(), path)  # a second open must not rerun the migration
    with sqlite3.connect(path) as con:
        assert con.execute("pragma user_version").fetchone()[0] == len(audit.MIGRATIONS)
        assert con.execute("pragma journal_mode").fetchone()[0] == "wal"
        assert con.execute("select count(*) from audit_log").fetchone()[0] == 2


def test_an_unknown_action_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record(event("peek"), tmp_path / "journal.sqlite")


def test_the_journal_location_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(audit.JOURNAL_ENV, f"sqlite:///{tmp_path}/a.sqlite")
    assert open_journal().path == tmp_path / "a.sqlite"
    monkeypatch.setenv(audit.JOURNAL_ENV, str(tmp_path / "b.sqlite"))
    assert open_journal().path == tmp_path / "b.sqlite"
    monkeypatch.setenv(audit.JOURNAL_ENV, "postgresql://rungs:secret@db.example.com/rungs")
    assert open_journal().is_postgres
    assert "secret" not in open_journal().describe()
    monkeypatch.setenv(audit.JOURNAL_ENV, "mysql://db.example.com/rungs")
    with pytest.raises(audit.JournalError, match="not a journal this app can use"):
        open_journal()


def test_a_journal_that_cannot_be_written_names_the_file_and_the_fix(tmp_path):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    with pytest.raises(audit.JournalError) as caught:
        audit.record(event(), blocked / "journal.sqlite")
    assert str(blocked / "journal.sqlite") in str(caught.value)
    assert "Fix:" in str(caught.value)


def test_nothing_recorded_reads_as_an_empty_log(tmp_path):
    assert audit.recent(path=tmp_path / "absent.sqlite").empty
