"""`refresh`: re-read or pull, then build; silent when fine, a short report and a non-zero
exit on a problem, never two at once; and the dashboard's warning when the data is old."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import httpx
import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from pipelines import refresh
from pipelines.cli import _resolve_source, app
from tests.pipeline_fixtures import TICKET_HEADER, TICKETS, make_source, query, write_csv
from tests.test_zendesk import EMAIL, TOKEN, RecordedZendesk
from tests.ui_fixtures import REPO

runner = CliRunner()


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return make_source(tmp_path / "in")


def refresh_args(source: Path, warehouse: Path, *extra: object) -> list[object]:
    return ["refresh", "--source", source, "--warehouse", warehouse, "--no-journal", *extra]


def test_refresh_that_goes_well_builds_and_prints_nothing(source, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    result = run(*refresh_args(source, warehouse))
    assert result.exit_code == 0
    assert result.output == ""  # cron mails every line
    assert query(warehouse, "select count(*) from tickets") == [(5,)]


def test_verbose_refresh_ends_with_a_one_line_summary(source, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    result = run(*refresh_args(source, warehouse, "--verbose"))
    assert result.exit_code == 0
    last = result.output.strip().splitlines()[-1]
    build_id = query(warehouse, "select build_id from builds")[0][0]
    loaded = query(warehouse, "select rows_loaded from builds")[0][0]
    assert last.startswith(
        f"refresh ok: build {build_id} into {warehouse} from {source}: "
        f"{loaded:,} rows loaded, 0 rejected"
    )


def test_failed_refresh_says_what_where_the_fix_and_what_the_app_keeps_showing(source, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    assert run(*refresh_args(source, warehouse)).exit_code == 0
    kept = query(warehouse, "select build_id from builds")[0][0]
    (source / "levels.csv").write_bytes(b"")
    result = run(*refresh_args(source, warehouse))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0] == f"error: refresh failed while building {warehouse}:"
    assert "levels.csv: is empty" in result.output and "Fix:" in result.output
    assert lines[-1].startswith(
        f"The warehouse {warehouse} was left as it was: the dashboard keeps showing build {kept}"
    )
    assert lines[-1].endswith("(0 minutes old).")
    assert query(warehouse, "select build_id from builds") == [(kept,)]


def test_refresh_without_any_input_is_refused_with_the_options_to_give(tmp_path):
    result = run("refresh", "--warehouse", tmp_path / "w.duckdb")
    assert result.exit_code == 1
    assert "Fix: give --mapping FILE, --source DIR or --zendesk DIR" in result.output


def test_zendesk_refresh_without_its_token_says_which_variable_to_set(tmp_path, monkeypatch):
    monkeypatch.delenv("RUNGS_TEST_ZENDESK_TOKEN", raising=False)
    result = run(
        "refresh",
        "--zendesk",
        tmp_path / "zendesk",
        "--subdomain",
        "acme",
        "--email",
        EMAIL,
        "--token-env",
        "RUNGS_TEST_ZENDESK_TOKEN",
        "--warehouse",
        tmp_path / "w.duckdb",
    )
    assert result.exit_code == 1
    assert "the environment variable RUNGS_TEST_ZENDESK_TOKEN is empty" in result.output
    assert not (tmp_path / "zendesk").exists()


def test_rows_rejected_build_but_exit_2_with_the_first_rows_to_fix(source, tmp_path):
    write_csv(source / "tickets.csv", TICKET_HEADER, [*TICKETS, ["T9", "E404", *TICKETS[0][2:]]])
    warehouse = tmp_path / "w.duckdb"
    # One row in six is more than the default 10% a build may reject: allow it here.
    result = run(*refresh_args(source, warehouse, "--max-rejected", "0.5"))
    assert result.exit_code == 2
    assert "but 1 row(s) were rejected" in result.output
    assert "tickets.csv, line 7" in result.output and "E404" in result.output
    assert f"`python -m pipelines check --source {source}` lists every one" in result.output
    assert query(warehouse, "select count(*) from tickets") == [(5,)]


def test_second_refresh_at_once_stops_naming_the_first(source, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    # The first refresh, in its own process, holds the lock until told to stop.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from pipelines.refresh import refresh_lock\n"
            "with refresh_lock(Path(sys.argv[1])):\n"
            "    print('held', flush=True); sys.stdin.readline()",
            str(warehouse),
        ],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        since = datetime.now().astimezone()
        result = run(*refresh_args(source, warehouse))
    finally:
        holder.communicate("\n", timeout=30)
    assert result.exit_code == refresh.EXIT_BUSY == 75
    assert f"another refresh of {warehouse} is running since " in result.output
    assert f"pid {holder.pid}" in result.output
    assert f"{since:%Y-%m-%d %H:}" in result.output
    assert "this one stopped without doing anything" in result.output
    assert not warehouse.exists()
    # Once the first is done, the next refresh runs.
    assert run(*refresh_args(source, warehouse)).exit_code == 0


# -- Zendesk, incrementally ----------------------------------------------------------------


def zendesk_source(folder: Path, api: RecordedZendesk) -> refresh.ZendeskSource:
    options = {"transport": httpx.MockTransport(api), "sleep": lambda _: None}
    return refresh.ZendeskSource(folder, "acme", EMAIL, TOKEN, client_options=options)


def ticket_ids(folder: Path) -> list[str]:
    with (folder / "tickets.csv").open(newline="") as f:
        return sorted(r["ticket_id"] for r in csv.DictReader(f))


def start_times(api: RecordedZendesk) -> set[str]:
    tickets = [u for u in api.requests if u.path.endswith("tickets/cursor.json")]
    return {u.params["start_time"] for u in tickets if "start_time" in u.params}


def test_zendesk_refresh_pulls_only_what_changed_and_keeps_the_rest(tmp_path):
    folder = tmp_path / "zendesk"
    first = RecordedZendesk()
    before = datetime.now(UTC)
    refresh.pull_zendesk_increment(zendesk_source(folder, first))
    everything = ticket_ids(folder)
    assert everything == ["101", "102", "103", "104", "105", "107"]  # 106 was deleted
    assert start_times(first) == {"0"}  # the first refresh pulls everything

    # The second finds nothing new: its tickets page is empty.
    empty = '{"tickets": [], "metric_sets": [], "after_url": null, "end_of_stream": true}'
    second = RecordedZendesk(script={"tickets_1": [(200, {}, empty)]})
    refresh.pull_zendesk_increment(zendesk_source(folder, second))
    (since,) = start_times(second)
    # From the first pull's start, less ten minutes' overlap.
    expected = before - refresh.OVERLAP
    assert abs(int(since) - expected.timestamp()) <= 5
    assert ticket_ids(folder) == everything  # what was pulled before is kept
    assert not (folder / refresh.INCREMENT_DIR).exists()


def test_zendesk_refresh_that_cannot_pull_fails_at_the_pull_and_keeps_the_files(tmp_path):
    folder = tmp_path / "zendesk"
    refresh.pull_zendesk_increment(zendesk_source(folder, RecordedZendesk()))
    kept = (folder / "tickets.csv").read_text()
    refused = RecordedZendesk(script={"users": [(401, {}, "{}")]})
    plan = refresh.RefreshPlan(
        tmp_path / "w.duckdb",
        REPO / "data" / "framework.toml",
        zendesk=zendesk_source(folder, refused),
    )
    with pytest.raises(refresh.RefreshFailed) as failure:
        refresh.run_refresh(plan, _resolve_source, tmp_path)
    assert failure.value.step == f"pulling from Zendesk into {folder}"
    assert "HTTP 401" in failure.value.message
    report = refresh.failure_report(plan, failure.value)
    assert report.startswith(f"refresh failed while pulling from Zendesk into {folder}:")
    assert report.endswith(
        f"Nothing was written; there is no earlier build at {tmp_path / 'w.duckdb'}."
    )
    assert (folder / "tickets.csv").read_text() == kept


# -- the app warns when the data is old ----------------------------------------------------


def age_build(source_warehouse: Path, target: Path, hours: float) -> Path:
    """A copy of the fixture warehouse whose build is `hours` old."""
    target.write_bytes(source_warehouse.read_bytes())
    with duckdb.connect(str(target)) as con:
        con.execute(
            "update builds set built_at = $t",
            {"t": datetime.now(UTC) - timedelta(hours=hours)},
        )
    return target


def open_app(monkeypatch, warehouse: Path) -> AppTest:
    monkeypatch.setenv("RUNGS_WAREHOUSE", str(warehouse))
    return AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=60).run()


def stale_warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.sidebar.warning if "old (built" in w.value]


def test_app_warns_on_every_page_when_the_build_is_older_than_the_setting(
    monkeypatch, fixture_warehouse, tmp_path
):
    monkeypatch.delenv("RUNGS_STALE_AFTER_HOURS", raising=False)
    old = age_build(fixture_warehouse, tmp_path / "old.duckdb", hours=50)
    at = open_app(monkeypatch, old)
    (warning,) = stale_warnings(at)
    assert warning.startswith("The data is 50 hours old (built ")
    assert "older than 36 hours (RUNGS_STALE_AFTER_HOURS)" in warning
    assert f"`python -m pipelines refresh --mapping FILE --warehouse {old}`" in warning
    at.switch_page("pages/data/data_health.py").run()
    assert len(stale_warnings(at)) == 1


def test_app_says_nothing_of_a_fresh_build_and_follows_the_setting(
    monkeypatch, fixture_warehouse, tmp_path
):
    recent = age_build(fixture_warehouse, tmp_path / "recent.duckdb", hours=30)
    monkeypatch.delenv("RUNGS_STALE_AFTER_HOURS", raising=False)
    assert stale_warnings(open_app(monkeypatch, recent)) == []
    monkeypatch.setenv("RUNGS_STALE_AFTER_HOURS", "24")
    (warning,) = stale_warnings(open_app(monkeypatch, recent))
    assert warning.startswith("The data is 30 hours old")
    assert "older than 24 hours" in warning


def test_describe_age_speaks_in_minutes_hours_then_days():
    assert refresh.describe_age(timedelta(minutes=1)) == "1 minute"
    assert refresh.describe_age(timedelta(minutes=90)) == "90 minutes"
    assert refresh.describe_age(timedelta(hours=50)) == "50 hours"
    assert refresh.describe_age(timedelta(days=4, hours=5)) == "4 days"
