"""Zendesk objects -> contract rows. Pure functions over the JSON objects the API returns, so the
same code serves a live pull, a resumed pull and `--from-files`.

The rules that decide a number (SLA achieved or breached, which CSAT answer counts, when a
ticket was solved) live here and nowhere else; docs/mappings/README.md explains them to users.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

SOLVED_STATUSES = ("solved", "closed")
STATUS_EVENTS = ("activate", "pause", "fulfill")
LEGACY_SCORES = ("good", "bad", "offered", "unoffered")
ENGINEER_UNKNOWN = "unknown"  # team/region placeholder the user replaces in engineers.csv


@dataclass
class Objects:
    """Everything a pull gathered, as lists of API objects (duplicates allowed)."""

    tickets: list[dict] = field(default_factory=list)
    metric_sets: list[dict] = field(default_factory=list)
    ticket_metric_events: list[dict] = field(default_factory=list)
    satisfaction_ratings: list[dict] = field(default_factory=list)
    survey_responses: list[dict] = field(default_factory=list)
    users: list[dict] = field(default_factory=list)


@dataclass
class Conversion:
    tickets: list[dict]
    engineers: list[dict]
    counts: Counter
    notes: list[str]


def iso(value: object) -> str | None:
    """A Zendesk timestamp as the contract's UTC ISO text (None stays None)."""
    if value in (None, ""):
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _latest(objects: list[dict], key: str) -> dict[object, dict]:
    """One object per `key`: the most recently updated, later in the list on ties.

    A resumed pull may have stored a page twice, and the incremental export returns a ticket
    again each time it changes; only the newest version describes the ticket now.
    """
    chosen: dict[object, dict] = {}
    for obj in objects:
        k = obj.get(key)
        if k is None:
            continue
        old = chosen.get(k)
        if old is None or (iso(obj.get("updated_at")) or "") >= (iso(old.get("updated_at")) or ""):
            chosen[k] = obj
    return chosen


def sla_breached(events: list[dict]) -> bool | None:
    """True if any SLA target on the ticket breached (in any instance), False if every target
    was fulfilled without a breach, None if no target applied or one is still running.

    Events Zendesk marked deleted (a breach undone by a later change, say) are ignored.
    """
    live = [e for e in events if not e.get("deleted")]
    by_metric: dict[str, list[dict]] = defaultdict(list)
    for e in live:
        by_metric[e.get("metric")].append(e)
    targeted = {
        m
        for m, es in by_metric.items()
        if any(e.get("type") in ("apply_sla", "breach") for e in es)
    }
    if not targeted:
        return None
    if any(e.get("type") == "breach" for m in targeted for e in by_metric[m]):
        return True
    for metric in targeted:
        instances: dict[object, list[dict]] = defaultdict(list)
        for e in by_metric[metric]:
            if e.get("type") in STATUS_EVENTS:
                instances[e.get("instance_id")].append(e)
        if not instances:
            return None  # applied but the clock never reported: still running
        for status_events in instances.values():
            last = max(status_events, key=lambda e: (iso(e.get("time")) or "", e.get("id", 0)))
            if last.get("type") != "fulfill":
                return None
    return False


def survey_score(response: dict) -> int | None:
    """The 1-5 rating of a new-CSAT survey response, if it holds one."""
    for answer in response.get("answers") or []:
        rating = answer.get("rating")
        if isinstance(rating, int | float) and not isinstance(rating, bool):
            return int(rating)
    return None


def csat_from_score(score: int) -> str | None:
    """New CSAT on a 1-5 scale: 4-5 good, 1-2 bad, 3 neither (left empty)."""
    if score >= 4:
        return "good"
    if score <= 2:
        return "bad"
    return None


def _survey_ticket_ids(response: dict) -> list[int]:
    ids = []
    for zrn in response.get("subject_zrns") or []:
        kind, _, number = str(zrn).rpartition(":")
        if kind.endswith("ticket") and number.isdigit():
            ids.append(int(number))
    return ids


def _legacy_ratings(
    objects: Objects, tickets: list[dict], counts: Counter, notes: list[str]
) -> list[tuple[object, object]]:
    """(ticket id, score) of the legacy ratings: the separate satisfaction ratings when there are
    any, else the `satisfaction_rating` each ticket carries. The separate list wins as a whole:
    mixing the two would count a ticket by whichever source happened to hold it."""
    separate = list(_latest(objects.satisfaction_ratings, "id").values())
    embedded = [
        (t["id"], t["satisfaction_rating"].get("score"))
        for t in tickets
        if isinstance(t.get("satisfaction_rating"), dict)
    ]
    if separate:
        if embedded:
            notes.append(
                f"CSAT comes from the {len(separate)} separate satisfaction rating(s); the "
                f"ratings carried inside {len(embedded)} ticket(s) were not used (the separate "
                "ratings win when both are present)"
            )
        return [(r.get("ticket_id"), r.get("score")) for r in separate]
    if embedded:
        counts["csat_from_tickets"] = len(embedded)
        notes.append(
            f"CSAT comes from the satisfaction_rating inside {len(embedded)} ticket(s): "
            "no separate satisfaction ratings were found"
        )
    return embedded


