"""The input contract as plain data: the tables, their files, and each column's meaning.

This is the data dictionary's one source: the README is rendered from it, and the loader, the
importers and the pandera models in pipelines/schemas.py read it. It imports nothing heavy on
purpose, because the dashboard and `python -m pipelines demo` use it and neither should pay for
pandera; `TableSpec.model` imports the pandera model only when something validates.

Each column's `description` is what the README shows users preparing their exports; `kind` says
how the raw text is parsed, and `default` is the value used for a column a file may leave out.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandera.polars as pa

TICKET_STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
SOLVED_STATUSES = ("solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
CSAT_VALUES = ("good", "bad", "offered", "unoffered")
EVIDENCE_KINDS = ("example", "concern")
EVIDENCE_SOURCES = ("manager", "peer", "self", "customer", "other")
DECISIONS = ("in_band_raise", "promotion", "deferred")

# A timestamp this far past the build's clock is a data error (wrong year, wrong zone), not a
# ticket from the future; a day of slack absorbs helpdesks whose clocks run ahead.
FUTURE_SLACK = timedelta(days=1)

# A count above this is an export error (a wrong column, a total over years), not one ticket or
# one engineer's month; rejecting the row also keeps every monthly sum inside the models' types.
MAX_COUNT = 1_000_000
# 100 years in hours: a median open time beyond it is a unit or export error.
MAX_OPEN_HOURS = 876_600

# An id has to equal the same id in another file, so characters nobody sees would quietly make
# two people of one: white space at either end, control characters (NUL, tab, line breaks) and
# invisible format characters (zero-width space, byte order mark, direction marks). The pattern
# is in the regex syntax of polars, which checks it; `id_fault` says the same in words.
ID_FAULTS = r"^\s|\s$|[\p{Cc}\p{Cf}]"
_INVISIBLE = ("Cc", "Cf")


@dataclass(frozen=True)
class ColumnSpec:
    """One column of an input table, as the data dictionary describes it."""

    name: str
    # How the raw text is parsed: id, text, enum, level, category, date, month, timestamp,
    # bool, int or float.
    kind: str
    description: str
    nullable: bool = False  # a row may leave the value empty
    default: object = None  # the value used when the file leaves the column out
    optional_column: bool = False  # a file may leave the column out
    no_future: bool = False  # a value later than the build's clock (plus slack) is an error
    choices: tuple[str, ...] = ()  # the fixed vocabulary of an enum column
    maximum: float | None = None  # largest plausible value (whole numbers: MAX_COUNT)

    @property
    def metadata(self) -> dict:
        """What the loader needs to read the column: kind, default, optional_column,
        no_future, maximum."""
        return {
            "kind": self.kind,
            "default": self.default,
            "optional_column": self.optional_column,
            "no_future": self.no_future,
            "maximum": self.upper_bound,
        }

    @property
    def upper_bound(self) -> float | None:
        if self.maximum is None and self.kind == "int":
            return MAX_COUNT
        return self.maximum

    @property
    def must_have_value(self) -> bool:
        return not self.nullable and self.default is None


@dataclass(frozen=True)
class TableSpec:
    """Where an input table comes from, what it holds, and its columns in contract order."""

    name: str
    about: str  # what one row is, for the data dictionary
    required: bool
    fields: tuple[ColumnSpec, ...]
    formats: tuple[str, ...] = ("csv",)

    @property
    def file_names(self) -> tuple[str, ...]:
        return tuple(f"{self.name}.{ext}" for ext in self.formats)

    def columns(self) -> dict[str, dict]:
        """Column name -> metadata (kind, default, optional_column, no_future, maximum), in
        contract order."""
        return {col.name: col.metadata for col in self.fields}

    def column(self, name: str) -> ColumnSpec:
        return next(col for col in self.fields if col.name == name)

    @property
    def model(self) -> type[pa.DataFrameModel]:
        """The pandera model that validates this table. Imports pandera: validation only."""
        from pipelines.schemas import MODELS

        return MODELS[self.name]


def id_fault(value: str) -> str | None:
    """What is wrong with an id that fails ID_FAULTS, in words that say which character and
    where ("ends with a space"); None for a clean id."""
    if value[:1].isspace():
        return f"starts with {_character(value[0])}"
    if value[-1:].isspace():
        return f"ends with {_character(value[-1])}"
    for position, char in enumerate(value, start=1):
        if unicodedata.category(char) in _INVISIBLE:
            return f"has {_character(char)} at character {position}"
    return None


def _character(char: str) -> str:
    if char == " ":
        return "a space"
    if char == "\t":
        return "a tab"
    if char in "\r\n":
        return "a line break"
    code = f"U+{ord(char):04X}"
    if unicodedata.category(char) == "Cc":
        return f"a control character ({code}{', a NUL byte' if char == chr(0) else ''})"
    return f"an invisible {unicodedata.name(char, 'character').lower()} ({code})"


def _one_of(values: tuple[str, ...]) -> str:
    return ", ".join(values)


_C = ColumnSpec

# Load order matters: engineers first, because every other table refers to them.
TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "engineers",
        "everyone on the team, one row per person.",
        required=True,
        fields=(
            _C(
                "engineer_id",
                "id",
                "Stable id of the person, as your HR or helpdesk knows them. "
                "Other files refer to it.",
            ),
            _C("name", "text", "Display name."),
            _C("email", "text", "Work email (optional value).", nullable=True),
            _C("team", "text", "Team name; volume is compared within a team."),
            _C("region", "text", "Region, e.g. AMER, EMEA, APAC."),
            _C(
                "manager_id",
                "id",
                "engineer_id of the person's manager today; empty for none. Earlier managers "
                "go in manager_changes.csv.",
                nullable=True,
            ),
            _C("hire_date", "date", "First working day (YYYY-MM-DD).", no_future=True),
            _C(
                "team_lead",
                "bool",
                "true for designated team leads (less IC scope, so their volume "
                "bar is scaled). Default false.",
                default=False,
                optional_column=True,
            ),
            _C(
                "left_on",
                "date",
                "Last day with the team; empty while employed.",
                nullable=True,
                optional_column=True,
            ),
            _C(
                "onboarded_on",
                "date",
                "End of onboarding, when it differs from hire_date plus the "
                "framework's onboarding months.",
                nullable=True,
                optional_column=True,
            ),
        ),
    ),
    TableSpec(
        "levels",
        "one row per level change; the first row of a person is the level at hire.",
        required=True,
        fields=(
            _C("engineer_id", "id", "Who changed level."),
            _C(
                "level",
                "level",
                "The level from then on, one of the framework's levels (e.g. IC1..IC5).",
            ),
            _C("effective_on", "date", "Date the level took effect (YYYY-MM-DD).", no_future=True),
        ),
    ),
    TableSpec(
        "tickets",
        "one row per ticket (helpdesk export).",
        required=False,
        formats=("csv", "parquet"),
        fields=(
            _C(
                "ticket_id",
                "id",
                "Helpdesk ticket id. A repeated id keeps the row with the newest updated_at.",
            ),
            _C(
                "assignee_id",
                "id",
                "engineer_id of the assignee; empty when unassigned (loaded, counts for nobody).",
                nullable=True,
            ),
            _C(
                "created_at",
                "timestamp",
                "When the ticket was opened (ISO-8601; an offset or Z is "
                "honoured, else the framework time zone).",
                no_future=True,
            ),
            _C(
                "solved_at",
                "timestamp",
                "Latest solve, so a reopened ticket counts its full "
                "resolution time; empty while unsolved.",
                nullable=True,
                no_future=True,
            ),
            _C("status", "enum", f"One of {_one_of(TICKET_STATUSES)}.", choices=TICKET_STATUSES),
            _C(
                "priority",
                "enum",
                f"One of {_one_of(PRIORITIES)}; may be empty.",
                nullable=True,
                optional_column=True,
                choices=PRIORITIES,
            ),
            _C(
                "sla_breached",
                "bool",
                "true if the SLA target was missed, false if met; empty when "
                "no SLA applied or it is still running.",
                nullable=True,
                optional_column=True,
            ),
            _C(
                "csat",
                "enum",
                f"Satisfaction: {_one_of(CSAT_VALUES)}; may be empty. Only good and "
                "bad are scores.",
                nullable=True,
                optional_column=True,
                choices=CSAT_VALUES,
            ),
            _C(
                "reopens",
                "int",
                "Times the ticket was reopened. Default 0.",
                default=0,
                optional_column=True,
            ),
            _C(
                "updated_at",
                "timestamp",
                "Last update; decides between repeated ticket ids.",
                nullable=True,
                optional_column=True,
                no_future=True,
            ),
        ),
    ),
    TableSpec(
        "evidence",
        "observed behaviours tagged with a level and a category.",
        required=False,
        fields=(
            _C("evidence_id", "id", "Unique id of the observation."),
            _C("engineer_id", "id", "Who was observed."),
            _C("observed_on", "date", "When it happened (YYYY-MM-DD).", no_future=True),
            _C("category", "category", "One of the framework's categories (case-insensitive)."),
            _C("level", "level", "The level the behaviour is typical of."),
            _C(
                "kind",
                "enum",
                "example (shows the level) or concern (falls short of it). Default example.",
                default="example",
                optional_column=True,
                choices=EVIDENCE_KINDS,
            ),
            _C("summary", "text", "What was observed, in a sentence."),
            _C(
                "link",
                "text",
                "URL of the ticket, doc or review (optional).",
                nullable=True,
                optional_column=True,
            ),
            _C(
                "source",
                "enum",
                f"Who reported it: {_one_of(EVIDENCE_SOURCES)}.",
                default="manager",
                optional_column=True,
                choices=EVIDENCE_SOURCES,
            ),
            _C(
                "recorded_by",
                "id",
                "engineer_id or name of whoever recorded it.",
                nullable=True,
                optional_column=True,
            ),
        ),
    ),
    TableSpec(
        "decisions",
        "compensation and promotion decisions already taken.",
        required=False,
        fields=(
            _C("engineer_id", "id", "Who the decision was about."),
            _C("decided_on", "date", "Date of the decision (YYYY-MM-DD).", no_future=True),
            _C("decision", "enum", f"One of {_one_of(DECISIONS)}.", choices=DECISIONS),
            _C("note", "text", "Free text (optional).", nullable=True, optional_column=True),
        ),
    ),
    TableSpec(
        "leave",
        "long absences; a month mostly on leave is not judged.",
        required=False,
        fields=(
            _C("engineer_id", "id", "Who was away."),
            _C("starts_on", "date", "First day away."),
            _C("ends_on", "date", "Last day away."),
        ),
    ),
    # Without this file everyone reports to their engineers.csv manager_id from the hire date.
    # The changes of a person must join up into one chain that ends at that manager_id, which
    # stays the truth about today (pipelines/load/manager_history.py checks it).
    TableSpec(
        "manager_changes",
        "one row per change of manager, for who reported to whom in past months. "
        "Without it everyone reports to their engineers.csv manager_id from their hire date.",
        required=False,
        fields=(
            _C("engineer_id", "id", "Who changed manager."),
            _C(
                "changed_on",
                "date",
                "First day with the new manager (YYYY-MM-DD), between hire_date and left_on.",
                no_future=True,
            ),
            _C(
                "from_manager_id",
                "id",
                "engineer_id of the manager before; empty for none. Equals the person's "
                "previous change's to_manager_id.",
                nullable=True,
            ),
            _C(
                "to_manager_id",
                "id",
                "engineer_id of the manager from then on; empty for none. The person's last "
                "change ends at their engineers.csv manager_id.",
                nullable=True,
            ),
        ),
    ),
    # The line break and indent inside `about` reproduce what the README has always shown.
    TableSpec(
        "monthly_metrics",
        "a helpdesk report per agent and month, for teams without\n"
        "    ticket-level exports. Where tickets cover the same "
        "engineer-month, tickets win.",
        required=False,
        fields=(
            _C("engineer_id", "id", "Whose month it is."),
            _C("month", "month", "The month, YYYY-MM.", no_future=True),
            _C("tickets_solved", "int", "Tickets solved that month."),
            _C("sla_met", "int", "SLA targets met."),
            _C("sla_breached", "int", "SLA targets missed."),
            _C(
                "median_open_hours",
                "float",
                "Median hours from creation to solve.",
                nullable=True,
                maximum=MAX_OPEN_HOURS,
            ),
            _C(
                "csat_good",
                "int",
                "Good satisfaction ratings. Default 0.",
                default=0,
                optional_column=True,
            ),
            _C(
                "csat_bad",
                "int",
                "Bad satisfaction ratings. Default 0.",
                default=0,
                optional_column=True,
            ),
        ),
    ),
)
TABLES_BY_NAME = {t.name: t for t in TABLES}
