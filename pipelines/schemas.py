"""The input contract: one pandera model per input table. These models ARE the data dictionary.

Each field's `description` is what the README shows users preparing their exports; its
`metadata` says how the raw text is parsed (`kind`) and, for columns a file may leave out, the
value used instead (`default`). Checks that depend on the framework (levels, categories) are
added at validation time by `schema_for`, because the framework file is data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandera.polars as pa
import polars as pl

from pipelines.framework import Framework

TICKET_STATUSES = ["new", "open", "pending", "hold", "solved", "closed"]
SOLVED_STATUSES = ["solved", "closed"]
PRIORITIES = ["low", "normal", "high", "urgent"]
CSAT_VALUES = ["good", "bad", "offered", "unoffered"]
EVIDENCE_KINDS = ["example", "concern"]
EVIDENCE_SOURCES = ["manager", "peer", "self", "customer", "other"]
DECISIONS = ["in_band_raise", "promotion", "deferred"]

# A timestamp this far past the build's clock is a data error (wrong year, wrong zone), not a
# ticket from the future; a day of slack absorbs helpdesks whose clocks run ahead.
FUTURE_SLACK = timedelta(days=1)

UTC_TS = pl.Datetime("us", "UTC")


def _kind(kind: str, default: object = None, optional: bool = False,
          no_future: bool = False) -> dict:
    return {"kind": kind, "default": default, "optional_column": optional,
            "no_future": no_future}


def _not_future(col: str, is_date: bool) -> pa.Check:
    """Built at validation time, because 'the future' starts when the build runs."""
    limit = datetime.now(UTC) + FUTURE_SLACK
    bound = limit.date() if is_date else limit
    return pa.Check(lambda data: data.lazyframe.select(pl.col(col) <= bound),
                    ignore_na=True, name="not_in_future",
                    error=f"{col} is in the future; check the year and the time zone")


class EngineerSchema(pa.DataFrameModel):
    """engineers.csv: everyone on the team, one row per person."""

    engineer_id: str = pa.Field(unique=True, str_length={"min_value": 1}, metadata=_kind("id"),
                                description="Stable id of the person, as your HR or helpdesk "
                                            "knows them. Other files refer to it.")
    name: str = pa.Field(str_length={"min_value": 1}, metadata=_kind("text"),
                         description="Display name.")
    email: str = pa.Field(nullable=True, str_matches=r"^[^@\s]+@[^@\s]+$",
                          metadata=_kind("text"), description="Work email (optional value).")
    team: str = pa.Field(str_length={"min_value": 1}, metadata=_kind("text"),
                         description="Team name; volume is compared within a team.")
    region: str = pa.Field(str_length={"min_value": 1}, metadata=_kind("text"),
                           description="Region, e.g. AMER, EMEA, APAC.")
    manager_id: str = pa.Field(nullable=True, metadata=_kind("id"),
                               description="engineer_id of the person's manager; empty for none.")
    hire_date: pl.Date = pa.Field(metadata=_kind("date", no_future=True),
                                  description="First working day (YYYY-MM-DD).")
    team_lead: bool = pa.Field(metadata=_kind("bool", False, optional=True),
                               description="true for designated team leads (less IC scope, so "
                                           "their volume bar is scaled). Default false.")
    left_on: pl.Date = pa.Field(nullable=True, metadata=_kind("date", optional=True),
                                description="Last day with the team; empty while employed.")
    onboarded_on: pl.Date = pa.Field(nullable=True, metadata=_kind("date", optional=True),
                                     description="End of onboarding, when it differs from "
                                                 "hire_date plus the framework's onboarding "
                                                 "months.")

    @pa.dataframe_check(error="left_on is before hire_date; fix one of the two dates")
    def leaves_after_hire(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.col("left_on").is_null() | (pl.col("left_on") >= pl.col("hire_date")))

    class Config:
        coerce = True


class LevelSchema(pa.DataFrameModel):
    """levels.csv: one row per level change; the first row of a person is the level at hire."""

    engineer_id: str = pa.Field(str_length={"min_value": 1}, metadata=_kind("id"),
                                description="Who changed level.")
    level: str = pa.Field(metadata=_kind("level"),
                          description="The level from then on, one of the framework's levels "
                                      "(e.g. IC1..IC5).")
    effective_on: pl.Date = pa.Field(metadata=_kind("date", no_future=True),
                                     description="Date the level took effect (YYYY-MM-DD).")

    class Config:
        coerce = True
        unique = ["engineer_id", "effective_on"]


class TicketSchema(pa.DataFrameModel):
    """tickets.csv or tickets.parquet: one row per ticket (helpdesk export)."""

    ticket_id: str = pa.Field(str_length={"min_value": 1}, metadata=_kind("id"),
                              description="Helpdesk ticket id. A repeated id keeps the row with "
                                          "the newest updated_at.")
    assignee_id: str = pa.Field(nullable=True, metadata=_kind("id"),
                                description="engineer_id of the assignee; empty when "
                                            "unassigned (loaded, counts for nobody).")
    created_at: UTC_TS = pa.Field(metadata=_kind("timestamp", no_future=True),
                                  description="When the ticket was opened (ISO-8601; an offset "
                                              "or Z is honoured, else the framework time zone).")
    solved_at: UTC_TS = pa.Field(nullable=True, metadata=_kind("timestamp", no_future=True),
                                 description="Latest solve, so a reopened ticket counts its full "
                                             "resolution time; empty while unsolved.")
    status: str = pa.Field(isin=TICKET_STATUSES, metadata=_kind("enum"),
                           description="One of " + ", ".join(TICKET_STATUSES) + ".")
    priority: str = pa.Field(nullable=True, isin=PRIORITIES,
                             metadata=_kind("enum", optional=True),
                             description="One of " + ", ".join(PRIORITIES) + "; may be empty.")
    sla_breached: bool = pa.Field(nullable=True, metadata=_kind("bool", optional=True),
                                  description="true if the SLA target was missed, false if met; "
                                              "empty when no SLA applied or it is still running.")
    csat: str = pa.Field(nullable=True, isin=CSAT_VALUES, metadata=_kind("enum", optional=True),
                         description="Satisfaction: " + ", ".join(CSAT_VALUES) + "; may be "
                                     "empty. Only good and bad are scores.")
    reopens: int = pa.Field(ge=0, metadata=_kind("int", 0, optional=True),
                            description="Times the ticket was reopened. Default 0.")
    updated_at: UTC_TS = pa.Field(nullable=True,
                                  metadata=_kind("timestamp", optional=True, no_future=True),
                                  description="Last update; decides between repeated ticket ids.")

    @pa.dataframe_check(error="solved_at is before created_at; export the latest solve time")
    def solved_after_created(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.col("solved_at").is_null() | (pl.col("solved_at") >= pl.col("created_at")))

    @pa.dataframe_check(error="status is solved or closed but solved_at is empty; "
                              "export the solve time")
    def solved_has_time(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            ~pl.col("status").is_in(SOLVED_STATUSES) | pl.col("solved_at").is_not_null())

    class Config:
        coerce = True


class EvidenceSchema(pa.DataFrameModel):
    """evidence.csv (optional): observed behaviours tagged with a level and a category."""

    evidence_id: str = pa.Field(unique=True, str_length={"min_value": 1}, metadata=_kind("id"),
                                description="Unique id of the observation.")
    engineer_id: str = pa.Field(str_length={"min_value": 1}, metadata=_kind("id"),
                                description="Who was observed.")
    observed_on: pl.Date = pa.Field(metadata=_kind("date", no_future=True),
                                    description="When it happened (YYYY-MM-DD).")
    category: str = pa.Field(metadata=_kind("category"),
                             description="One of the framework's categories "
                                         "(case-insensitive).")
    level: str = pa.Field(metadata=_kind("level"),
                          description="The level the behaviour is typical of.")
    kind: str = pa.Field(isin=EVIDENCE_KINDS, metadata=_kind("enum", "example", optional=True),
                         description="example (shows the level) or concern (falls short of it). "
                                     "Default example.")
    summary: str = pa.Field(str_length={"min_value": 1}, metadata=_kind("text"),
                            description="What was observed, in a sentence.")
    link: str = pa.Field(nullable=True, str_matches=r"^https?://\S+$",
                         metadata=_kind("text", optional=True),
                         description="URL of the ticket, doc or review (optional).")
    source: str = pa.Field(isin=EVIDENCE_SOURCES, metadata=_kind("enum", "manager", optional=True),
                           description="Who reported it: " + ", ".join(EVIDENCE_SOURCES) + ".")
    recorded_by: str = pa.Field(nullable=True, metadata=_kind("id", optional=True),
                                description="engineer_id or name of whoever recorded it.")

    class Config:
        coerce = True


class DecisionSchema(pa.DataFrameModel):
    """decisions.csv (optional): compensation and promotion decisions already taken."""

    engineer_id: str = pa.Field(str_length={"min_value": 1}, metadata=_kind("id"),
                                description="Who the decision was about.")
    decided_on: pl.Date = pa.Field(metadata=_kind("date", no_future=True),
                                   description="Date of the decision (YYYY-MM-DD).")
    decision: str = pa.Field(isin=DECISIONS, metadata=_kind("enum"),
                             description="One of " + ", ".join(DECISIONS) + ".")
    note: str = pa.Field(nullable=True, metadata=_kind("text", optional=True),
                         description="Free text (optional).")

    class Config:
        coerce = True


class LeaveSchema(pa.DataFrameModel):
    """leave.csv (optional): long absences; a month mostly on leave is not judged."""

    engineer_id: str = pa.Field(str_length={"min_value": 1}, metadata=_kind("id"),
                                description="Who was away.")
    starts_on: pl.Date = pa.Field(metadata=_kind("date"), description="First day away.")
    ends_on: pl.Date = pa.Field(metadata=_kind("date"), description="Last day away.")

    @pa.dataframe_check(error="ends_on is before starts_on; swap the dates")
    def ends_after_start(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("ends_on") >= pl.col("starts_on"))

    class Config:
        coerce = True


class MonthlyMetricsSchema(pa.DataFrameModel):
    """monthly_metrics.csv (optional): a helpdesk report per agent and month, for teams without
    ticket-level exports. Where tickets cover the same engineer-month, tickets win."""

    engineer_id: str = pa.Field(str_length={"min_value": 1}, metadata=_kind("id"),
                                description="Whose month it is.")
    month: pl.Date = pa.Field(metadata=_kind("month", no_future=True),
                              description="The month, YYYY-MM.")
    tickets_solved: int = pa.Field(ge=0, metadata=_kind("int"),
                                   description="Tickets solved that month.")
    sla_met: int = pa.Field(ge=0, metadata=_kind("int"), description="SLA targets met.")
    sla_breached: int = pa.Field(ge=0, metadata=_kind("int"), description="SLA targets missed.")
    median_open_hours: float = pa.Field(nullable=True, ge=0, metadata=_kind("float"),
                                        description="Median hours from creation to solve.")
    csat_good: int = pa.Field(ge=0, metadata=_kind("int", 0, optional=True),
                              description="Good satisfaction ratings. Default 0.")
    csat_bad: int = pa.Field(ge=0, metadata=_kind("int", 0, optional=True),
                             description="Bad satisfaction ratings. Default 0.")

    class Config:
        coerce = True
        unique = ["engineer_id", "month"]


@dataclass(frozen=True)
class TableSpec:
    """Where an input table comes from and which model validates it."""

    name: str
    model: type[pa.DataFrameModel]
    required: bool
    formats: tuple[str, ...] = ("csv",)

    @property
    def file_names(self) -> tuple[str, ...]:
        return tuple(f"{self.name}.{ext}" for ext in self.formats)

    def columns(self) -> dict[str, dict]:
        """Column name -> metadata (kind, default, optional_column), in contract order."""
        schema = self.model.to_schema()
        return {name: col.metadata for name, col in schema.columns.items()}


# Load order matters: engineers first, because every other table refers to them.
TABLES: tuple[TableSpec, ...] = (
    TableSpec("engineers", EngineerSchema, required=True),
    TableSpec("levels", LevelSchema, required=True),
    TableSpec("tickets", TicketSchema, required=False, formats=("csv", "parquet")),
    TableSpec("evidence", EvidenceSchema, required=False),
    TableSpec("decisions", DecisionSchema, required=False),
    TableSpec("leave", LeaveSchema, required=False),
    TableSpec("monthly_metrics", MonthlyMetricsSchema, required=False),
)
TABLES_BY_NAME = {t.name: t for t in TABLES}


def schema_for(spec: TableSpec, framework: Framework) -> pa.DataFrameSchema:
    """The model's schema plus the checks that come from the framework file."""
    schema = spec.model.to_schema()
    for name, column in schema.columns.items():
        if column.metadata["no_future"]:
            kind = column.metadata["kind"]
            schema = schema.update_column(name, checks=[
                *column.checks, _not_future(name, is_date=kind in ("date", "month"))])
    levels = list(framework.levels)
    categories = list(framework.categories)
    if "level" in schema.columns:
        schema = schema.update_column("level", checks=[pa.Check.isin(
            levels, error=f"level must be one of {', '.join(levels)} (see data/framework.toml)")])
    if "category" in schema.columns:
        schema = schema.update_column("category", checks=[pa.Check.isin(
            categories,
            error=f"category must be one of {', '.join(categories)} (see data/framework.toml)")])
    return schema