def _csat_by_ticket(
    objects: Objects, tickets: list[dict], counts: Counter, notes: list[str]
) -> dict[int, str | None]:
    csat: dict[int, str | None] = {}
    unknown: Counter = Counter()
    for ticket_id, score in _legacy_ratings(objects, tickets, counts, notes):
        if ticket_id is None:
            continue
        if score in LEGACY_SCORES:
            csat[ticket_id] = score
        elif score is not None:
            unknown[str(score)] += 1
    if unknown:
        listed = ", ".join(f"{s!r} ({n})" for s, n in sorted(unknown.items()))
        notes.append(
            f"satisfaction scores Rungs does not know were left empty: {listed}; it reads "
            f"{', '.join(LEGACY_SCORES)}"
        )
    # The new survey's answer wins over the legacy rating of the same ticket: Zendesk fills the
    # legacy field from it by folding 3 into "bad", which is not what Rungs counts.
    for response in _latest(objects.survey_responses, "id").values():
        score = survey_score(response)
        if score is None:
            continue
        counts["csat_survey_answers"] += 1
        for ticket_id in _survey_ticket_ids(response):
            csat[ticket_id] = csat_from_score(score)
    return csat


def convert(objects: Objects) -> Conversion:
    counts: Counter = Counter()
    notes: list[str] = []
    metric_sets = _latest(objects.metric_sets, "ticket_id")
    events: dict[int, list[dict]] = defaultdict(list)
    for e in {e.get("id"): e for e in objects.ticket_metric_events}.values():
        events[e.get("ticket_id")].append(e)
    tickets = list(_latest(objects.tickets, "id").values())
    counts["tickets_without_id"] = sum(t.get("id") is None for t in objects.tickets)
    csat = _csat_by_ticket(objects, tickets, counts, notes)

    rows = []
    for ticket in tickets:
        status = ticket.get("status")
        if status == "deleted":
            counts["deleted_tickets_skipped"] += 1
            continue
        ms = metric_sets.get(ticket["id"])
        solved_at = None
        if status in SOLVED_STATUSES:
            solved_at = iso(ms.get("solved_at")) if ms else None
            if solved_at is None:
                # Without the metric_sets sideload the solve time is unknown; the last update
                # of a solved ticket is the closest honest stand-in, and the report says so.
                solved_at = iso(ticket.get("updated_at"))
                counts["solved_at_from_updated_at"] += 1
        breached = sla_breached(events.get(ticket["id"], []))
        rows.append(
            {
                "ticket_id": str(ticket["id"]),
                "assignee_id": str(ticket["assignee_id"]) if ticket.get("assignee_id") else None,
                "created_at": iso(ticket.get("created_at")),
                "solved_at": solved_at,
                "status": status,
                "priority": ticket.get("priority"),
                "sla_breached": None if breached is None else str(breached).lower(),
                "csat": csat.get(ticket["id"]),
                "reopens": (ms or {}).get("reopens") or 0,
                "updated_at": iso(ticket.get("updated_at")),
            }
        )
        counts["unassigned_tickets"] += ticket.get("assignee_id") is None
        counts[f"csat_{rows[-1]['csat']}"] += rows[-1]["csat"] is not None
        counts[f"sla_{'none' if breached is None else 'breached' if breached else 'met'}"] += 1
    if counts["tickets_without_id"]:
        notes.append(f"{counts['tickets_without_id']} ticket record(s) had no id and were skipped")
    if counts["solved_at_from_updated_at"]:
        notes.append(
            f"{counts['solved_at_from_updated_at']} solved ticket(s) came without "
            "their metric set, so solved_at is their last update time"
        )
    return Conversion(rows, _engineer_stubs(rows, objects.users, counts, notes), counts, notes)


def _engineer_stubs(
    tickets: list[dict], users: list[dict], counts: Counter, notes: list[str]
) -> list[dict]:
    """One engineers.csv row per agent who holds a ticket: what Zendesk knows, placeholders for
    the rest. Team, region, manager and levels are not in Zendesk; the user fills them in."""
    by_id = {str(u["id"]): u for u in _latest(users, "id").values()}
    first_ticket: dict[str, str] = {}
    for t in tickets:
        a = t["assignee_id"]
        if a and (a not in first_ticket or t["created_at"] < first_ticket[a]):
            first_ticket[a] = t["created_at"]
    stubs = []
    for agent_id in sorted(first_ticket, key=lambda a: (len(a), a)):
        user = by_id.get(agent_id)
        if user is None:
            counts["assignees_without_user_record"] += 1
        elif user.get("role") not in ("agent", "admin"):
            counts["assignees_no_longer_agents"] += 1
        hired = iso((user or {}).get("created_at")) or first_ticket[agent_id]
        stubs.append(
            {
                "engineer_id": agent_id,
                "name": (user or {}).get("name") or f"Zendesk user {agent_id}",
                "email": (user or {}).get("email") or "",
                "team": ENGINEER_UNKNOWN,
                "region": ENGINEER_UNKNOWN,
                "manager_id": "",
                "hire_date": hired[:10],
                "team_lead": "false",
                "left_on": "",
                "onboarded_on": "",
            }
        )
    if counts["assignees_without_user_record"]:
        notes.append(
            f"{counts['assignees_without_user_record']} assignee(s) have no user "
            "record in the pull; their engineers.csv rows carry a placeholder name"
        )
    return stubs
