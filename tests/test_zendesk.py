"""The Zendesk connector against recorded API pages (tests/fixtures/zendesk/api), written from the
documented response shapes and served by httpx.MockTransport or a local HTTP server.

The recorded account: agents 9001 and 9002, admin 9003, agent 9004 (no tickets).
Tickets: 101 solved with a met SLA and a good rating; 102 reopened once, its second reply
breached; 103 new and unassigned; 104 closed, its page lacks the metric_sets sideload, its
breach event was deleted and its new-CSAT answer is 3; 105 open with its SLA still running;
106 deleted; 107 solved, new-CSAT answer 5.
"""

from __future__ import annotations

import base64
import csv
import http.server
import json
import logging
import threading
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.errors import SourceError
from pipelines.importers.zendesk import PULL_DIR, STATE_FILE, pull_zendesk
from pipelines.importers.zendesk_transform import csat_from_score, sla_breached
from tests.pipeline_fixtures import query

FIXTURES = Path(__file__).parent / "fixtures" / "zendesk"
API = FIXTURES / "api"
# Airbyte's Zendesk output, invented: agents 7101 (tickets 201, 202) and 7102 (203-205), admin
# 7103. airbyte_records/ holds one file per stream of {"stream", "data", "emitted_at"} records,
# an unused "groups" stream and the sync's catalog.json; tickets carry their satisfaction_rating
# and ticket 201 appears twice (open, then solved). airbyte_messages/ is one `read` output of
# protocol messages (LOG and STATE among them) that adds SLA events and a separate
# satisfaction_ratings stream disagreeing with ticket 202's embedded rating.
AIRBYTE_RECORDS = FIXTURES / "airbyte_records"
AIRBYTE_MESSAGES = FIXTURES / "airbyte_messages"
RECORDED_BASE = "https://acme.zendesk.com"
TOKEN = "tok-3f9a-never-on-disk-7c21"
EMAIL = "lead@example.com"

# Worked out by hand from the recorded pages (see the module docstring).
EXPECTED_TICKETS = [
    {
        "ticket_id": "101",
        "assignee_id": "9001",
        "created_at": "2024-01-02T09:00:00Z",
        "solved_at": "2024-01-02T14:00:00Z",
        "status": "solved",
        "priority": "normal",
        "sla_breached": "false",
        "csat": "good",
        "reopens": "0",
        "updated_at": "2024-01-02T15:00:00Z",
    },
    {
        "ticket_id": "102",
        "assignee_id": "9002",
        "created_at": "2024-01-03T08:00:00Z",
        "solved_at": "2024-01-05T11:30:00Z",
        "status": "solved",
        "priority": "high",
        "sla_breached": "true",
        "csat": "",
        "reopens": "1",
        "updated_at": "2024-01-05T12:00:00Z",
    },
    {
        "ticket_id": "103",
        "assignee_id": "",
        "created_at": "2024-01-04T16:20:00Z",
        "solved_at": "",
        "status": "new",
        "priority": "",
        "sla_breached": "",
        "csat": "unoffered",
        "reopens": "0",
        "updated_at": "2024-01-04T16:20:00Z",
    },
    {
        "ticket_id": "104",
        "assignee_id": "9001",
        "created_at": "2024-01-06T10:00:00Z",
        "solved_at": "2024-01-08T10:00:00Z",
        "status": "closed",
        "priority": "low",
        "sla_breached": "false",
        "csat": "",
        "reopens": "0",
        "updated_at": "2024-01-08T10:00:00Z",
    },
    {
        "ticket_id": "105",
        "assignee_id": "9003",
        "created_at": "2024-01-07T07:45:00Z",
        "solved_at": "",
        "status": "open",
        "priority": "urgent",
        "sla_breached": "",
        "csat": "offered",
        "reopens": "0",
        "updated_at": "2024-01-07T09:00:00Z",
    },
    {
        "ticket_id": "107",
        "assignee_id": "9002",
        "created_at": "2024-01-08T13:00:00Z",
        "solved_at": "2024-01-08T13:40:00Z",
        "status": "solved",
        "priority": "normal",
        "sla_breached": "",
        "csat": "good",
        "reopens": "0",
        "updated_at": "2024-01-08T13:40:00Z",
    },
]


