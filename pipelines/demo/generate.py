"""The synthetic demo org: contract-format input files with every readiness story in them.

`generate_demo` writes engineers, levels, tickets, evidence, decisions, leave and manager
changes CSVs into a folder, and an access.toml naming demo people for each dashboard role.
Same arguments, same bytes: numpy and Faker are seeded from `seed`, and nothing reads the clock
except the default `end_month` (the month before the current one).

Sizes: the default org (150 engineers, 36 months) has ~150k tickets; 1,000 engineers over 60
months at `tickets_per_month=630` gives ~25 million, generated month by month and streamed to
disk through DuckDB so memory stays flat.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from pipelines.demo import calendar as cal
from pipelines.demo.access import ACCESS_FILE, render_access
from pipelines.demo.evidence import EvidenceWriter, decision_rows, leave_rows
from pipelines.demo.org import MANAGER, Org, OrgBuilder
from pipelines.demo.plan import build_plan
from pipelines.demo.tickets import TICKET_SCHEMA, TicketStream
from pipelines.framework import DEFAULT_FRAMEWORK, load_framework
from pipelines.tables import TABLES

# The export happens this many days into the month after end_month, so that month is partial
# and end_month is the as-of month.
EXPORT_DAY = 6
MIN_MONTHS = 12
ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"

# The demo writes every file of the input contract but monthly_metrics (it exports tickets),
# each with all its columns in contract order.
COLUMNS = {spec.name: tuple(spec.columns()) for spec in TABLES if spec.name != "monthly_metrics"}
TIMESTAMP_COLUMNS = ("created_at", "solved_at", "updated_at")


@dataclass(frozen=True)
class DemoSummary:
    """What was written (rows per file) and who was designed to show what (archetype ->
    engineer ids). The archetypes are for tests and benchmarks; they are not written out."""

    out_dir: Path
    end_month: str
    counts: dict[str, int]
    archetypes: dict[str, list[str]] = field(default_factory=dict)


def generate_demo(
    out_dir: Path,
    engineers: int = 150,
    months: int = 36,
    seed: int = 7,
    end_month: str | None = None,
    progress: bool = False,
    tickets_per_month: float = 30.0,
    framework_path: Path = DEFAULT_FRAMEWORK,
) -> DemoSummary:
    """Write the demo org's CSVs into `out_dir` and return the summary.

    tickets_per_month: mean tickets an engineer solves in a full month (team leads half);
    raise it for benchmark-sized files (1,000 engineers x 60 months at 630 gives ~25 million).
    """
    if engineers < 1:
        raise ValueError(f"engineers={engineers}: the demo org needs at least 1 engineer")
    if months < MIN_MONTHS:
        raise ValueError(
            f"months={months}: use at least {MIN_MONTHS} so a promotion case "
            "(12 months at level) fits in the data"
        )
    if tickets_per_month <= 0:
        raise ValueError(f"tickets_per_month={tickets_per_month}: use a positive number")
    last = cal.parse_month(end_month) if end_month else cal.previous_month(dt.date.today())
    first = last - months + 1
    extract_at = dt.datetime.combine(cal.first_day(last + 1), dt.time()) + dt.timedelta(
        days=EXPORT_DAY - 1
    )
    fw = load_framework(framework_path)
    org_rng, plan_rng, ticket_rng, evidence_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)
    )

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with _progress(progress) as advance:
        org = OrgBuilder(fw, org_rng, seed, first, months, extract_at).build(engineers)
        plan = build_plan(org, tickets_per_month, plan_rng)
        counts = {
            "engineers": _write(out_dir, "engineers", _engineer_rows(org)),
            "levels": _write(out_dir, "levels", _level_rows(org)),
            "decisions": _write(out_dir, "decisions", decision_rows(org)),
            "leave": _write(out_dir, "leave", leave_rows(org)),
            "manager_changes": _write(out_dir, "manager_changes", _manager_change_rows(org)),
            "evidence": _write(
                out_dir, "evidence", EvidenceWriter(org, plan, evidence_rng).build()
            ),
        }
        stream = TicketStream(org, plan, ticket_rng, on_month=advance(months + 1))
        _write_tickets(out_dir, stream)
        counts["tickets"] = stream.rows
        _write_text(out_dir / ACCESS_FILE, render_access(_engineer_rows(org)))

    archetypes: dict[str, list[str]] = {MANAGER: [m.engineer_id for m in org.managers]}
    for p in org.people:
        archetypes.setdefault(p.archetype, []).append(p.engineer_id)
    return DemoSummary(out_dir, cal.label(last), counts, archetypes)


def _engineer_rows(org: Org) -> list[dict]:
    rows = [
        {
            "engineer_id": m.engineer_id,
            "name": m.name,
            "email": m.email,
            "team": m.team,
            "region": m.region,
            "manager_id": m.manager_id,
            "hire_date": m.hire_on,
            "team_lead": False,
            "left_on": None,
            "onboarded_on": None,
        }
        for m in org.managers
    ]
    rows += [
        {
            "engineer_id": p.engineer_id,
            "name": p.name,
            "email": p.email,
            "team": p.team,
            "region": p.region,
            "manager_id": p.manager_id,
            "hire_date": p.hire_on,
            "team_lead": p.team_lead,
            "left_on": p.left_on,
            "onboarded_on": p.onboarded_on,
        }
        for p in org.people
    ]
    return rows


def _level_rows(org: Org) -> list[dict]:
    return [
        {"engineer_id": p.engineer_id, "level": org.fw.levels[rank], "effective_on": day}
        for p in org.people
        for day, rank in p.level_changes
    ]


def _manager_change_rows(org: Org) -> list[dict]:
    rows = [
        {"engineer_id": p.engineer_id, "changed_on": on, "from_manager_id": a, "to_manager_id": b}
        for p in org.people
        for on, a, b in p.manager_changes
    ]
    return sorted(rows, key=lambda r: (r["changed_on"], r["engineer_id"]))


def _write_text(path: Path, text: str) -> None:
    """Written beside the target, then renamed over it, like the CSVs."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _write(out_dir: Path, name: str, rows: list[dict]) -> int:
    columns = COLUMNS[name]
    table = (
        pa.Table.from_pylist(rows, schema=_schema(name)) if rows else _schema(name).empty_table()
    )
    _copy(table.select(list(columns)), out_dir / f"{name}.csv", columns)
    return table.num_rows


