"""The demo org's access.toml: the dashboard's format, and for every role at least two people
of the kind the role is for, read back against the engineers.csv written beside it."""

from __future__ import annotations

import csv
import tomllib

import pytest

from pipelines.demo.access import ACCESS_FILE, demo_roles, render_access
from pipelines.demo.generate import generate_demo

END = "2025-06"


@pytest.fixture(scope="module", params=[(12, 3), (40, 7)], ids=["small", "default"])
def demo(request, tmp_path_factory):
    """(access file as parsed, engineers.csv rows) of a generated org."""
    engineers, seed = request.param
    out = tmp_path_factory.mktemp("demo")
    generate_demo(out, engineers=engineers, months=18, seed=seed, end_month=END)
    with open(out / "engineers.csv", newline="", encoding="utf-8") as f:
        roster = list(csv.DictReader(f))
    return tomllib.loads((out / ACCESS_FILE).read_text(encoding="utf-8")), roster


def test_the_file_has_the_sections_and_settings_the_dashboard_reads(demo):
    access, _ = demo
    assert access["sign_in"] == {"roster": True, "groups_claim": "groups"}
    assert access["privacy"] == {"min_aggregate_people": 5}
    assert list(access["roles"]) == ["admin", "leadership", "people_partner", "manager", "engineer"]
    for role, entries in access["roles"].items():
        assert len(entries) >= 2, role
        for entry in entries:
            assert entry.startswith("group:") or (entry == entry.lower() and "@" in entry)


def test_each_role_names_the_people_it_is_meant_for(demo):
    access, roster = demo
    roles = access["roles"]
    by_email = {e["email"].lower(): e for e in roster}
    reports: dict[str, list[str]] = {}
    for e in roster:
        if e["manager_id"]:
            reports.setdefault(e["manager_id"], []).append(e["engineer_id"])

    assert not set(roles["admin"]) & by_email.keys()
    assert not set(roles["people_partner"]) & by_email.keys()

    head, outsider, group = roles["leadership"]
    assert by_email[head]["engineer_id"] == "M000" and by_email[head]["manager_id"] == ""
    assert outsider not in by_email and group == "group:cs-leadership"

    indirect, direct = (by_email[email]["engineer_id"] for email in roles["manager"])
    assert indirect == "M001"
    assert any(r in reports for r in reports[indirect]), "M001 manages a manager"
    assert reports[direct] and not any(r in reports for r in reports[direct])

    for email in roles["engineer"]:
        person = by_email[email]
        assert person["engineer_id"].startswith("E")
        assert person["engineer_id"] not in reports
        assert person["left_on"] == ""


def test_the_text_is_exactly_the_documented_layout():
    roster = [
        {
            "engineer_id": "M000",
            "email": "Head@Example.com",
            "manager_id": None,
            "left_on": None,
            "team_lead": False,
        },
        {
            "engineer_id": "M001",
            "email": "a@example.com",
            "manager_id": "M000",
            "left_on": None,
            "team_lead": False,
        },
        {
            "engineer_id": "M002",
            "email": "b@example.com",
            "manager_id": "M001",
            "left_on": None,
            "team_lead": False,
        },
        {
            "engineer_id": "E0001",
            "email": "c@example.com",
            "manager_id": "M002",
            "left_on": None,
            "team_lead": False,
        },
        {
            "engineer_id": "E0002",
            "email": "d@example.com",
            "manager_id": "M002",
            "left_on": None,
            "team_lead": False,
        },
    ]
    text = render_access(roster)
    assert text.startswith(
        "# Who may see what in Rungs (demo org). Copy to data/access.toml or point "
        "RUNGS_ACCESS_FILE here.\n[sign_in]\n"
    )
    assert text.endswith(
        "[roles]\n"
        'admin = ["rungs-admin@example.com", "it-ops@example.com"]\n'
        'leadership = ["head@example.com", "vp-support@example.com", "group:cs-leadership"]\n'
        'people_partner = ["hr-partner@example.com", "people-ops@example.com"]\n'
        'manager = ["a@example.com", "b@example.com"]\n'
        'engineer = ["c@example.com", "d@example.com"]\n'
    )
    assert demo_roles(roster)["manager"] == ["a@example.com", "b@example.com"]
