"""The pandera models that enforce the input contract declared in pipelines/tables.py.

Import this only where rows are validated (the build's loader, tests): pandera is slow to
import, and the dashboard and the demo generator never need it. Each field takes its meaning,
nullability, vocabulary and parsing metadata from the table's ColumnSpec, so the data
dictionary has one source; the model adds what only validation needs: dtypes, uniqueness,
lengths, patterns, bounds and rules across columns. Checks that depend on the framework
(levels, categories) or on the clock (nothing in the future) are added at validation time by
`schema_for`, because the framework file is data and the future starts when the build runs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pandera.polars as pa
import polars as pl

from pipelines.framework import Framework
from pipelines.tables import (
    FUTURE_SLACK,
    ID_FAULTS,
    SOLVED_STATUSES,
    TABLES,
    TABLES_BY_NAME,
    TableSpec,
)

__all__ = ["ID_CHECK", "MODELS", "TABLES", "TABLES_BY_NAME", "TableSpec", "schema_for"]

# The name of the check on id characters; the loader words its reason from the failing value,
# because the sentence has to say which character is wrong and where.
ID_CHECK = "id_characters"

UTC_TS = pl.Datetime("us", "UTC")
# Prose people write about a colleague, the text the app's forms take too. Names and teams come
# from HR systems and stay inert text whatever they start with; a sentence that starts like a
# formula is a paste gone wrong or an attack, and is refused in a file as in a form.
PROSE = {"evidence": ("summary",), "decisions": ("note",)}
# What a cell starts with when a spreadsheet would run it: =, +, @, a tab or return, or a minus
# sign not followed by a space (a "- " bullet is prose; "-2+3" and "-cmd|..." are not).
FORMULA_START = r"^(?:[=+@\t\r]|-[^ ])"
NON_EMPTY = {"min_value": 1}


def _fields_of(table: str) -> Callable[..., Any]:
    """A pa.Field factory for `table`'s columns: the contract's part comes from the
    ColumnSpec, the checks given here are added to it."""
    spec = TABLES_BY_NAME[table]

    def field(name: str, **checks: Any) -> Any:
        col = spec.column(name)
        return pa.Field(
            nullable=col.nullable,
            isin=list(col.choices) or None,
            description=col.description,
            metadata=col.metadata,
            **checks,
        )

    return field


def _not_future(col: str, is_date: bool) -> pa.Check:
    """Built at validation time, because 'the future' starts when the build runs."""
    limit = datetime.now(UTC) + FUTURE_SLACK
    bound = limit.date() if is_date else limit
    return pa.Check(
        lambda data: data.lazyframe.select(pl.col(col) <= bound),
        ignore_na=True,
        name="not_in_future",
        error=f"{col} is in the future; check the year and the time zone",
    )


def _clean_id(col: str) -> pa.Check:
    return pa.Check(
        lambda data: data.lazyframe.select(~pl.col(col).str.contains(ID_FAULTS)),
        ignore_na=True,
        name=ID_CHECK,
        error=ID_CHECK,
    )


def _finite(col: str) -> pa.Check:
    return pa.Check(
        lambda data: data.lazyframe.select(pl.col(col).is_finite()),
        ignore_na=True,
        name="finite",
        error=f"{col} is not a number (NaN or infinity); write the value as a plain number",
    )


def _at_most(col: str, limit: float) -> pa.Check:
    """A value no real export holds. NaN and infinity pass here: `_finite` names them."""
    value = pl.col(col).cast(pl.Float64)
    return pa.Check(
        lambda data: data.lazyframe.select(~value.is_finite() | (value <= limit)),
        ignore_na=True,
        name="plausible",
        error=f"{col} is above {limit:,.0f}, more than any real value; check the export "
        "(a wrong column, unit or total)",
    )


def _not_formula(col: str) -> pa.Check:
    """Text that a spreadsheet would run as a formula (=HYPERLINK(…), +cmd, @SUM) is refused
    at the door: exports quote it, but the rows are shown and shared in many places."""
    return pa.Check(
        lambda data: data.lazyframe.select(~pl.col(col).str.contains(FORMULA_START)),
        ignore_na=True,
        name="not_formula",
        error=f"{col} starts like a spreadsheet formula (=, +, -, @); begin it with a word",
    )


def _value_checks(meta: dict, name: str) -> list[pa.Check]:
    """Checks every column of a kind gets, whichever table it is in."""
    checks = []
    if meta["no_future"]:
        checks.append(_not_future(name, is_date=meta["kind"] in ("date", "month")))
    if meta["kind"] == "id":
        checks.append(_clean_id(name))
    if meta["kind"] == "float":
        checks.append(_finite(name))
    if meta["maximum"] is not None:
        checks.append(_at_most(name, meta["maximum"]))
    return checks


_engineer = _fields_of("engineers")


class EngineerSchema(pa.DataFrameModel):
    """Validates engineers.csv."""

    engineer_id: str = _engineer("engineer_id", unique=True, str_length=NON_EMPTY)
    name: str = _engineer("name", str_length=NON_EMPTY)
    email: str = _engineer("email", str_matches=r"^[^@\s]+@[^@\s]+$")
    team: str = _engineer("team", str_length=NON_EMPTY)
    region: str = _engineer("region", str_length=NON_EMPTY)
    manager_id: str = _engineer("manager_id")
    hire_date: pl.Date = _engineer("hire_date")
    team_lead: bool = _engineer("team_lead")
    left_on: pl.Date = _engineer("left_on")
    onboarded_on: pl.Date = _engineer("onboarded_on")

    @pa.dataframe_check(error="left_on is before hire_date; fix one of the two dates")
    def leaves_after_hire(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.col("left_on").is_null() | (pl.col("left_on") >= pl.col("hire_date"))
        )

    class Config:
        coerce = True


_level = _fields_of("levels")


class LevelSchema(pa.DataFrameModel):
    """Validates levels.csv."""

    engineer_id: str = _level("engineer_id", str_length=NON_EMPTY)
    level: str = _level("level")
    effective_on: pl.Date = _level("effective_on")

    class Config:
        coerce = True
        unique = ["engineer_id", "effective_on"]


_ticket = _fields_of("tickets")


class TicketSchema(pa.DataFrameModel):
    """Validates tickets.csv or tickets.parquet."""

    ticket_id: str = _ticket("ticket_id", str_length=NON_EMPTY)
    assignee_id: str = _ticket("assignee_id")
    created_at: UTC_TS = _ticket("created_at")
    solved_at: UTC_TS = _ticket("solved_at")
    status: str = _ticket("status")
    priority: str = _ticket("priority")
    sla_breached: bool = _ticket("sla_breached")
    csat: str = _ticket("csat")
    reopens: int = _ticket("reopens", ge=0)
    updated_at: UTC_TS = _ticket("updated_at")

    @pa.dataframe_check(error="solved_at is before created_at; export the latest solve time")
    def solved_after_created(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.col("solved_at").is_null() | (pl.col("solved_at") >= pl.col("created_at"))
        )

    @pa.dataframe_check(
        error="status is solved or closed but solved_at is empty; export the solve time"
    )
    def solved_has_time(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            ~pl.col("status").is_in(SOLVED_STATUSES) | pl.col("solved_at").is_not_null()
        )

    class Config:
        coerce = True


_evidence = _fields_of("evidence")


class EvidenceSchema(pa.DataFrameModel):
    """Validates evidence.csv."""

    evidence_id: str = _evidence("evidence_id", unique=True, str_length=NON_EMPTY)
    engineer_id: str = _evidence("engineer_id", str_length=NON_EMPTY)
    observed_on: pl.Date = _evidence("observed_on")
    category: str = _evidence("category")
    level: str = _evidence("level")
    kind: str = _evidence("kind")
    summary: str = _evidence("summary", str_length=NON_EMPTY)
    link: str = _evidence("link", str_matches=r"^https?://\S+$")
    source: str = _evidence("source")
    recorded_by: str = _evidence("recorded_by")

    class Config:
        coerce = True


_decision = _fields_of("decisions")


class DecisionSchema(pa.DataFrameModel):
    """Validates decisions.csv."""

    engineer_id: str = _decision("engineer_id", str_length=NON_EMPTY)
    decided_on: pl.Date = _decision("decided_on")
    decision: str = _decision("decision")
    note: str = _decision("note")

    class Config:
        coerce = True


_leave = _fields_of("leave")


class LeaveSchema(pa.DataFrameModel):
    """Validates leave.csv."""

    engineer_id: str = _leave("engineer_id", str_length=NON_EMPTY)
    starts_on: pl.Date = _leave("starts_on")
    ends_on: pl.Date = _leave("ends_on")

    @pa.dataframe_check(error="ends_on is before starts_on; swap the dates")
    def ends_after_start(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("ends_on") >= pl.col("starts_on"))

    class Config:
        coerce = True


_change = _fields_of("manager_changes")


class ManagerChangeSchema(pa.DataFrameModel):
    """Validates manager_changes.csv, row by row. Whether a person's changes join up with each
    other, the roster and the hire and leaving dates is checked across tables
    (pipelines/load/manager_history.py), where the reasons can name the other rows."""

    engineer_id: str = _change("engineer_id", str_length=NON_EMPTY)
    changed_on: pl.Date = _change("changed_on")
    from_manager_id: str = _change("from_manager_id")
    to_manager_id: str = _change("to_manager_id")

    class Config:
        coerce = True


_month = _fields_of("monthly_metrics")


class MonthlyMetricsSchema(pa.DataFrameModel):
    """Validates monthly_metrics.csv."""

    engineer_id: str = _month("engineer_id", str_length=NON_EMPTY)
    month: pl.Date = _month("month")
    tickets_solved: int = _month("tickets_solved", ge=0)
    sla_met: int = _month("sla_met", ge=0)
    sla_breached: int = _month("sla_breached", ge=0)
    median_open_hours: float = _month("median_open_hours", ge=0)
    csat_good: int = _month("csat_good", ge=0)
    csat_bad: int = _month("csat_bad", ge=0)

    class Config:
        coerce = True
        unique = ["engineer_id", "month"]


MODELS: dict[str, type[pa.DataFrameModel]] = {
    "engineers": EngineerSchema,
    "levels": LevelSchema,
    "tickets": TicketSchema,
    "evidence": EvidenceSchema,
    "decisions": DecisionSchema,
    "leave": LeaveSchema,
    "manager_changes": ManagerChangeSchema,
    "monthly_metrics": MonthlyMetricsSchema,
}

# A model must declare exactly its table's columns, in contract order: the loader selects and
# the README documents the ColumnSpecs, pandera validates the model's fields.
for _spec in TABLES:
    _declared = list(MODELS[_spec.name].to_schema().columns)
    if _declared != list(_spec.columns()):
        raise AssertionError(
            f"{MODELS[_spec.name].__name__} declares {_declared}, but "
            f"pipelines/tables.py says {_spec.name} has "
            f"{list(_spec.columns())}"
        )


def schema_for(spec: TableSpec, framework: Framework) -> pa.DataFrameSchema:
    """The model's schema plus the checks that come from the framework file, the clock and
    each column's kind (id characters, finite and plausible numbers)."""
    schema = MODELS[spec.name].to_schema()
    for name, column in schema.columns.items():
        extra = _value_checks(column.metadata, name)
        if extra:
            schema = schema.update_column(name, checks=[*column.checks, *extra])
    for name in PROSE.get(spec.name, ()):
        schema = schema.update_column(
            name, checks=[*schema.columns[name].checks, _not_formula(name)]
        )
    levels = list(framework.levels)
    categories = list(framework.categories)
    if "level" in schema.columns:
        schema = schema.update_column(
            "level",
            checks=[
                pa.Check.isin(
                    levels,
                    error=f"level must be one of {', '.join(levels)} (see data/framework.toml)",
                )
            ],
        )
    if "category" in schema.columns:
        schema = schema.update_column(
            "category",
            checks=[
                pa.Check.isin(
                    categories,
                    error=f"category must be one of {', '.join(categories)} "
                    "(see data/framework.toml)",
                )
            ],
        )
    return schema
