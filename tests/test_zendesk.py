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
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from pipelines.errors import SourceError
from pipelines.importers.zendesk import PULL_DIR, STATE_FILE, pull_zendesk
from pipelines.importers.zendesk_transform import csat_from_score, sla_breached

API = Path(__file__).parent / "fixtures" / "zendesk" / "api"
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
