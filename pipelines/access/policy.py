"""The access file: which roles a signed-in email (or an identity-provider group) holds.

    [sign_in]
    roster = true            # people on engineers.csv sign in as themselves (see scope.py)
    groups_claim = "groups"  # the ID-token claim that lists a person's groups

    [privacy]
    min_aggregate_people = 5

    [journal]
    self_evidence = false    # may engineers record evidence about themselves in the app?

    [roles]
    admin = ["it-ops@example.com"]
    leadership = ["vp.support@example.com", "group:cs-leadership"]
    people_partner = ["hr.partner@example.com"]
    manager = []
    engineer = []

Emails match case-insensitively. A person may hold several roles; the widest wins (ROLES is in
order, widest first). The path comes from RUNGS_ACCESS_FILE, default data/access.toml; a missing
file means "no extra roles", so only people on the roster can sign in.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ACCESS_ENV = "RUNGS_ACCESS_FILE"
DEFAULT_ACCESS_FILE = Path(__file__).resolve().parents[2] / "data" / "access.toml"
EXAMPLE = "data/access.example.toml"

# Widest first. The first three see everyone; a manager sees their subtree, an engineer
# themselves. people_partner sees everyone but may not record anything (read-only).
ROLES: tuple[str, ...] = ("admin", "leadership", "people_partner", "manager", "engineer")
EVERYONE_ROLES = frozenset({"admin", "leadership", "people_partner"})
GROUP_PREFIX = "group:"
DEFAULT_MIN_AGGREGATE = 5
DEFAULT_GROUPS_CLAIM = "groups"

_KNOWN = {
    "sign_in": {"roster", "groups_claim"},
    "privacy": {"min_aggregate_people"},
    "journal": {"self_evidence"},
    "roles": set(ROLES),
}


class AccessFileError(ValueError):
    """The access file cannot be used; the message names the file, the entry and the fix."""


@dataclass(frozen=True)
class AccessPolicy:
    """The access file, read and checked."""

    source: str
    roster_sign_in: bool = True
    groups_claim: str = DEFAULT_GROUPS_CLAIM
    min_aggregate_people: int = DEFAULT_MIN_AGGREGATE
    self_evidence: bool = False
    # role -> lower-case emails and "group:NAME" entries
    grants: dict[str, frozenset[str]] = field(default_factory=dict)

    def roles_for(self, email: str | None, groups: Iterable[str] = ()) -> frozenset[str]:
        """The roles the file grants this email or any of these groups (roster roles aside)."""
        keys = {GROUP_PREFIX + str(g).strip().lower() for g in groups}
        if email:
            keys.add(email.strip().lower())
        return frozenset(role for role, entries in self.grants.items() if entries & keys)


def access_path() -> Path:
    configured = os.environ.get(ACCESS_ENV, "").strip()
    return Path(configured).expanduser().resolve() if configured else DEFAULT_ACCESS_FILE


def widest(roles: Iterable[str]) -> str | None:
    held = set(roles)
    return next((r for r in ROLES if r in held), None)


def load_policy(path: Path | None = None) -> AccessPolicy:
    """Read the access file at `path` (default: access_path()). Missing: no extra roles."""
    path = path or access_path()
    if not path.exists():
        return AccessPolicy(source=f"{path} (missing: only people on the roster can sign in)")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise AccessFileError(f"{path}: is not UTF-8 text. Fix: save it as UTF-8.") from None
    except tomllib.TOMLDecodeError as exc:
        raise AccessFileError(
            f"{path}: is not valid TOML ({exc}). Fix: compare it with {EXAMPLE}."
        ) from None
    return _parse(raw, str(path))


def _parse(raw: dict, source: str) -> AccessPolicy:
    for section, value in raw.items():
        if section not in _KNOWN:
            raise AccessFileError(
                f"{source}: [{section}] is not a section Rungs reads. Fix: use "
                f"{', '.join(f'[{s}]' for s in _KNOWN)} (see {EXAMPLE})."
            )
        if not isinstance(value, dict):
            raise AccessFileError(f"{source}: {section} must be a [{section}] table.")
        for key in value:
            if key not in _KNOWN[section]:
                allowed = ", ".join(sorted(_KNOWN[section]))
                raise AccessFileError(
                    f"{source}: [{section}] {key} is not a setting Rungs reads. "
                    f"Fix: use one of {allowed}."
                )
    sign_in = raw.get("sign_in", {})
    privacy = raw.get("privacy", {})
    roster = sign_in.get("roster", True)
    if not isinstance(roster, bool):
        raise AccessFileError(f"{source}: [sign_in] roster must be true or false.")
    claim = sign_in.get("groups_claim", DEFAULT_GROUPS_CLAIM)
    if not isinstance(claim, str) or not claim.strip():
        raise AccessFileError(f"{source}: [sign_in] groups_claim must be a claim name.")
    minimum = privacy.get("min_aggregate_people", DEFAULT_MIN_AGGREGATE)
    if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 1:
        raise AccessFileError(
            f"{source}: [privacy] min_aggregate_people must be a whole number of at least 1."
        )
    self_evidence = raw.get("journal", {}).get("self_evidence", False)
    if not isinstance(self_evidence, bool):
        raise AccessFileError(f"{source}: [journal] self_evidence must be true or false.")
    grants = {
        role: _entries(source, role, entries) for role, entries in raw.get("roles", {}).items()
    }
    return AccessPolicy(
        source=source,
        roster_sign_in=roster,
        groups_claim=claim.strip(),
        min_aggregate_people=minimum,
        self_evidence=self_evidence,
        grants=grants,
    )


def _entries(source: str, role: str, entries: object) -> frozenset[str]:
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise AccessFileError(
            f'{source}: [roles] {role} must be a list of emails or "group:NAME" entries, '
            f'for example {role} = ["someone@example.com"].'
        )
    out = set()
    for entry in entries:
        value = entry.strip().lower()
        is_group = value.startswith(GROUP_PREFIX) and len(value) > len(GROUP_PREFIX)
        if not is_group and "@" not in value:
            raise AccessFileError(
                f"{source}: [roles] {role} lists {entry!r}, which is neither an email nor "
                f'"group:NAME". Fix: write the person\'s sign-in email or prefix a group '
                f'with "group:".'
            )
        out.add(value)
    return frozenset(out)