class RecordedZendesk:
    """Answers API requests with the recorded pages, remembering every request.

    `script` holds responses to give before the recorded page, per fixture name, to simulate
    rate limits and outages.
    """

    def __init__(self, base: str = RECORDED_BASE, script: dict | None = None):
        self.base = base
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.requests: list[httpx.URL] = []

    def page_name(self, path: str, query: dict) -> str:
        if path == "/api/v2/incremental/tickets/cursor.json":
            return "tickets_2" if "cursor" in query else "tickets_1"
        if path == "/api/v2/incremental/ticket_metric_events.json":
            return (
                "ticket_metric_events_2"
                if query["start_time"] == ["1704362400"]
                else "ticket_metric_events_1"
            )
        return {
            "/api/v2/users": "users",
            "/api/v2/satisfaction_ratings": "satisfaction_ratings",
            "/api/v2/guide/survey_responses": "survey_responses",
        }[path]

    def respond(self, url: str) -> tuple[int, dict, str]:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        name = self.page_name(parts.path, query)
        if self.script.get(name):
            return self.script[name].pop(0)
        body = json.loads((API / f"{name}.json").read_text())
        if name == "survey_responses":
            wanted = set(query["filter[subject_zrns]"][0].split(","))
            body["survey_responses"] = [
                r for r in body["survey_responses"] if wanted & set(r["subject_zrns"])
            ]
        return 200, {}, json.dumps(body).replace(RECORDED_BASE, self.base)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request.url)
        status, headers, text = self.respond(str(request.url))
        return httpx.Response(status, headers=headers, text=text)


def pull(out: Path, api: RecordedZendesk, **kwargs):
    sleeps: list[float] = []
    report = pull_zendesk(
        "acme", EMAIL, TOKEN, out, transport=httpx.MockTransport(api), sleep=sleeps.append, **kwargs
    )
    return report, sleeps


def read_rows(path: Path) -> list[dict]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_pull_writes_contract_tickets_matching_hand_computed_values(tmp_path):
    report, _ = pull(tmp_path, RecordedZendesk())
    assert read_rows(tmp_path / "tickets.csv") == EXPECTED_TICKETS
    assert report.counts["tickets"] == 6
    assert report.counts["deleted_tickets_skipped"] == 1
    assert (report.counts["sla_met"], report.counts["sla_breached"]) == (2, 1)


def test_pull_follows_every_page_of_cursor_and_time_based_exports(tmp_path):
    api = RecordedZendesk()
    pull(tmp_path, api)
    ticket_pages = [u for u in api.requests if u.path.endswith("tickets/cursor.json")]
    assert len(ticket_pages) == 2
    assert ticket_pages[0].params["include"] == "metric_sets"
    assert ticket_pages[1].params["cursor"] == "MTcwNDQ0ODAwMC4wfHwxMDN8"
    event_pages = [u for u in api.requests if u.path.endswith("ticket_metric_events.json")]
    assert [u.params["start_time"] for u in event_pages] == ["0", "1704362400"]
    users = next(u for u in api.requests if u.path == "/api/v2/users")
    assert users.params.get_list("role[]") == ["agent", "admin"]


def test_rate_limited_request_waits_for_retry_after_then_continues(tmp_path):
    api = RecordedZendesk(script={"tickets_2": [(429, {"Retry-After": "7"}, "{}")]})
    report, sleeps = pull(tmp_path, api)
    assert sleeps == [7.0]
    assert report.retries == 1
    assert read_rows(tmp_path / "tickets.csv") == EXPECTED_TICKETS


def test_page_without_metric_sets_sideload_uses_last_update_as_solve_time(tmp_path):
    report, _ = pull(tmp_path, RecordedZendesk())
    rows = {r["ticket_id"]: r for r in read_rows(tmp_path / "tickets.csv")}
    assert rows["104"]["solved_at"] == rows["104"]["updated_at"] == "2024-01-08T10:00:00Z"
    assert report.counts["solved_at_from_updated_at"] == 2  # 104 and 107
    assert any("without their metric set" in n for n in report.notes)


