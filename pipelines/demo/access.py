"""The demo org's access.toml: who may see what in the dashboard, in the format it reads.

Every role names at least two people, so each can be tried: admins, people partners and one of
leadership are addresses outside the roster (they sign in without being on engineers.csv);
the rest are demo people picked by their place in the org, never by name, so any seed works:
the head of the org (leadership), a manager with reports of reports and one with only direct
reports (manager), and two engineers who manage nobody (engineer).
"""

from __future__ import annotations

import json
from collections import defaultdict

ACCESS_FILE = "access.toml"

ADMINS = ("rungs-admin@example.com", "it-ops@example.com")
LEADERSHIP_GUEST = "vp-support@example.com"
LEADERSHIP_GROUP = "group:cs-leadership"
PEOPLE_PARTNERS = ("hr-partner@example.com", "people-ops@example.com")

_HEADER = """\
# Who may see what in Rungs (demo org). Copy to data/access.toml or point RUNGS_ACCESS_FILE here.
[sign_in]
# People on engineers.csv whose sign-in email matches see themselves and everyone below them
# through manager_id, as of the month being viewed.
roster = true
# The ID-token claim that lists a person's groups, for "group:NAME" entries below.
groups_claim = "groups"

[privacy]
# Aggregates over people outside someone's view are shown only over at least this many people.
min_aggregate_people = 5

[journal]
# Engineers may record evidence about themselves (source "self") in the demo, to try it out.
self_evidence = true

[roles]
"""


def demo_roles(engineers: list[dict]) -> dict[str, list[str]]:
    """Role -> lower-case emails (or "group:NAME"), from engineers.csv's rows as the demo
    writes them. An org too small to have two of a kind lists whom it has."""
    people = sorted(engineers, key=lambda e: e["engineer_id"])
    email = {e["engineer_id"]: e["email"].lower() for e in people}
    taken = set(ADMINS) | {LEADERSHIP_GUEST} | set(PEOPLE_PARTNERS)
    if taken & set(email.values()):
        raise ValueError(f"a demo person has one of the outside addresses {sorted(taken)}")
    reports = defaultdict(list)
    for e in people:
        if e["manager_id"]:
            reports[e["manager_id"]].append(e["engineer_id"])
    heads = [e["engineer_id"] for e in people if not e["manager_id"]]
    managers = [m for m in sorted(reports) if m not in heads]

    def manages_a_manager(m: str) -> bool:
        return any(r in reports for r in reports[m])

    with_indirect = [m for m in managers if manages_a_manager(m)]
    direct_only = [m for m in managers if not manages_a_manager(m)]
    engineers_only = [
        e["engineer_id"]
        for e in people
        if e["engineer_id"] not in reports and e["left_on"] is None and not e["team_lead"]
    ]
    return {
        "admin": list(ADMINS),
        "leadership": [*(email[h] for h in heads[:1]), LEADERSHIP_GUEST, LEADERSHIP_GROUP],
        "people_partner": list(PEOPLE_PARTNERS),
        "manager": [email[m] for m in [*with_indirect[:1], *direct_only[:1]]],
        "engineer": [email[e] for e in engineers_only[:2]],
    }


def render_access(engineers: list[dict]) -> str:
    """The access file's text. Entries are written as JSON strings, which are valid TOML basic
    strings (quotes and backslashes escaped)."""
    roles = demo_roles(engineers)
    lines = [
        f"{role} = [{', '.join(json.dumps(entry) for entry in entries)}]"
        for role, entries in roles.items()
    ]
    return _HEADER + "\n".join(lines) + "\n"
