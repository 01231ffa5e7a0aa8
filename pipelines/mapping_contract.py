"""The input contract as the mapping importer needs to see it: which file each table becomes, its
columns in order, and how each column's text must be shaped (timestamp, date, boolean, ...).

The build's pandera schemas remain the judge of validity; this only tells the importer how to
convert a foreign export's text into the contract's spelling, so that dates, booleans and fixed
vocabularies arrive in a form the build accepts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | timestamp | date | month | bool | int | number | choice
    choices: tuple[str, ...] = ()


def _c(name: str, kind: str = "text", *choices: str) -> Column:
    return Column(name, kind, tuple(choices))


TICKET_STATUSES = ("new", "open", "pending", "hold", "solved", "closed")

CONTRACT: dict[str, tuple[Column, ...]] = {
    "engineers": (
        _c("engineer_id"), _c("name"), _c("email"), _c("team"), _c("region"),
        _c("manager_id"), _c("hire_date", "date"), _c("team_lead", "bool"),
        _c("left_on", "date"), _c("onboarded_on", "date"),
    ),
    "levels": (_c("engineer_id"), _c("level"), _c("effective_on", "date")),
    "tickets": (
        _c("ticket_id"), _c("assignee_id"), _c("created_at", "timestamp"),
        _c("solved_at", "timestamp"), _c("status", "choice", *TICKET_STATUSES),
        _c("priority", "choice", "low", "normal", "high", "urgent"),
        _c("sla_breached", "bool"), _c("csat", "choice", "good", "bad", "offered", "unoffered"),
        _c("reopens", "int"), _c("updated_at", "timestamp"),
    ),
    "evidence": (
        _c("evidence_id"), _c("engineer_id"), _c("observed_on", "date"), _c("category"),
        _c("level"), _c("kind", "choice", "example", "concern"), _c("summary"), _c("link"),
        _c("source", "choice", "manager", "peer", "self", "customer", "other"),
        _c("recorded_by"),
    ),
    "decisions": (
        _c("engineer_id"), _c("decided_on", "date"),
        _c("decision", "choice", "in_band_raise", "promotion", "deferred"), _c("note"),
    ),
    "monthly_metrics": (
        _c("engineer_id"), _c("month", "month"), _c("tickets_solved", "int"),
        _c("sla_met", "int"), _c("sla_breached", "int"), _c("median_open_hours", "number"),
        _c("csat_good", "int"), _c("csat_bad", "int"),
    ),
}

TRUE_WORDS = ("true", "1", "yes")
FALSE_WORDS = ("false", "0", "no")


def contract_file(table: str) -> str:
    return f"{table}.csv"


def column_names(table: str) -> list[str]:
    return [c.name for c in CONTRACT[table]]
