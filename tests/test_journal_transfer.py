"""`journal export` and `journal import`: a backup that loses nothing, a second import that adds
nothing, and CSV rows checked by the contract's models with a file, line and fix for each bad
one."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.journal import entries
from pipelines.journal.store import open_journal

BOSS = "boss@example.com"
runner = CliRunner()


def fill(journal) -> None:
    """Versions, a removal, a proposal, a calibrated promotion with its snapshot."""
    first = entries.EvidenceDraft(
        "E0001", date(2026, 9, 3), "Teamwork", "IC3", "Ran the handover, with a comma"
    )
    item = entries.record_evidence(journal, first, who=BOSS, key="e1")
    entries.record_evidence(
        journal,
        entries.EvidenceDraft("E0001", date(2026, 9, 3), "Teamwork", "IC3", "Line one\nline two"),
        who=BOSS,
        key="e2",
        evidence_id=item.id,
    )
    gone = entries.record_evidence(
        journal,
        entries.EvidenceDraft("E0002", date(2026, 8, 1), "Impact", "IC2", "Recorded twice"),
        who=BOSS,
        key="e3",
    )
    entries.remove_evidence(journal, gone.id, who=BOSS, reason="duplicate", key="e4")
    for stage, key in (("proposed", "d1"), ("calibrated", "d2")):
        entries.record_decision(
            journal,
            entries.DecisionDraft(
                "2026-H2",
                "E0001",
                stage,
                "promotion",
                date(2026, 10, 2),
                "Ready at IC4",
                "IC4",
                date(2026, 11, 1),
            ),
            who=BOSS,
            key=key,
            snapshot=entries.Snapshot("E0001", "b-1", "v1", {"flags": ["ready"], "n": 3}),
        )


def state(journal) -> list[pd.DataFrame]:
    return [
        entries.evidence(journal, include_removed=True),
        entries.decisions(journal),
        entries.decision_history(journal),
        entries.snapshots(journal),
    ]


@pytest.fixture
def source(tmp_path):
    journal = open_journal(tmp_path / "source.sqlite")
    fill(journal)
    return journal


def test_export_then_import_into_an_empty_journal_reproduces_it(tmp_path, source):
    result = runner.invoke(
        app, ["journal", "export", "--out", str(tmp_path / "out"), "--journal", source.url]
    )
    assert result.exit_code == 0, result.output
    assert f"journal at {source.describe()} exported to {tmp_path / 'out'}" in result.output
    copy = tmp_path / "copy.sqlite"
    result = runner.invoke(
        app, ["journal", "import", str(tmp_path / "out"), "--journal", str(copy)]
    )
    assert result.exit_code == 0, result.output
    assert "added 8, already there 0, rejected 0" in result.output  # 6 entries, 2 snapshots
    for before, after in zip(state(source), state(open_journal(copy)), strict=True):
        pd.testing.assert_frame_equal(before, after)

    again = runner.invoke(app, ["journal", "import", str(tmp_path / "out"), "--journal", str(copy)])
    assert again.exit_code == 0
    assert "added 0, already there 8, rejected 0" in again.output


def test_the_csv_files_hold_the_current_state_in_the_input_contract(tmp_path, source):
    runner.invoke(
        app, ["journal", "export", "--out", str(tmp_path / "out"), "--journal", source.url]
    )
    evidence = pd.read_csv(tmp_path / "out" / "evidence.csv", dtype=str, keep_default_na=False)
    assert list(evidence.columns) == [
        "evidence_id",
        "engineer_id",
        "observed_on",
        "category",
        "level",
        "kind",
        "summary",
        "link",
        "source",
        "recorded_by",
    ]
    assert evidence[["summary", "recorded_by"]].values.tolist() == [
        ["Line one\nline two", BOSS]
    ]  # the removed item and the older version are only in entries.jsonl
    decisions = pd.read_csv(tmp_path / "out" / "decisions.csv", dtype=str)
    assert decisions.values.tolist() == [["E0001", "2026-10-02", "promotion", "Ready at IC4"]]


def test_csv_files_alone_import_once_and_bad_rows_are_reported_by_line(tmp_path, source):
    runner.invoke(
        app, ["journal", "export", "--out", str(tmp_path / "out"), "--journal", source.url]
    )
    for name in ("entries.jsonl", "snapshots.jsonl"):
        (tmp_path / "out" / name).unlink()
    with (tmp_path / "out" / "evidence.csv").open("a", encoding="utf-8") as fh:
        # The exported item spans lines 2 and 3 (a line break in its summary).
        fh.write("X-2,E0003,2026-02-30,Impact,IC2,example,Took the night shift,,manager,\n")
        fh.write("X-3,E0003,2026-02-01,impact,ic2,,=HYPERLINK(1),,,\n")
        fh.write("X-4,E0003,2026-02-01,impact,ic2,,Mentored two new hires,,,\n")
    target = tmp_path / "target.sqlite"
    first = runner.invoke(
        app, ["journal", "import", str(tmp_path / "out"), "--journal", str(target)]
    )
    assert first.exit_code == 2  # some rows were refused; the others loaded
    assert "added 3, already there 0, rejected 2" in first.output
    assert "evidence.csv line 4: observed_on '2026-02-30' is not a date" in first.output
    assert "evidence.csv line 5: summary starts like a spreadsheet formula" in first.output
    imported = open_journal(target)
    mentored = entries.evidence(imported).set_index("evidence_id").loc["X-4"]
    assert (mentored["category"], mentored["level"], mentored["kind"]) == (
        "Impact",
        "IC2",
        "example",
    )
    calibrated = entries.decisions(imported)
    assert calibrated[["cycle", "stage", "outcome", "rationale"]].values.tolist() == [
        ["2026-H2", "calibrated", "promotion", "Ready at IC4"]
    ]
    second = runner.invoke(
        app, ["journal", "import", str(tmp_path / "out"), "--journal", str(target)]
    )
    assert "added 0, already there 3, rejected 2" in second.output


def test_csv_rows_already_in_the_journal_are_not_added_again(tmp_path, source):
    runner.invoke(
        app, ["journal", "export", "--out", str(tmp_path / "out"), "--journal", source.url]
    )
    for name in ("entries.jsonl", "snapshots.jsonl"):
        (tmp_path / "out" / name).unlink()
    back = runner.invoke(app, ["journal", "import", str(tmp_path / "out"), "--journal", source.url])
    assert "added 0, already there 2, rejected 0" in back.output


def test_import_names_the_folder_to_give_when_it_is_wrong(tmp_path):
    missing = runner.invoke(app, ["journal", "import", str(tmp_path / "nope")])
    assert missing.exit_code == 1
    assert "folder not found" in missing.output
    (tmp_path / "empty").mkdir()
    empty = runner.invoke(app, ["journal", "import", str(tmp_path / "empty")])
    assert empty.exit_code == 1
    assert "holds none of entries.jsonl, evidence.csv, decisions.csv" in empty.output


def test_export_of_a_journal_that_does_not_exist_says_so(tmp_path):
    result = runner.invoke(
        app, ["journal", "export", "--out", str(tmp_path / "out"), "--journal", str(tmp_path / "x")]
    )
    assert result.exit_code == 1
    assert "no journal there" in result.output
    assert not (tmp_path / "x").exists()


def test_a_postgres_password_is_never_printed(tmp_path):
    url = "postgresql://rungs:s3cret@127.0.0.1:1/none"
    result = runner.invoke(app, ["journal", "import", str(tmp_path), "--journal", url])
    assert result.exit_code == 1
    assert "s3cret" not in result.output
