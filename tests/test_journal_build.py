"""What is recorded in the app reaches the next build exactly as the same row in a file would:
evidence into category attainment and readiness, calibrated raises into the cooldown,
calibrated promotions into the level history; proposals nowhere; a row that no longer fits is
rejected with its reason and the build goes on."""

from __future__ import annotations

import csv
import shutil
import threading
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.journal import entries
from pipelines.journal.store import open_journal
from pipelines.load.build import build
from pipelines.load.journal_rows import JOURNAL_SOURCE
from tests.test_pages import everything_shown, no_errors, on_page, open_app

BOSS = "boss@example.com"


@pytest.fixture
def source(tmp_path, demo_source) -> Path:
    """A copy of the demo org this test may change."""
    return Path(shutil.copytree(demo_source, tmp_path / "source"))


@pytest.fixture
def journal(tmp_path, monkeypatch):
    monkeypatch.setenv("RUNGS_JOURNAL_URL", str(tmp_path / "journal.sqlite"))
    return open_journal()


def query(warehouse: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(sql).df()


def readiness(warehouse: Path) -> pd.DataFrame:
    return query(warehouse, "select * from readiness order by engineer_id, month")


@pytest.fixture
def subject(fixture_warehouse) -> tuple[str, str, str, str]:
    """Someone judged in the demo's last month: their id, level, the level above and the
    framework's first category (the demo warehouse is built from the same files)."""
    with duckdb.connect(str(fixture_warehouse), read_only=True) as con:
        return con.execute(
            "select r.engineer_id, r.level, up.level, (select category from "
            "framework_categories order by all limit 1) from readiness r "
            "join framework_levels fl on fl.level = r.level "
            "join framework_levels up on up.rank = fl.rank + 1 "
            "where r.month = (select max(month) from readiness) order by r.engineer_id limit 1"
        ).fetchall()[0]


def append_csv(path: Path, row: dict) -> None:
    with path.open(encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    with path.open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow([row.get(h, "") for h in header])


def draft(person: str, level: str, category: str, **changes) -> entries.EvidenceDraft:
    values = dict(
        engineer_id=person,
        observed_on=date(2026, 9, 14),
        category=category,
        level=level,
        summary="Led the incident review for the billing outage",
    )
    return entries.EvidenceDraft(**(values | changes))


def test_app_evidence_counts_exactly_like_the_same_row_in_evidence_csv(
    tmp_path, source, journal, subject
):
    person, level, _up, category = subject
    item = draft(person, level, category)
    entries.record_evidence(journal, item, who=BOSS, key=entries.new_key(), evidence_id="X-1")
    build(source, tmp_path / "app.duckdb", journal=journal)

    in_file = Path(shutil.copytree(source, tmp_path / "in-file"))
    append_csv(
        in_file / "evidence.csv",
        {
            "evidence_id": "X-1",
            "engineer_id": person,
            "observed_on": "2026-09-14",
            "category": category,
            "level": level,
            "kind": "example",
            "summary": item.summary,
            "source": "manager",
            "recorded_by": BOSS,
        },
    )
    build(in_file, tmp_path / "file.duckdb")

    app_rows = query(tmp_path / "app.duckdb", "select * from evidence where evidence_id = 'X-1'")
    assert app_rows[["origin", "recorded_by"]].values.tolist() == [["app", BOSS]]
    assert query(tmp_path / "file.duckdb", "select origin from evidence")["origin"].unique() == [
        "evidence.csv"
    ]
    pd.testing.assert_frame_equal(
        readiness(tmp_path / "app.duckdb"), readiness(tmp_path / "file.duckdb")
    )
    attainment = "select * from category_attainment order by all"
    pd.testing.assert_frame_equal(
        query(tmp_path / "app.duckdb", attainment), query(tmp_path / "file.duckdb", attainment)
    )
    covered = query(
        tmp_path / "app.duckdb",
        "select count(*) as n from category_attainment where list_contains(example_ids, 'X-1')",
    )
    assert covered["n"][0] > 0  # the item did change something, in both builds alike


def test_a_removed_entry_is_gone_from_the_next_build(tmp_path, source, journal, subject):
    person, level, _up, category = subject
    saved = entries.record_evidence(
        journal, draft(person, level, category), who=BOSS, key=entries.new_key()
    )
    build(source, tmp_path / "w.duckdb", journal=journal)
    assert len(query(tmp_path / "w.duckdb", "select * from evidence where origin = 'app'")) == 1
    entries.remove_evidence(journal, saved.id, who=BOSS, reason="wrong person", key="k2")
    build(source, tmp_path / "w.duckdb", journal=journal)
    assert query(tmp_path / "w.duckdb", "select * from evidence where origin = 'app'").empty


def calibrate(journal, person: str, outcome: str, stage: str = "calibrated", **more) -> None:
    decided = date(2026, 10, 5)
    entries.record_decision(
        journal,
        entries.DecisionDraft(
            entries.cycle_of(decided), person, stage, outcome, decided, "Agreed by the room", **more
        ),
        who=BOSS,
        key=entries.new_key(),
        snapshot=None,
    )


def test_a_calibrated_in_band_raise_sets_the_cooldown_like_a_decisions_csv_row(
    tmp_path, source, journal, subject
):
    person, _level, _up, _category = subject
    calibrate(journal, person, "in_band_raise")
    build(source, tmp_path / "app.duckdb", journal=journal)
    in_file = Path(shutil.copytree(source, tmp_path / "in-file"))
    append_csv(
        in_file / "decisions.csv",
        {
            "engineer_id": person,
            "decided_on": "2026-10-05",
            "decision": "in_band_raise",
            "note": "Agreed by the room",
        },
    )
    build(in_file, tmp_path / "file.duckdb")

    last = "select last_raise_on, last_raise from readiness where engineer_id = '{}' order by month"
    from_app = query(tmp_path / "app.duckdb", last.format(person))
    assert from_app.iloc[-1].tolist() == [pd.Timestamp("2026-10-05"), "in-band raise"]
    pd.testing.assert_frame_equal(from_app, query(tmp_path / "file.duckdb", last.format(person)))
    pd.testing.assert_frame_equal(
        readiness(tmp_path / "app.duckdb"), readiness(tmp_path / "file.duckdb")
    )
    decisions = query(tmp_path / "app.duckdb", "select * from decisions where origin = 'app'")
    assert decisions[["engineer_id", "decision", "note", "recorded_by"]].values.tolist() == [
        [person, "in_band_raise", "Agreed by the room", BOSS]
    ]


def test_a_calibrated_promotion_in_effect_adds_a_level_stint(tmp_path, source, journal, subject):
    person, _level, higher, _category = subject
    calibrate(journal, person, "promotion", to_level=higher, effective_on=date(2026, 10, 6))
    build(source, tmp_path / "w.duckdb", journal=journal)
    stints = query(
        tmp_path / "w.duckdb",
        f"select level, started_on from level_stints where engineer_id = '{person}' "
        "order by started_on",
    )
    assert stints.iloc[-1].tolist() == [higher, pd.Timestamp("2026-10-06")]
    assert (
        query(tmp_path / "w.duckdb", "select origin from levels where origin = 'app'").shape[0] == 1
    )


def test_a_promotion_effective_later_is_not_yet_a_level(tmp_path, source, journal, subject):
    person, level, _up, _category = subject
    later = date.today() + timedelta(days=30)
    calibrate(journal, person, "promotion", to_level=level, effective_on=later)
    build(source, tmp_path / "w.duckdb", journal=journal)
    assert query(tmp_path / "w.duckdb", "select * from levels where origin = 'app'").empty
    assert len(query(tmp_path / "w.duckdb", "select * from decisions where origin = 'app'")) == 1


def test_a_proposal_changes_nothing(tmp_path, source, journal, subject):
    person, _level, _up, _category = subject
    build(source, tmp_path / "before.duckdb", journal=journal)
    calibrate(journal, person, "in_band_raise", stage="proposed")
    calibrate(journal, person, "none")  # calibrated, but "no change" is no decision
    build(source, tmp_path / "after.duckdb", journal=journal)
    pd.testing.assert_frame_equal(
        readiness(tmp_path / "before.duckdb"), readiness(tmp_path / "after.duckdb")
    )
    assert query(tmp_path / "after.duckdb", "select * from decisions where origin = 'app'").empty


def test_an_entry_the_framework_no_longer_accepts_is_rejected_and_the_build_goes_on(
    tmp_path, source, journal, subject
):
    person, level, _up, category = subject
    good = entries.record_evidence(journal, draft(person, level, category), who=BOSS, key="a")
    renamed = entries.record_evidence(
        journal, draft(person, "Staff III", category), who=BOSS, key="b"
    )
    gone = entries.record_evidence(journal, draft("NOBODY", level, category), who=BOSS, key="c")
    report = build(source, tmp_path / "w.duckdb", journal=journal)

    rejected = query(
        tmp_path / "w.duckdb",
        "select table_name, line, \"column\", reason from rejected_rows where file = 'journal' "
        "order by line",
    )
    assert rejected["column"].tolist() == ["level", "engineer_id"]
    assert rejected["line"].tolist() == [2, 3]  # the journal's entry numbers
    assert f"evidence {renamed.id} recorded in the app" in rejected["reason"][0]
    assert "level must be one of" in rejected["reason"][0]
    assert (
        f"evidence {gone.id} recorded in the app: unknown engineer NOBODY" in rejected["reason"][1]
    )
    loaded = query(tmp_path / "w.duckdb", "select evidence_id from evidence where origin = 'app'")
    assert loaded["evidence_id"].tolist() == [good.id]
    journal_stats = [f for f in report.files if f.file == JOURNAL_SOURCE and f.table == "evidence"]
    assert [(f.rows_read, f.rows_loaded, f.rows_rejected) for f in journal_stats] == [(3, 1, 2)]


def test_an_app_id_that_evidence_csv_uses_loses_to_the_file(tmp_path, source, journal, subject):
    person, level, _up, category = subject
    with duckdb.connect() as con:
        taken = con.execute(
            "select evidence_id from read_csv($p) limit 1", {"p": str(source / "evidence.csv")}
        ).fetchall()[0][0]
    entries.record_evidence(
        journal, draft(person, level, category), who=BOSS, key="a", evidence_id=taken
    )
    build(source, tmp_path / "w.duckdb", journal=journal)
    kept = query(
        tmp_path / "w.duckdb", f"select origin from evidence where evidence_id = '{taken}'"
    )
    assert kept["origin"].tolist() == ["evidence.csv"]
    reason = query(tmp_path / "w.duckdb", "select reason from rejected_rows where file = 'journal'")
    assert "has the id of evidence.csv line" in reason["reason"][0]
    assert "the file's row was kept" in reason["reason"][0]


def test_build_files_and_notes_count_the_journal_as_its_own_source(
    tmp_path, source, journal, subject
):
    person, level, _up, category = subject
    entries.record_evidence(journal, draft(person, level, category), who=BOSS, key="a")
    calibrate(journal, person, "in_band_raise")
    build(source, tmp_path / "w.duckdb", journal=journal)
    files = query(
        tmp_path / "w.duckdb",
        "select table_name, file, rows_read, rows_loaded, rows_rejected from build_files "
        f"where file = '{JOURNAL_SOURCE}' order by table_name",
    )
    assert files.values.tolist() == [
        ["decisions", JOURNAL_SOURCE, 1, 1, 0],
        ["evidence", JOURNAL_SOURCE, 1, 1, 0],
        ["levels", JOURNAL_SOURCE, 0, 0, 0],
    ]
    notes = query(tmp_path / "w.duckdb", "select notes from builds")["notes"][0]
    assert f"entries recorded in the app read from the journal at {journal.describe()}" in notes


def test_a_library_build_without_a_journal_reads_none(tmp_path, source, journal, subject):
    person, level, _up, category = subject
    entries.record_evidence(journal, draft(person, level, category), who=BOSS, key="a")
    report = build(source, tmp_path / "w.duckdb")
    assert not any(f.file == JOURNAL_SOURCE for f in report.files)
    origins = query(tmp_path / "w.duckdb", "select distinct origin from evidence")
    assert origins["origin"].tolist() == ["evidence.csv"]


def test_origin_columns_exist_when_the_files_are_absent(tmp_path, source, journal):
    for name in ("evidence.csv", "decisions.csv"):
        (source / name).unlink()
    build(source, tmp_path / "w.duckdb", journal=journal)
    for table in ("evidence", "decisions"):
        assert "origin" in query(tmp_path / "w.duckdb", f"select * from {table}").columns


def test_a_save_during_a_rebuild_succeeds_and_reaches_the_next_build(
    tmp_path, source, journal, subject
):
    person, level, _up, category = subject
    saved, failures = [], []

    def save_while_building() -> None:
        try:
            for n in range(5):
                item = draft(person, level, category, summary=f"Saved during the build, {n}")
                saved.append(entries.record_evidence(journal, item, who=BOSS, key=f"k{n}").id)
        except Exception as exc:  # reported below, as the test's failure
            failures.append(exc)

    writer = threading.Thread(target=save_while_building)
    writer.start()
    build(source, tmp_path / "w.duckdb", journal=journal)
    writer.join()
    assert failures == []
    assert sorted(entries.evidence(journal)["evidence_id"]) == sorted(saved)
    build(source, tmp_path / "w.duckdb", journal=journal)
    loaded = query(tmp_path / "w.duckdb", "select evidence_id from evidence where origin = 'app'")
    assert sorted(loaded["evidence_id"]) == sorted(saved)


def test_data_health_lists_the_journal_as_a_source(tmp_path, source, journal, monkeypatch, subject):
    person, level, _up, category = subject
    entries.record_evidence(journal, draft(person, level, category), who=BOSS, key="a")
    build(source, tmp_path / "w.duckdb", journal=journal)
    at = on_page(open_app(monkeypatch, tmp_path / "w.duckdb"), "pages/data/data_health.py")
    no_errors(at)
    shown = everything_shown(at)
    assert JOURNAL_SOURCE in shown
    assert "1 recorded in the app" in shown
