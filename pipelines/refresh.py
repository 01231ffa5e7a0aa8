"""`python -m pipelines refresh`: bring the warehouse up to date without anyone watching.

Meant for cron or a systemd timer. It re-reads the exports (a source folder, or the exports a
mapping names) or pulls what changed in Zendesk since the last refresh, then builds. It says
nothing when all is well (the scheduler would mail every line), and on a problem prints a short
report: what failed, where, the fix, and the build the dashboard keeps showing meanwhile. Two
refreshes never overlap: the second stops at once, naming the first.

Exit codes: 0 built, 1 nothing changed because something failed, 2 built but rows were
rejected, 75 (EX_TEMPFAIL) another refresh of the same warehouse is still running.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from pipelines.errors import SourceError
from pipelines.load.lock import exclusive_lock

EXIT_FAILED = 1
EXIT_REJECTED = 2
EXIT_BUSY = 75
REFRESH_STATE = ".rungs_refresh.json"
INCREMENT_DIR = ".refresh_increment"
# Zendesk's incremental exports are ordered by update time with second precision; pulling a
# little before the last start catches what changed while that pull ran (repeats are harmless:
# the conversion keeps each object's newest version).
OVERLAP = timedelta(minutes=10)
# The users list is not incremental: each pull brings all agents, so it replaces the last one.
WHOLE_EACH_TIME = ("users.jsonl",)


class RefreshBusy(Exception):
    """Another refresh of the same warehouse holds the lock."""


class RefreshFailed(Exception):
    """A step failed; the message says which, where and the fix."""

    def __init__(self, step: str, message: str):
        super().__init__(f"{step}: {message}")
        self.step = step
        self.message = message


def refresh_lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(f".{warehouse.name}.refresh.lock")


@contextmanager
def refresh_lock(warehouse: Path) -> Iterator[None]:
    """Held for the whole refresh, pull included; separate from the build's own writer lock,
    which the build inside takes as usual."""

    def busy(holder: tuple[str, str]) -> RefreshBusy:
        pid, since = holder
        return RefreshBusy(
            f"another refresh of {warehouse} is running since {since}, pid {pid}; this one "
            "stopped without doing anything. Fix: none needed if that refresh is expected; "
            "if runs keep overlapping, schedule them further apart"
        )

    with exclusive_lock(refresh_lock_path(warehouse), busy):
        yield


# -- Zendesk, incrementally ----------------------------------------------------------------


@dataclass
class ZendeskSource:
    """Where and how to pull. `folder` keeps the contract files the build reads, every object
    pulled so far (.zendesk_pull/, as `pull zendesk --out` leaves it) and the refresh state."""

    folder: Path
    subdomain: str
    email: str
    token: str
    # Only tests set these, to serve recorded API pages.
    client_options: dict = field(default_factory=dict)


def pull_zendesk_increment(source: ZendeskSource, progress: bool = False):
    """Pull what changed since the last refresh (everything the first time), add it to the
    objects pulled before, and rewrite the contract files from all of them."""
    from pipelines.importers.zendesk import PULL_DIR, pull_zendesk

    folder = source.folder
    state_path = folder / REFRESH_STATE
    since = _last_pull_start(state_path, source.subdomain)
    started = datetime.now(UTC)
    increment = folder / INCREMENT_DIR
    try:
        pull_zendesk(
            source.subdomain,
            source.email,
            source.token,
            increment,
            since=None if since is None else (since - OVERLAP).isoformat(),
            progress=progress,
            **source.client_options,
        )
    except SourceError:
        # An increment with no ticket updated since the last refresh is a quiet day, not a
        # failure: the pull itself finished, only its own tickets.csv had nothing to hold.
        if since is None or not _pull_finished(increment):
            raise
    _merge(increment / PULL_DIR, folder / PULL_DIR, whole=since is None)
    report = pull_zendesk("", "", "", folder, from_files=folder / PULL_DIR, progress=progress)
    state = {"subdomain": source.subdomain, "last_pull_started": started.isoformat()}
    state_path.write_text(json.dumps(state, indent=1), encoding="utf-8")
    # The increment's own files are people data already merged into the folder.
    shutil.rmtree(increment, ignore_errors=True)
    return report


def _pull_finished(folder: Path) -> bool:
    """Whether the pull into `folder` fetched every stream (its saved state says complete)."""
    from pipelines.importers.zendesk import STATE_FILE

    try:
        return bool(json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))["complete"])
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _last_pull_start(state_path: Path, subdomain: str) -> datetime | None:
    """When the last successful pull of this account began; None means pull everything."""
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
        if state.get("subdomain") != subdomain:
            return None
        return datetime.fromisoformat(state["last_pull_started"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _merge(pulled: Path, archive: Path, whole: bool) -> None:
    """Add the objects just pulled to those pulled before. A full pull replaces them all."""
    archive.mkdir(parents=True, exist_ok=True)
    if whole:
        for old in archive.glob("*.jsonl"):
            old.unlink()
    for new in sorted(pulled.glob("*.jsonl")):
        target = archive / new.name
        if whole or new.name in WHOLE_EACH_TIME or not target.exists():
            shutil.copyfile(new, target.with_suffix(".tmp"))
            os.replace(target.with_suffix(".tmp"), target)
            continue
        with target.open("a", encoding="utf-8") as out, new.open(encoding="utf-8") as add:
            shutil.copyfileobj(add, out)
            out.flush()
            os.fsync(out.fileno())


# -- the whole refresh ---------------------------------------------------------------------


@dataclass
class RefreshPlan:
    warehouse: Path
    framework: Path
    source: Path | None = None
    mapping: Path | None = None
    zendesk: ZendeskSource | None = None
    guard: object = None
    journal: object = None

    def describe_source(self) -> str:
        if self.zendesk is not None:
            return f"Zendesk {self.zendesk.subdomain} via {self.zendesk.folder}"
        if self.mapping is not None:
            also = f" and {self.source}" if self.source else ""
            return f"the exports {self.mapping} maps{also}"
        return str(self.source)


def run_refresh(
    plan: RefreshPlan,
    resolve: Callable[[Path | None, Path | None, Path], tuple],
    scratch: Path,
    progress: bool = False,
):
    """Pull or re-read, then build. `resolve` turns (source, mapping, scratch) into the
    contract folder and its provenance exactly as `build` does. Raises RefreshFailed naming
    the failed step."""
    from pipelines.errors import BuildFailed, FrameworkError
    from pipelines.load.build import build
    from pipelines.load.guard import DropRefused

    source = plan.source
    if plan.zendesk is not None:
        try:
            pull_zendesk_increment(plan.zendesk, progress)
        except (SourceError, OSError) as exc:
            step = f"pulling from Zendesk into {plan.zendesk.folder}"
            raise RefreshFailed(step, str(exc)) from exc
        source = plan.zendesk.folder
    try:
        folder, provenance = resolve(source, plan.mapping, scratch)
    except (SourceError, BuildFailed) as exc:
        raise RefreshFailed(f"reading {plan.mapping or source}", str(exc)) from exc
    try:
        return build(
            folder,
            plan.warehouse,
            plan.framework,
            progress=progress,
            guard=plan.guard,
            journal=plan.journal,
            provenance=provenance,
        )
    except (DropRefused, BuildFailed, FrameworkError, SourceError) as exc:
        # Said of the user's exports, not of the converted files in the scratch folder.
        text = provenance.error_text(str(exc), folder) if provenance else str(exc)
        raise RefreshFailed(f"building {plan.warehouse}", text) from exc


def summary(plan: RefreshPlan, report) -> str:
    """The one line a successful refresh prints with --verbose."""
    as_of = f", as of {report.as_of_month}" if report.as_of_month else ""
    return (
        f"refresh ok: build {report.build_id} into {plan.warehouse} from "
        f"{plan.describe_source()}: {report.rows_loaded:,} rows loaded, "
        f"{report.rows_rejected:,} rejected{as_of} ({report.duration_s:.1f} s)"
    )


def rejected_report(plan: RefreshPlan, report) -> str:
    """Built and swapped in, but some rows did not load: worth a mail from cron."""
    lines = [
        f"refresh built {plan.warehouse} (build {report.build_id}) but "
        f"{report.rows_rejected:,} row(s) were rejected and left out of it."
    ]
    for table, file, line, column, value, reason, *rest in report.rejected_sample[:3]:
        key = f" ({rest[0]})" if rest and rest[0] is not None else ""  # the ticket number
        where = f"{file or table}, line {line}{key}" + (f", column {column!r}" if column else "")
        lines.append(f"  {where}: {reason}" + (f" (value {value!r})" if value else ""))
    options = [f"--mapping {plan.mapping}"] if plan.mapping else []
    if plan.zendesk or plan.source:
        options.append(f"--source {plan.zendesk.folder if plan.zendesk else plan.source}")
    check = " ".join(["python -m pipelines check", *options])
    lines.append(f"Fix: correct those rows in your export; `{check}` lists every one.")
    return "\n".join(lines)


def failure_report(plan: RefreshPlan, failure: RefreshFailed) -> str:
    return "\n".join(
        [f"refresh failed while {failure.step}:", failure.message, _kept(plan.warehouse)]
    )


def _kept(warehouse: Path) -> str:
    last = last_good_build(warehouse)
    if last is None:
        return f"Nothing was written; there is no earlier build at {warehouse}."
    build_id, built_at = last
    age = describe_age(datetime.now(UTC) - built_at)
    return (
        f"The warehouse {warehouse} was left as it was: the dashboard keeps showing build "
        f"{build_id} from {built_at:%Y-%m-%d %H:%M %Z} ({age} old)."
    )


def describe_age(age: timedelta) -> str:
    """'40 minutes', '5 hours', '3 days': how old a build is, as a person would say it."""
    minutes = max(int(age.total_seconds() // 60), 0)
    if minutes < 120:
        return f"{minutes} minute{'s' * (minutes != 1)}"
    if minutes < 72 * 60:
        return f"{minutes // 60} hours"
    return f"{minutes // (24 * 60)} days"


def last_good_build(warehouse: Path) -> tuple[str, datetime] | None:
    """The newest build recorded in `warehouse`, or None when there is none to read."""
    if not warehouse.is_file():
        return None
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rows = con.execute(
                "select build_id, built_at from builds where status = 'ok' "
                "order by built_at desc limit 1"
            ).fetchall()
    except duckdb.Error:
        return None
    if not rows:
        return None
    build_id, built_at = rows[0]
    return build_id, built_at.astimezone(UTC)