def test_unassigned_ticket_loads_without_assignee_and_gets_no_engineer(tmp_path):
    pull(tmp_path, RecordedZendesk())
    rows = {r["ticket_id"]: r for r in read_rows(tmp_path / "tickets.csv")}
    assert rows["103"]["assignee_id"] == ""
    engineers = read_rows(tmp_path / "engineers.csv")
    assert [e["engineer_id"] for e in engineers] == ["9001", "9002", "9003"]


def test_reopened_ticket_keeps_latest_solve_and_counts_its_reopen(tmp_path):
    pull(tmp_path, RecordedZendesk())
    row = next(r for r in read_rows(tmp_path / "tickets.csv") if r["ticket_id"] == "102")
    assert (row["solved_at"], row["reopens"]) == ("2024-01-05T11:30:00Z", "1")


def test_breach_in_any_instance_breaches_the_target():
    events = [
        {"id": 1, "metric": "reply_time", "instance_id": 1, "type": "apply_sla"},
        {"id": 2, "metric": "reply_time", "instance_id": 1, "type": "fulfill", "time": "t1"},
        {"id": 3, "metric": "reply_time", "instance_id": 2, "type": "breach", "time": "t2"},
    ]
    assert sla_breached(events) is True


def test_deleted_breach_event_does_not_count():
    events = [
        {
            "id": 1,
            "metric": "requester_wait_time",
            "instance_id": 1,
            "type": "apply_sla",
            "time": "2024-01-01T00:00:00Z",
        },
        {
            "id": 2,
            "metric": "requester_wait_time",
            "instance_id": 1,
            "type": "breach",
            "time": "2024-01-02T00:00:00Z",
            "deleted": True,
        },
        {
            "id": 3,
            "metric": "requester_wait_time",
            "instance_id": 1,
            "type": "fulfill",
            "time": "2024-01-03T00:00:00Z",
        },
    ]
    assert sla_breached(events) is False


def test_sla_counts_nowhere_while_a_target_is_running_or_without_target():
    applied = {
        "id": 1,
        "metric": "reply_time",
        "instance_id": 1,
        "type": "apply_sla",
        "time": "2024-01-01T00:00:00Z",
    }
    fulfilled = {
        "id": 2,
        "metric": "reply_time",
        "instance_id": 1,
        "type": "fulfill",
        "time": "2024-01-01T01:00:00Z",
    }
    reactivated = {
        "id": 3,
        "metric": "reply_time",
        "instance_id": 1,
        "type": "activate",
        "time": "2024-01-01T02:00:00Z",
    }
    assert sla_breached([applied]) is None
    assert sla_breached([applied, fulfilled]) is False
    assert sla_breached([applied, fulfilled, reactivated]) is None
    assert sla_breached([fulfilled]) is None  # a clock with no SLA target is not a target


def test_new_csat_answers_count_four_and_five_good_one_and_two_bad_three_neither(tmp_path):
    assert [csat_from_score(s) for s in (1, 2, 3, 4, 5)] == ["bad", "bad", None, "good", "good"]
    pull(tmp_path, RecordedZendesk())
    rows = {r["ticket_id"]: r for r in read_rows(tmp_path / "tickets.csv")}
    # Zendesk's legacy field says "bad" for 104 (it folds 3 into bad); the answer itself wins.
    assert rows["104"]["csat"] == ""
    assert rows["107"]["csat"] == "good"