def _schema(name: str) -> pa.Schema:
    types = {
        "hire_date": pa.date32(),
        "left_on": pa.date32(),
        "onboarded_on": pa.date32(),
        "effective_on": pa.date32(),
        "observed_on": pa.date32(),
        "decided_on": pa.date32(),
        "starts_on": pa.date32(),
        "ends_on": pa.date32(),
        "changed_on": pa.date32(),
        "team_lead": pa.bool_(),
    }
    return pa.schema([(c, types.get(c, pa.string())) for c in COLUMNS[name]])


def _write_tickets(out_dir: Path, stream: TicketStream) -> None:
    reader = pa.RecordBatchReader.from_batches(TICKET_SCHEMA, stream.batches())
    _copy(reader, out_dir / "tickets.csv", COLUMNS["tickets"])


def _copy(source: pa.Table | pa.RecordBatchReader, path: Path, columns: tuple[str, ...]) -> None:
    """CSV through DuckDB: quotes only where needed, true/false, empty nulls, ISO dates, and
    timestamps as ISO-8601 UTC with a Z. Written beside the target, then renamed over it."""
    select = ", ".join(
        f"strftime({c}, '{ISO_UTC}') as {c}" if c in TIMESTAMP_COLUMNS else c for c in columns
    )
    partial = path.with_suffix(".csv.partial")
    con = duckdb.connect()
    try:
        # The Python generator feeding the copy is the bottleneck; one writer thread keeps
        # memory flat (no batches buffered for reordering) and is faster on small machines.
        con.execute("set threads = 1")
        con.register("demo_source", source)
        # Identifiers come from our own constants; the path is a bound-free literal DuckDB's
        # COPY cannot take as a parameter, so it is quoted here.
        target = str(partial).replace("'", "''")
        con.execute(
            f"copy (select {select} from demo_source) to '{target}' (header, delimiter ',')"
        )
    finally:
        con.close()
    os.replace(partial, path)


@contextmanager
def _progress(enabled: bool) -> Iterator:
    """Yields `advance(total)`: returns a per-month callback for the ticket bar (or None)."""
    if not enabled:
        yield lambda total: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} months"),
        TimeElapsedColumn(),
    ) as bar:

        def advance(total: int):
            task = bar.add_task("Generating tickets", total=total)
            return lambda _month: bar.advance(task)

        yield advance
