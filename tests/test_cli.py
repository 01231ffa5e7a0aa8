"""The command line, end to end: what a user types, what they read, what the exit code says."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.importers.zendesk import pull_zendesk
from tests.pipeline_fixtures import TICKET_HEADER, TICKETS, make_source, query, write_csv
from tests.test_zendesk import EMAIL, TOKEN, RecordedZendesk

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def built(tmp_path: Path) -> Path:
    target = tmp_path / "w.duckdb"
    result = run(
        "build", "--source", make_source(tmp_path / "in"), "--warehouse", target, "--quiet"
    )
    assert result.exit_code == 0, result.output
    return target


def test_build_prints_the_report_and_writes_the_warehouse(built):
    assert query(built, "select count(*) from tickets") == [(5,)]


def test_build_with_a_broken_file_exits_1_and_says_the_old_warehouse_stayed(built, tmp_path):
    (tmp_path / "in" / "levels.csv").write_bytes(b"")
    result = run("build", "--source", tmp_path / "in", "--warehouse", built, "--quiet")
    assert result.exit_code == 1
    assert "levels.csv: is empty" in result.output
    assert "left untouched" in result.output
    assert query(built, "select count(*) from tickets") == [(5,)]


def test_check_exits_2_when_rows_were_rejected_and_lists_them(tmp_path):
    source = make_source(tmp_path / "in")
    write_csv(source / "tickets.csv", TICKET_HEADER, [TICKETS[0], ["T9", "E404", *TICKETS[0][2:]]])
    result = run("check", "--source", source)
    assert result.exit_code == 2
    assert "unknown engineer E404" in result.output
    assert list(tmp_path.glob("**/*.duckdb")) == []


def test_check_of_a_clean_folder_exits_0(tmp_path):
    assert run("check", "--source", make_source(tmp_path / "in")).exit_code == 0


def test_build_with_a_mapping_naming_a_missing_column_explains_without_traceback(tmp_path):
    (tmp_path / "export.csv").write_text("Id,Agent\n1,9001\n")
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[tickets]\nfile = "export.csv"\n[tickets.columns]\n'
        'ticket_id = "Id"\nassignee_id = "Agnt"\n'
    )
    result = run("build", "--mapping", mapping, "--warehouse", tmp_path / "w.duckdb", "--quiet")
    assert result.exit_code == 1
    assert "Agnt" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "w.duckdb").exists()


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_flags_prints_every_assessed_engineer_with_a_reason(built, fmt):
    result = run("flags", "--warehouse", built, "--format", fmt)
    assert result.exit_code == 0, result.output
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(result.output)))
        assert {r["engineer"] for r in rows} == {"E1", "E2"}
        assert all(r["reason"] for r in rows)
    elif fmt == "json":
        rows = json.loads(result.output)
        assert all(r["reason"] for r in rows)
    else:
        assert "E1" in result.output and "E2" in result.output


def test_flags_without_a_warehouse_says_what_to_run(tmp_path):
    result = run("flags", "--warehouse", tmp_path / "none.duckdb")
    assert result.exit_code == 1
    assert "python -m pipelines build" in result.output


def test_flags_rejects_an_unknown_format(built):
    result = run("flags", "--warehouse", built, "--format", "xml")
    assert result.exit_code == 1
    assert "not one of table, csv, json" in result.output


def test_zendesk_pull_builds_into_engineer_months_as_computed_by_hand(tmp_path):
    """Recorded Zendesk pages -> contract files -> warehouse -> January 2024 figures."""
    source = tmp_path / "pulled"
    pull_zendesk(
        "acme",
        EMAIL,
        TOKEN,
        source,
        transport=httpx.MockTransport(RecordedZendesk()),
        sleep=lambda _s: None,
        default_level="IC2",
    )
    target = tmp_path / "w.duckdb"
    result = run("build", "--source", source, "--warehouse", target, "--quiet")
    assert result.exit_code == 0, result.output
    rows = query(
        target,
        "select engineer_id, tickets_solved, sla_met, sla_breached, "
        "sla_adherence, round(median_open_hours, 4), csat_good, csat_bad "
        "from engineer_months where month = ? and tickets_solved > 0 "
        "order by engineer_id",
        [date(2024, 1, 1)],
    )
    assert rows == [
        # 101: 5 h, met, good; 104: closed after 48 h, its only breach event deleted -> met.
        ("9001", 2, 2, 0, 1.0, 26.5, 1, 0),
        # 102: reopened, solved after 51.5 h, breached; 107: 40 min, no SLA, good (new CSAT 5).
        ("9002", 2, 0, 1, 0.0, round((51.5 + 40 / 60) / 2, 4), 1, 0),
    ]
    # 103 is unassigned and 105 still open: both load, neither counts for anyone.
    assert query(target, "select count(*) from tickets") == [(6,)]


def test_flags_csv_opens_formula_names_as_plain_text(tmp_path):
    from tests.pipeline_fixtures import ENGINEERS

    source = make_source(tmp_path / "in")
    formula = '=HYPERLINK("http://evil.example","x")'
    people = [dict(p, name=formula) if p["engineer_id"] == "E1" else p for p in ENGINEERS]
    write_csv(source / "engineers.csv", list(ENGINEERS[0]), people)
    target = tmp_path / "w.duckdb"
    assert run("build", "--source", source, "--warehouse", target, "--quiet").exit_code == 0
    rows = list(
        csv.DictReader(io.StringIO(run("flags", "--warehouse", target, "--format", "csv").output))
    )
    assert {r["name"] for r in rows} == {"'" + formula, "Noor Vance"}


def test_flags_for_a_user_lists_only_whom_they_may_see_and_is_audited(
    fixture_warehouse, demo_source, monkeypatch, tmp_path
):
    import tomllib

    import duckdb

    from pipelines import audit

    journal = tmp_path / "journal.sqlite"
    monkeypatch.setenv("RUNGS_ACCESS_FILE", str(demo_source / "access.toml"))
    monkeypatch.setenv("RUNGS_JOURNAL_URL", str(journal))
    manager = tomllib.loads((demo_source / "access.toml").read_text())["roles"]["manager"][0]
    everyone = json.loads(run("flags", "--warehouse", fixture_warehouse, "--format", "json").output)
    assert audit.recent(path=journal).empty  # without --as-user nothing is exported for anyone

    result = run(
        "flags", "--warehouse", fixture_warehouse, "--format", "json", "--as-user", manager
    )
    assert result.exit_code == 0, result.output
    # Their subtree at the month, walked here from the reporting lines.
    with duckdb.connect(str(fixture_warehouse), read_only=True) as con:
        month = con.execute("select max(month) from readiness").fetchone()[0]
        me = con.execute("select engineer_id from engineers where email = ?", [manager]).fetchone()
        lines = con.execute(
            "select engineer_id, manager_id from reporting_lines where started_on <= last_day(?) "
            "and (ended_on is null or ended_on >= last_day(?))",
            [month, month],
        ).fetchall()
    below, frontier = {me[0]}, {me[0]}
    while frontier:
        frontier = {e for e, m in lines if m in frontier} - below
        below |= frontier
    mine = {r["engineer"] for r in json.loads(result.output)}
    assert mine == {r["engineer"] for r in everyone} & below
    assert 0 < len(mine) < len(everyone)
    log = audit.recent(path=journal)
    assert log[["who", "role", "action"]].values.tolist() == [[manager, "manager", "export"]]

    stranger = run("flags", "--warehouse", fixture_warehouse, "--as-user", "nobody@example.com")
    assert stranger.exit_code == 1
    assert "nobody@example.com has no access" in stranger.output
    assert len(audit.recent(path=journal)) == 1
