"""The dashboard's pages, registered once: `dashboard.py` builds st.navigation from this list and
the smoke test walks the same list, so a page added here is tested the day it is added.

Page scripts live one folder down, in pages/<group>/. Streamlit still treats *.py files directly
in pages/ as old-style pages and, on a fresh server, would run a shared link such as
/calibration straight from that file, without the dashboard's sidebar and warehouse; with none
at the top of pages/, every request goes through dashboard.py and st.navigation."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.access.policy import ROLES

# Pages about many people: for roles that see more than themselves.
TEAM_ROLES = frozenset({"admin", "leadership", "people_partner", "manager"})
# The build's records of every input row (rejected rows quote them) and the audit log.
ORG_ROLES = frozenset({"admin", "leadership"})


@dataclass(frozen=True)
class PageSpec:
    group: str
    script: str  # relative to the repository root, where dashboard.py lives
    title: str
    icon: str
    url_path: str
    question: str
    default: bool = False
    # Who sees the page in the navigation (rungs_ui.access scopes what it shows, for all).
    roles: frozenset[str] = frozenset(ROLES)


PAGES: tuple[PageSpec, ...] = (
    PageSpec(
        "Team",
        "pages/team/team_health.py",
        "Team health",
        ":material/monitor_heart:",
        "team-health",
        "How is the team doing against the framework?",
        default=True,
        roles=TEAM_ROLES,
    ),
    PageSpec(
        "People",
        "pages/people/engineer.py",
        "Engineer",
        ":material/person:",
        "engineer",
        "Where is this person on the ladder, and why?",
    ),
    PageSpec(
        "People",
        "pages/people/promotions.py",
        "Promotions",
        ":material/trending_up:",
        "promotions",
        "Who can we make a case for now, and who is close?",
        roles=TEAM_ROLES,
    ),
    PageSpec(
        "People",
        "pages/people/raises.py",
        "In-band raises",
        ":material/payments:",
        "raises",
        "Who is exceeding their level without meeting the next?",
        roles=TEAM_ROLES,
    ),
    PageSpec(
        "Calibration",
        "pages/calibration/calibration.py",
        "Calibration",
        ":material/balance:",
        "calibration",
        "How do the engineers at one level compare, side by side?",
        roles=TEAM_ROLES,
    ),
    PageSpec(
        "Calibration",
        "pages/calibration/decisions.py",
        "Calibration worksheet",
        ":material/edit_note:",
        "worksheet",
        "What does each person's manager propose, and what did the meeting decide?",
        roles=TEAM_ROLES,
    ),
    PageSpec(
        "Calibration",
        "pages/calibration/evidence.py",
        "Evidence",
        ":material/fact_check:",
        "evidence",
        "Where is the evidence thin?",
        roles=TEAM_ROLES,
    ),
    PageSpec(
        "Policy",
        "pages/policy/whatif.py",
        "What-if",
        ":material/tune:",
        "what-if",
        "If we changed a bar or a rule, who would move?",
        roles=ORG_ROLES,
    ),
    PageSpec(
        "Policy",
        "pages/policy/fairness.py",
        "Fairness",
        ":material/diversity_3:",
        "fairness",
        "Are flags and evidence falling evenly across teams, regions and managers?",
        roles=ORG_ROLES,
    ),
    PageSpec(
        "Data",
        "pages/data/data_health.py",
        "Data health",
        ":material/database:",
        "data-health",
        "What did the last build load, and what did it reject?",
        roles=ORG_ROLES,
    ),
    PageSpec(
        "Data",
        "pages/data/framework.py",
        "Framework",
        ":material/stairs:",
        "framework",
        "What does each level ask for, and which rules turn data into flags?",
    ),
)

GROUPS: tuple[str, ...] = ("Team", "People", "Calibration", "Policy", "Data")


def pages_for(role: str) -> tuple[PageSpec, ...]:
    """The pages a role sees, in registry order."""
    return tuple(p for p in PAGES if role in p.roles)


def spec_titled(title: str) -> PageSpec:
    """The registered page with this title (titles are unique; a role's default page is
    served at the bare URL, so its url_path says nothing)."""
    return next(p for p in PAGES if p.title == title)