def test_interrupted_pull_resumes_from_saved_cursor_without_refetching(tmp_path):
    outage = (500, {}, '{"error": "InternalError"}')
    first = RecordedZendesk(script={"tickets_2": [outage]})
    with pytest.raises(SourceError, match="HTTP 500"):
        pull(tmp_path, first)
    assert not (tmp_path / "tickets.csv").exists()  # nothing half-written
    state = json.loads((tmp_path / STATE_FILE).read_text())
    assert "cursor=" in state["streams"]["tickets"]["next"]

    second = RecordedZendesk()
    report, _ = pull(tmp_path, second)
    assert report.resumed
    assert not any(u.path == "/api/v2/users" for u in second.requests)
    assert [
        u.params.get("cursor") for u in second.requests if u.path.endswith("tickets/cursor.json")
    ] == ["MTcwNDQ0ODAwMC4wfHwxMDN8"]
    assert read_rows(tmp_path / "tickets.csv") == EXPECTED_TICKETS


def test_token_is_never_written_printed_or_logged(tmp_path, caplog, capsys):
    secrets = [TOKEN, base64.b64encode(f"{EMAIL}/token:{TOKEN}".encode()).decode()]
    caplog.set_level(logging.DEBUG)
    pull(tmp_path / "ok", RecordedZendesk(), progress=True)
    refused = RecordedZendesk(script={"users": [(401, {}, '{"error": "Couldn\'t authenticate"}')]})
    with pytest.raises(SourceError) as failure:
        pull(tmp_path / "refused", refused)
    out = capsys.readouterr()
    seen = [caplog.text, out.out, out.err, str(failure.value)]
    seen += [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
    assert len(seen) > 6  # the pull really wrote its files and state
    for secret in secrets:
        assert not any(secret in text for text in seen)


def test_refused_token_names_http_status_and_fix_and_writes_nothing(tmp_path):
    api = RecordedZendesk(script={"users": [(401, {}, "{}")]})
    with pytest.raises(SourceError, match=r"HTTP 401 for /api/v2/users.*--token-env"):
        pull(tmp_path, api)
    assert not list(tmp_path.glob("*.csv"))


def test_next_page_link_to_another_host_is_refused(tmp_path):
    api = RecordedZendesk()
    api.base = "https://evil.example.com"  # the recorded links now point elsewhere
    with pytest.raises(SourceError, match="another host"):
        pull(tmp_path, api)


def test_from_files_reads_a_saved_pull_and_raw_api_pages_alike(tmp_path):
    pull(tmp_path / "live", RecordedZendesk())
    pull_zendesk("acme", EMAIL, "", tmp_path / "saved", from_files=tmp_path / "live" / PULL_DIR)
    pull_zendesk("acme", EMAIL, "", tmp_path / "pages", from_files=API)
    expected = (tmp_path / "live" / "tickets.csv").read_text()
    assert (tmp_path / "saved" / "tickets.csv").read_text() == expected
    assert (tmp_path / "pages" / "tickets.csv").read_text() == expected


def test_from_files_reports_bad_json_with_file_and_line(tmp_path):
    (tmp_path / "tickets.jsonl").write_text('{"id": 1, "status": "open"}\n{"id": 2,\n')
    with pytest.raises(SourceError, match=r"tickets.jsonl, line 2: not valid JSON"):
        pull_zendesk("acme", EMAIL, "", tmp_path / "out", from_files=tmp_path)


def test_engineer_stubs_keep_the_users_edits_and_add_new_agents(tmp_path):
    pull(tmp_path, RecordedZendesk())
    rows = read_rows(tmp_path / "engineers.csv")
    first = rows[0]
    assert first == {
        "engineer_id": "9001",
        "name": "Avery Lindqvist",
        "email": "avery.lindqvist@example.com",
        "team": "unknown",
        "region": "unknown",
        "manager_id": "",
        "hire_date": "2022-03-14",
        "team_lead": "false",
        "left_on": "",
        "onboarded_on": "",
    }
    first["team"], first["region"] = "Payments", "EMEA"
    with (tmp_path / "engineers.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(first))
        writer.writeheader()
        writer.writerow(first)  # the user kept only 9001, edited
    report, _ = pull(tmp_path, RecordedZendesk(), default_level="IC1")
    rows = read_rows(tmp_path / "engineers.csv")
    assert [(r["engineer_id"], r["team"]) for r in rows] == [
        ("9001", "Payments"),
        ("9002", "unknown"),
        ("9003", "unknown"),
    ]
    assert report.counts["engineers_new"] == 2
    assert read_rows(tmp_path / "levels.csv") == [
        {"engineer_id": "9002", "level": "IC1", "effective_on": "2023-06-01"},
        {"engineer_id": "9003", "level": "IC1", "effective_on": "2021-09-20"},
    ]


def test_pull_over_real_http_from_a_local_server(tmp_path):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            status, headers, text = api.respond(self.path)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(text.encode())

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    api = RecordedZendesk(base=base)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        pull_zendesk("acme", EMAIL, TOKEN, tmp_path, base_url=base)
    finally:
        server.shutdown()
        server.server_close()
    assert read_rows(tmp_path / "tickets.csv") == EXPECTED_TICKETS


@pytest.mark.parametrize("subdomain", ["evil.example#", "acme.evil.example", "a b", ""])
def test_subdomain_that_could_point_elsewhere_is_refused_before_any_request(tmp_path, subdomain):
    api = RecordedZendesk()
    with pytest.raises(SourceError, match="is not a Zendesk subdomain"):
        pull_zendesk(subdomain, EMAIL, TOKEN, tmp_path, transport=httpx.MockTransport(api))
    assert api.requests == []


# -- saved files in other shapes: the API's names, Airbyte output, and never a silent zero ------


def columns(path: Path, *names: str) -> list[tuple]:
    return [tuple(r[n] for n in names) for r in read_rows(path)]


def test_ticket_metrics_file_named_after_the_endpoint_gives_the_solve_times(tmp_path):
    pages = [json.loads((API / f"tickets_{n}.json").read_text()) for n in (1, 2)]
    saved = tmp_path / "saved"
    saved.mkdir()
    tickets = [t for page in pages for t in page["tickets"]]
    metrics = [m for page in pages for m in page.get("metric_sets", [])]
    (saved / "tickets.jsonl").write_text("".join(json.dumps(t) + "\n" for t in tickets))
    # Half as bare objects in ticket_metrics.jsonl, half as a GET /api/v2/ticket_metrics page.
    (saved / "ticket_metrics.jsonl").write_text("".join(json.dumps(m) + "\n" for m in metrics[:2]))
    (saved / "ticket_metrics.json").write_text(json.dumps({"ticket_metrics": metrics[2:]}))
    report = pull_zendesk("acme", EMAIL, "", tmp_path / "out", from_files=saved)
    solved = {r["ticket_id"]: r["solved_at"] for r in read_rows(tmp_path / "out" / "tickets.csv")}
    assert solved["101"] == "2024-01-02T14:00:00Z"
    assert solved["102"] == "2024-01-05T11:30:00Z"
    assert report.counts["tickets"] == 6
    # Only 104 and 107 lack a metric set, exactly as with the sideload.
    assert report.counts["solved_at_from_updated_at"] == 2
    assert report.warnings == []


def test_airbyte_records_are_unwrapped_and_routed_by_stream(tmp_path):
    report = pull_zendesk("acme", EMAIL, "", tmp_path, from_files=AIRBYTE_RECORDS)
    assert columns(tmp_path / "tickets.csv", "ticket_id", "status", "solved_at", "reopens") == [
        ("201", "solved", "2024-02-05T12:00:00Z", "0"),  # the later of its two records
        ("202", "closed", "2024-02-07T09:00:00Z", "1"),
        ("203", "solved", "2024-02-07T10:30:00Z", "0"),
        ("204", "open", "", "0"),
        ("205", "solved", "2024-02-09T20:00:00Z", "0"),
    ]
    assert columns(tmp_path / "engineers.csv", "engineer_id", "name", "hire_date") == [
        ("7101", "Maren Okafor", "2022-05-09"),
        ("7102", "Tobiah Lund", "2023-01-16"),
    ]
    assert report.counts["tickets"] == 5
    assert report.counts["solved_at_from_updated_at"] == 0
    assert "skipped records of Airbyte streams Rungs does not use: groups (2)" in report.notes


def test_airbyte_protocol_messages_keep_records_and_count_the_rest(tmp_path):
    report = pull_zendesk("acme", EMAIL, "", tmp_path, from_files=AIRBYTE_MESSAGES)
    assert columns(tmp_path / "tickets.csv", "ticket_id", "sla_breached", "solved_at") == [
        ("201", "false", "2024-02-05T12:00:00Z"),
        ("202", "true", "2024-02-07T09:00:00Z"),
        ("203", "", "2024-02-07T10:30:00Z"),
        ("204", "", ""),
        ("205", "", "2024-02-09T20:00:00Z"),
    ]
    assert (report.counts["sla_met"], report.counts["sla_breached"]) == (1, 1)
    assert "skipped 5 Airbyte message(s) that are not records: 2 LOG, 3 STATE" in report.notes
    assert report.warnings == []
    assert "skipped 5 Airbyte message(s)" in report.render()


def test_satisfaction_rating_inside_tickets_is_the_csat_without_a_ratings_file(tmp_path):
    report = pull_zendesk("acme", EMAIL, "", tmp_path, from_files=AIRBYTE_RECORDS)
    assert columns(tmp_path / "tickets.csv", "ticket_id", "csat") == [
        ("201", "good"),
        ("202", "bad"),
        ("203", "offered"),
        ("204", "unoffered"),
        ("205", ""),  # its satisfaction_rating is null
    ]
    assert (report.counts["csat_good"], report.counts["csat_bad"]) == (1, 1)
    assert (
        "CSAT comes from the satisfaction_rating inside 4 ticket(s): no separate "
        "satisfaction ratings were found" in report.notes
    )
    assert "CSAT: 1 good, 1 bad" in report.render()


def test_separate_satisfaction_ratings_win_over_the_ones_inside_tickets_and_say_so(tmp_path):
    report = pull_zendesk("acme", EMAIL, "", tmp_path, from_files=AIRBYTE_MESSAGES)
    # 202 says bad inside the ticket, good in the ratings stream; 203 and 204 have no rating there.
    assert columns(tmp_path / "tickets.csv", "ticket_id", "csat") == [
        ("201", "good"),
        ("202", "good"),
        ("203", ""),
        ("204", ""),
        ("205", "bad"),
    ]
    assert (report.counts["csat_good"], report.counts["csat_bad"]) == (2, 1)
    assert (
        "CSAT comes from the 3 separate satisfaction rating(s); the ratings carried inside "
        "4 ticket(s) were not used (the separate ratings win when both are present)"
    ) in report.notes


def test_rating_score_rungs_does_not_know_is_left_empty_and_named(tmp_path):
    ticket = {"id": 1, "status": "solved", "assignee_id": 5, "created_at": "2024-03-01T00:00:00Z"}
    rated = dict(ticket, updated_at="2024-03-01T01:00:00Z", satisfaction_rating={"score": "great"})
    (tmp_path / "tickets.jsonl").write_text(json.dumps(rated) + "\n")
    report = pull_zendesk("acme", EMAIL, "", tmp_path / "out", from_files=tmp_path)
    assert columns(tmp_path / "out" / "tickets.csv", "csat") == [("",)]
    assert any("scores Rungs does not know were left empty: 'great' (1)" in n for n in report.notes)


def test_unknown_files_are_a_warning_naming_them(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    for name in ("tickets.jsonl", "users.jsonl"):
        (folder / name).write_text((AIRBYTE_RECORDS / name).read_text())
    (folder / "organizations.jsonl").write_text('{"id": 1, "name": "Northwind"}\n')
    (folder / "notes.txt").write_text("exported on Friday\n")
    report = pull_zendesk("acme", EMAIL, "", tmp_path / "out", from_files=folder)
    assert report.counts["tickets"] == 5
    [warning] = report.warnings
    assert (
        f"did not read them: {folder / 'notes.txt'}, {folder / 'organizations.jsonl'}." in warning
    )
    assert "Fix: rename a file that holds one of these" in warning
    assert "warning: the connector does not know these file(s)" in report.render()


def test_folder_without_tickets_is_an_error_naming_the_folder_and_its_files(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "users.jsonl").write_text((AIRBYTE_RECORDS / "users.jsonl").read_text())
    (folder / "zendesk_backup.jsonl").write_text('{"ticket": {"id": 1}}\n')
    with pytest.raises(SourceError) as failure:
        pull_zendesk("acme", EMAIL, "", tmp_path / "out", from_files=folder)
    message = str(failure.value)
    assert message.startswith(f"{folder} yielded no tickets, so nothing was written.")
    assert (
        "Files read: users.jsonl (3 users); zendesk_backup.jsonl (nothing the connector reads)."
        in message
    )
    assert "Expected tickets as tickets.jsonl or tickets.json" in message
    backup = folder / "zendesk_backup.jsonl"
    assert f"the connector does not know these file(s) and did not read them: {backup}" in message
    assert not (tmp_path / "out").exists()


def test_ticket_records_without_ids_are_an_error_that_says_so(tmp_path):
    # Wrapped in a shape the connector does not unwrap, so each line reads as a ticket sans id.
    (tmp_path / "tickets.jsonl").write_text('{"payload": {"id": 1}}\n{"payload": {"id": 2}}\n')
    with pytest.raises(SourceError, match=r"2 ticket record\(s\) were read, but 2 had no id"):
        pull_zendesk("acme", EMAIL, "", tmp_path / "out", from_files=tmp_path)


def test_live_pull_that_returns_no_tickets_is_an_error_and_a_rerun_asks_again(tmp_path):
    empty = (200, {}, json.dumps({"tickets": [], "metric_sets": [], "end_of_stream": True}))
    api = RecordedZendesk(script={"tickets_1": [empty]})
    with pytest.raises(SourceError) as failure:
        pull(tmp_path, api, since="2024-06-01")
    assert str(failure.value).startswith(
        "Zendesk returned no tickets updated since 2024-06-01, so nothing was written."
    )
    assert "Fix: give an earlier --since" in str(failure.value)
    assert not (tmp_path / "tickets.csv").exists()
    report, _ = pull(tmp_path, RecordedZendesk(), since="2024-06-01")
    assert not report.resumed
    assert report.counts["tickets"] == 6


def test_pull_from_airbyte_folder_then_build_gives_the_hand_computed_months(tmp_path):
    runner = CliRunner()
    source, target = tmp_path / "pulled", tmp_path / "w.duckdb"
    pull_args = ["pull", "zendesk", "--from-files", str(AIRBYTE_RECORDS), "--out", str(source)]
    pulled = runner.invoke(app, [*pull_args, "--level", "IC2", "--quiet"])
    assert pulled.exit_code == 0, pulled.output
    assert "tickets: 5 (0 unassigned, 0 deleted skipped)" in pulled.output
    assert f"did not read them: {AIRBYTE_RECORDS / 'catalog.json'}" in pulled.output
    built = runner.invoke(app, ["build", "--source", str(source), "--warehouse", str(target)])
    assert built.exit_code == 0, built.output
    rows = query(
        target,
        "select engineer_id, tickets_solved, round(median_open_hours, 4), csat_good, csat_bad "
        "from engineer_months where month = ? and tickets_solved > 0 order by engineer_id",
        [date(2024, 2, 1)],
    )
    assert rows == [
        ("7101", 2, 14.0, 1, 1),  # 201 in 4 h (good), 202 in 24 h (bad)
        ("7102", 2, 3.25, 0, 0),  # 203 in 30 min (offered), 205 in 6 h (no rating)
    ]


def test_pull_of_a_folder_without_tickets_exits_non_zero_naming_it(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "groups.jsonl").write_text((AIRBYTE_RECORDS / "groups.jsonl").read_text())
    result = CliRunner().invoke(
        app, ["pull", "zendesk", "--from-files", str(folder), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 1
    assert f"error: {folder} yielded no tickets" in result.output
    assert "groups.jsonl (2 'groups' record(s) skipped)" in result.output
