"""The people one viewer may see in a month.

A viewer is who signed in: their email and the groups their identity provider lists. Roles come
from the access file (policy.py) and, when `[sign_in] roster = true`, from engineers.csv: a
person whose email is on the roster sees themselves and everyone below them through the
reporting lines of the month being viewed (reporting_lines), so a move between managers moves
visibility with it. admin, leadership and people_partner see everyone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from pipelines.access.policy import EVERYONE_ROLES, AccessPolicy, widest

_SQL = Path(__file__).resolve().parent
LOCAL = "local"
# Who may save what in the calibration journal (people_partner reads only).
PROPOSING_ROLES = frozenset({"admin", "leadership", "manager"})
CALIBRATING_ROLES = frozenset({"admin", "leadership"})


@dataclass(frozen=True)
class Scope:
    """What one viewer may see in one month. `people` matters only when not `everyone`."""

    viewer: str
    role: str
    roles: frozenset[str]
    everyone: bool
    month: date | None = None
    people: frozenset[str] = field(default=frozenset(), repr=False)
    # The viewer's own engineer ids (on the roster) and the managers they report to: a
    # manager's name may be shown on their report's own page, never the manager's data.
    self_ids: frozenset[str] = frozenset()
    own_managers: frozenset[str] = frozenset()
    min_aggregate_people: int = 5
    read_only: bool = False
    # From the access file's [journal] self_evidence: may one record evidence about oneself?
    self_evidence: bool = False

    def allows(self, engineer_id: object) -> bool:
        return self.everyone or engineer_id in self.people

    def may_name(self, engineer_id: object) -> bool:
        return self.allows(engineer_id) or engineer_id in self.own_managers

    def may_record_evidence(self, engineer_id: object) -> bool:
        """Evidence about someone in view; about oneself only where the access file allows."""
        if self.read_only or not self.allows(engineer_id):
            return False
        return engineer_id not in self.self_ids or self.self_evidence

    def may_propose(self, engineer_id: object) -> bool:
        """A manager (or wider) proposes an outcome for someone in view, never for themselves."""
        return (
            self.role in PROPOSING_ROLES
            and self.allows(engineer_id)
            and engineer_id not in self.self_ids
        )

    def may_calibrate(self, engineer_id: object = None) -> bool:
        """The calibration meeting's outcome is recorded by leadership (or an admin), never
        about oneself; without a person: whether the viewer records outcomes at all."""
        return self.role in CALIBRATING_ROLES and engineer_id not in self.self_ids

    def describe(self) -> str:
        """The scope in words, for the audit log (ids only when few: never a list of names)."""
        if self.everyone:
            return f"{self.role}: everyone"
        return f"{self.role}: {len(self.people)} people" + (
            f" ({', '.join(sorted(self.people))})" if len(self.people) <= 3 else ""
        )


def everyone(viewer: str = LOCAL, role: str = "admin", min_aggregate_people: int = 5) -> Scope:
    """The scope of local mode (one person on their own machine) and of the everyone-roles."""
    return Scope(
        viewer=viewer,
        role=role,
        roles=frozenset({role}),
        everyone=True,
        min_aggregate_people=min_aggregate_people,
    )


def _rows(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> list:
    return con.execute((_SQL / f"{name}.sql").read_text(encoding="utf-8"), params).fetchall()


def resolve_scope(
    con: duckdb.DuckDBPyConnection,
    policy: AccessPolicy,
    email: str | None,
    groups: tuple[str, ...] = (),
    month: date | None = None,
) -> Scope | None:
    """The scope of `email` (with its identity-provider `groups`) at `month` on the warehouse
    `con` has open; None when the viewer holds no role at all (no access yet)."""
    email = (email or "").strip().lower()
    roles = set(policy.roles_for(email, groups))
    self_ids = (
        frozenset(
            row[0]
            for row in con.execute(
                "select engineer_id from engineers where lower(trim(email)) = $email",
                {"email": email},
            ).fetchall()
        )
        if email
        else frozenset()
    )
    if len(self_ids) > 1:
        # Two roster rows share the address (a reused mailbox, a rehire, a typo): whose view
        # it is cannot be told, so the roster gives it none; the access file still may.
        self_ids = frozenset()
    people: frozenset[str] = frozenset()
    own: frozenset[str] = frozenset()
    # With `roster = true` everyone on the roster signs in as a manager of whoever is below
    # them (an engineer when nobody is); otherwise only as the role the file grants them.
    anchored = policy.roster_sign_in or roles & {"manager", "engineer"}
    if self_ids and month is not None and anchored:
        wants_reports = policy.roster_sign_in or "manager" in roles
        roots = {"month": month, "roots": sorted(self_ids)}
        people = frozenset(r[0] for r in _rows(con, "reach", roots)) if wants_reports else self_ids
        own = (
            frozenset(
                r[0]
                for r in _rows(con, "own_managers", {"month": month, "people": sorted(self_ids)})
            )
            - people
        )
        roles.add("manager" if people - self_ids else "engineer")
    role = widest(roles)
    sees_everyone = role in EVERYONE_ROLES
    if role is None or (not sees_everyone and not people):
        # No role; or a manager or engineer role granted to an email that is not on the
        # roster: there is nobody to anchor the view on, so nothing to show.
        return None
    return Scope(
        viewer=email,
        role=role,
        roles=frozenset(roles),
        everyone=sees_everyone,
        month=month,
        people=frozenset() if sees_everyone else people,
        self_ids=self_ids,
        own_managers=frozenset() if sees_everyone else own,
        min_aggregate_people=policy.min_aggregate_people,
        read_only=role == "people_partner",
        self_evidence=policy.self_evidence,
    )
