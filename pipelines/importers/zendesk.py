"""Pull a Zendesk Support account into contract files: tickets.csv and engineers.csv stubs.

Answers "we use Zendesk": one command reads tickets (incremental cursor export with the
metric_sets sideload), ticket metric events (SLA), satisfaction ratings and new-CSAT survey
responses, and agent users, then writes the files `python -m pipelines build --source DIR` loads.

A pull is resumable: every page is appended to DIR/.zendesk_pull/<object>.jsonl before the
cursor that follows it is saved in DIR/.zendesk_state.json, so an interrupted pull continues
from the last saved page (a page stored twice is harmless: objects are de-duplicated by id).
That saved folder is also a valid `--from-files` folder. The token is used for the HTTP
Authorization header only; it is never printed, logged or stored.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

from pipelines.errors import SourceError
from pipelines.importers.contract import column_names, contract_file
from pipelines.importers.publish import publish
from pipelines.importers.zendesk_client import ZendeskClient, ZendeskHTTPError
from pipelines.importers.zendesk_files import EXPECTED, Inventory, read_saved
from pipelines.importers.zendesk_transform import Conversion, convert

STATE_FILE = ".zendesk_state.json"
PULL_DIR = ".zendesk_pull"
STATE_VERSION = 1
SURVEY_BATCH = 50  # ticket ids per survey-responses request, keeps URLs short


@dataclass
class PullReport:
    out_dir: Path
    counts: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    resumed: bool = False

    def render(self) -> str:
        c = self.counts
        lines = [
            f"Zendesk pull into {self.out_dir}" + (" (resumed)" if self.resumed else ""),
            f"  tickets: {c['tickets']} ({c['unassigned_tickets']} unassigned, "
            f"{c['deleted_tickets_skipped']} deleted skipped)",
            f"  SLA: {c['sla_met']} met, {c['sla_breached']} breached, "
            f"{c['sla_none']} without a finished target",
            f"  CSAT: {c['csat_good']} good, {c['csat_bad']} bad",
            f"  engineers: {c['engineers_new']} new stub(s), {c['engineers_total']} in total",
        ]
        if self.requests:
            lines.append(f"  API requests: {self.requests} ({self.retries} rate-limit waits)")
        lines.extend(f"  warning: {w}" for w in self.warnings)
        lines.extend(f"  note: {n}" for n in self.notes)
        lines.extend(f"  wrote {p}" for p in self.written)
        return "\n".join(lines)


_SUBDOMAIN = re.compile(r"[a-z0-9][a-z0-9-]{0,62}", re.IGNORECASE)


def pull_zendesk(
    subdomain: str,
    email: str,
    token: str,
    out_dir: Path | str,
    since: str | date | None = None,
    transport: httpx.BaseTransport | None = None,
    from_files: Path | str | None = None,
    progress: bool = False,
    *,
    default_level: str | None = None,
    base_url: str | None = None,
    sleep=None,
) -> PullReport:
    """Write tickets.csv and engineers.csv (plus levels.csv when `default_level` is given).

    `from_files` reads a folder of saved objects instead of calling the API; `transport`,
    `base_url` and `sleep` exist so tests can serve recorded responses without waiting.
    """
    out_dir = Path(out_dir)
    report = PullReport(out_dir=out_dir)
    if from_files is not None:
        inventory = read_saved(Path(from_files))
    else:
        if base_url is None and not _SUBDOMAIN.fullmatch(subdomain):
            # Anything else could point the request, and the token with it, at another host.
            raise SourceError(
                f"--subdomain {subdomain!r} is not a Zendesk subdomain. Fix: "
                "give just the first part of your address, e.g. acme for "
                "acme.zendesk.com"
            )
        url = base_url or f"https://{subdomain}.zendesk.com"
        extra = {"sleep": sleep} if sleep else {}
        client = ZendeskClient(url, email, token, transport=transport, **extra)
        try:
            _pull(client, subdomain, _epoch(since), out_dir, report, progress)
        finally:
            report.requests, report.retries = client.requests, client.retries
            client.close()
        inventory = read_saved(out_dir / PULL_DIR)
    report.warnings.extend(inventory.warnings())
    report.notes.extend(inventory.notes())
    conversion = convert(inventory.objects)
    report.counts.update(conversion.counts)
    report.counts["tickets"] = len(conversion.tickets)
    report.notes.extend(conversion.notes)
    if not conversion.tickets:
        if from_files is None:
            # Close the pull so running the command again asks Zendesk afresh instead of
            # "resuming" a pull whose every stream is already done.
            _State(out_dir / STATE_FILE).finish()
        raise SourceError(_no_tickets(inventory, conversion, from_files is None, since))
    report.written = publish(out_dir, _writers(out_dir, conversion, default_level, report))
    if from_files is None:
        _State(out_dir / STATE_FILE).finish()
    return report


def _no_tickets(
    inventory: Inventory, conversion: Conversion, live: bool, since: str | date | None
) -> str:
    """Why a pull has no ticket to write, naming what was read; nothing is written after it."""
    c = conversion.counts
    read = len(inventory.objects.tickets)
    why = ""
    if read:
        why = (
            f" {read} ticket record(s) were read, but {c['tickets_without_id']} had no id and "
            f"{c['deleted_tickets_skipped']} were deleted tickets."
        )
    if live:
        window = f" updated since {since}" if since else ""
        return (
            f"Zendesk returned no tickets{window}, so nothing was written.{why} Fix: give an "
            "earlier --since, or use an admin's email and token (agents may not see every "
            "ticket)"
        )
    warnings = "".join(f" Also {w}." for w in inventory.warnings())
    return (
        f"{inventory.folder} yielded no tickets, so nothing was written.{why} Files read: "
        f"{inventory.describe()}. Expected {EXPECTED}.{warnings} Fix: add the tickets to "
        "the folder, or pass --from-files the folder that holds them"
    )


def _epoch(since: str | date | None) -> int:
    if since is None:
        return 0
    try:
        moment = datetime.fromisoformat(str(since).replace("Z", "+00:00"))
    except ValueError as exc:
        raise SourceError(f"--since {since!r} is not a date. Fix: write it as YYYY-MM-DD") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


# -- the live pull -------------------------------------------------------------------------


class _State:
    """Where each object stream stopped, so a second run continues instead of restarting."""

    def __init__(self, path: Path):
        self.path = path
        self.data: dict = {}
        if path.exists():
            try:
                self.data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.data = {}  # unreadable state: start over rather than guess

    def resumable(self, key: dict) -> bool:
        return (
            self.data.get("key") == key
            and not self.data.get("complete")
            and self.data.get("version") == STATE_VERSION
        )

    def start(self, key: dict) -> None:
        self.data = {"version": STATE_VERSION, "key": key, "complete": False, "streams": {}}
        self.save()

    def stream(self, name: str) -> dict:
        return self.data["streams"].setdefault(name, {"next": None, "done": False})

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)

    def finish(self) -> None:
        if self.data:
            self.data["complete"] = True
            self.save()


def _pull(
    client: ZendeskClient,
    subdomain: str,
    start: int,
    out_dir: Path,
    report: PullReport,
    progress: bool,
) -> None:
    raw_dir = out_dir / PULL_DIR
    raw_dir.mkdir(parents=True, exist_ok=True)
    state = _State(out_dir / STATE_FILE)
    key = {"subdomain": subdomain, "start_time": start}
    if state.resumable(key):
        report.resumed = True
    else:
        for old in raw_dir.glob("*.jsonl"):
            old.unlink()
        state.start(key)

    def run(name: str, pages, keys: tuple[str, ...]) -> None:
        progress_state = state.stream(name)
        if progress_state["done"]:
            return
        for page in pages(progress_state["next"]):
            for k in keys:
                _append(raw_dir / f"{k}.jsonl", page.body.get(k) or [])
                report.counts[f"pulled_{k}"] += len(page.body.get(k) or [])
            progress_state["next"] = page.next_url
            state.save()
            if progress:
                print(
                    f"[zendesk] {name}: {report.counts[f'pulled_{keys[0]}']} so far",
                    file=sys.stderr,
                    flush=True,
                )
        progress_state["done"] = True
        state.save()

    since = {"start_time": start}
    run(
        "users",
        lambda r: client.cursor_pages("/api/v2/users", {"role[]": ["agent", "admin"]}, r),
        ("users",),
    )
    run(
        "tickets",
        lambda r: client.incremental_cursor(
            "/api/v2/incremental/tickets/cursor.json", {**since, "include": "metric_sets"}, r
        ),
        ("tickets", "metric_sets"),
    )
    run(
        "ticket_metric_events",
        lambda r: client.incremental_time(
            "/api/v2/incremental/ticket_metric_events.json", since, "ticket_metric_events", r
        ),
        ("ticket_metric_events",),
    )
    run(
        "satisfaction_ratings",
        lambda r: client.cursor_pages("/api/v2/satisfaction_ratings", since if start else {}, r),
        ("satisfaction_ratings",),
    )
    _pull_survey_responses(client, state, raw_dir, report)


def _pull_survey_responses(
    client: ZendeskClient, state: _State, raw_dir: Path, report: PullReport
) -> None:
    """New-CSAT answers are listed per ticket, so ask for the solved tickets in batches."""
    progress_state = state.stream("survey_responses")
    if progress_state["done"]:
        return
    tickets = read_saved(raw_dir).objects.tickets
    solved = sorted({t["id"] for t in tickets if t.get("status") in ("solved", "closed")})
    batches = [solved[i : i + SURVEY_BATCH] for i in range(0, len(solved), SURVEY_BATCH)]
    for number in range(progress_state.get("batch", 0), len(batches)):
        zrns = ",".join(f"zen:ticket:{t}" for t in batches[number])
        try:
            for page in client.cursor_pages(
                "/api/v2/guide/survey_responses", {"filter[subject_zrns]": zrns}, None
            ):
                _append(raw_dir / "survey_responses.jsonl", page.body.get("survey_responses") or [])
        except ZendeskHTTPError as exc:
            if exc.status not in (403, 404):
                raise
            report.notes.append(
                "survey responses are not available on this account (HTTP "
                f"{exc.status}); CSAT comes from satisfaction ratings only"
            )
            break
        progress_state["batch"] = number + 1
        state.save()
    progress_state["done"] = True
    state.save()


def _append(path: Path, objects: list[dict]) -> None:
    if not objects:
        return
    with path.open("a", encoding="utf-8") as f:
        for obj in objects:
            f.write(json.dumps(obj, separators=(",", ":")) + "\n")
        f.flush()
        os.fsync(f.fileno())


# -- writing contract files ----------------------------------------------------------------


def _writers(
    out_dir: Path, conversion: Conversion, default_level: str | None, report: PullReport
) -> dict:
    engineers_path = out_dir / contract_file("engineers")
    existing = _read_csv(engineers_path)
    known = {row.get("engineer_id") for row in existing}
    new = [s for s in conversion.engineers if s["engineer_id"] not in known]
    report.counts["engineers_new"] = len(new)
    report.counts["engineers_total"] = len(existing) + len(new)
    if new:
        report.notes.append(
            f"{len(new)} new engineer stub(s): fill in team, region, manager_id "
            "and hire_date in engineers.csv (the pull keeps your edits)"
        )
    writers = {
        contract_file("tickets"): lambda p: _write_csv(
            p, column_names("tickets"), conversion.tickets
        ),
        contract_file("engineers"): lambda p: _write_csv(
            p, _header(existing, "engineers"), existing + new
        ),
    }
    levels_path = out_dir / contract_file("levels")
    if default_level:
        levels = _read_csv(levels_path)
        have = {row.get("engineer_id") for row in levels}
        added = [
            {
                "engineer_id": s["engineer_id"],
                "level": default_level,
                "effective_on": s["hire_date"],
            }
            for s in new
            if s["engineer_id"] not in have
        ]
        writers[contract_file("levels")] = lambda p: _write_csv(
            p, _header(levels, "levels"), levels + added
        )
    elif not levels_path.exists():
        report.notes.append(
            "levels.csv is not written: add one row per engineer "
            "(engineer_id, level, effective_on) before building"
        )
    return writers


def _read_csv(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _header(existing: list[dict], table: str) -> list[str]:
    """Contract columns first, then any the user added to the file by hand."""
    names = column_names(table)
    return names + [c for c in (existing[0] if existing else {}) if c not in names]


def _write_csv(path: Path, header: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if row.get(k) is None else row.get(k) for k in header})
