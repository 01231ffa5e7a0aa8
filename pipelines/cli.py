"""`python -m pipelines …` (also the `rungs` command): the write side from a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from pipelines.errors import BuildFailed, FrameworkError
from pipelines.framework import DEFAULT_FRAMEWORK
from pipelines.load.guard import DEFAULT_MAX_DROP, DEFAULT_MAX_REJECTED

# The build (and pandera, which validates) is imported inside the commands that run it, so
# `demo` and `docs` start without paying for it.

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    # A crash must not print the values of local variables: they hold names from the data.
    pretty_exceptions_show_locals=False,
    help="Rungs pipelines: build the warehouse, check inputs, make a demo org.",
)

SourceOpt = Annotated[Path, typer.Option("--source", help="Folder with the input files.")]
DEFAULT_SOURCE = Path("data/demo")
# build and check: with --mapping, --source is optional and fills what the mapping does not.
BuildSourceOpt = Annotated[
    Path | None,
    typer.Option(
        "--source",
        help="Folder with the input files (default data/demo). With --mapping: contract files "
        "there fill the tables the mapping does not produce, e.g. engineers.csv, levels.csv.",
    ),
]
WarehouseOpt = Annotated[Path, typer.Option("--warehouse", help="DuckDB file to (re)build.")]
ReadWarehouseOpt = Annotated[Path, typer.Option("--warehouse", help="DuckDB file to read.")]
DEFAULT_WAREHOUSE = Path("data/warehouse.duckdb")
FrameworkOpt = Annotated[Path, typer.Option("--framework", help="Framework file.")]
MappingOpt = Annotated[
    Path | None,
    typer.Option(
        "--mapping", help="Mapping TOML that turns your own exports into the contract files."
    ),
]
JournalUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--journal",
        help="Journal of entries recorded in the app: a SQLite file or postgresql://… URL "
        "(default: RUNGS_JOURNAL_URL, else data/journal.sqlite).",
    ),
]
NoJournalOpt = Annotated[
    bool,
    typer.Option("--no-journal", help="Build from the files alone, ignoring the journal."),
]
# The shrink guard's thresholds (pipelines/load/guard.py), shares from 0 to 1.
MaxDropOpt = Annotated[
    float,
    typer.Option(
        "--max-drop",
        envvar="RUNGS_MAX_DROP",
        min=0.0,
        max=1.0,
        help="Refuse a build that loads more than this share fewer engineers, levels or "
        "tickets than the previous build.",
    ),
]
MaxRejectedOpt = Annotated[
    float,
    typer.Option(
        "--max-rejected",
        envvar="RUNGS_MAX_REJECTED",
        min=0.0,
        max=1.0,
        help="Refuse a build that rejects more than this share of any input file's rows.",
    ),
]


def _audit_export(scope, target: str) -> None:
    """Record an export made for `scope`'s viewer; an export the log cannot hold does not
    happen (the command stops with the journal's message)."""
    from pipelines import audit

    try:
        audit.record(
            audit.Event(
                who=scope.viewer,
                role=scope.role,
                action="export",
                target=target,
                scope=scope.describe(),
            )
        )
    except audit.JournalError as exc:
        _fail(str(exc))


def _fail(message: str, code: int = 1) -> None:
    from pipelines.load.terminal import printable

    # Messages may quote a line of the user's file: its control characters are made visible.
    typer.secho(f"error: {printable(message)}", fg="red", err=True)
    raise typer.Exit(code=code)


def _source_errors() -> tuple[type[Exception], ...]:
    """Errors that carry a message for the user rather than a bug to report."""
    from pipelines.errors import SourceError

    return BuildFailed, FrameworkError, SourceError


def _refuse_roster_draft(source: Path | None, mapping: Path | None) -> None:
    """A roster draft (`roster draft`) still holding its placeholders is refused before
    anything is read, so a half-filled draft never loads as real people."""
    from pipelines.importers.roster_draft import refuse_unfilled, roster_files

    refuse_unfilled(roster_files(source if mapping else source or DEFAULT_SOURCE, mapping))


def _resolve_source(source: Path | None, mapping: Path | None, scratch: Path):
    """The folder the build reads, and (for a mapping) where its files came from."""
    _refuse_roster_draft(source, mapping)
    if mapping is None:
        return source or DEFAULT_SOURCE, None
    from pipelines.importers.mapped_source import convert_for_build

    return convert_for_build(mapping, scratch, source)


def _named_for_user(exc: Exception, converted) -> str:
    """An error of the build said of the user's exports, not of the converted folder."""
    folder, provenance = converted
    return provenance.error_text(str(exc), folder) if provenance else str(exc)


def _mapped_scratch():
    """Temp folder for mapped contract files (people data): named with this process's pid,
    so the next build removes it if this process is killed before it can."""
    import tempfile

    from pipelines.load.scratch import temp_prefix

    return tempfile.TemporaryDirectory(prefix=temp_prefix("mapped"))


@contextmanager
def _interruptible(what: str, aftermath: str) -> Iterator[None]:
    """`kill` (SIGTERM, SIGHUP) unwinds the block like Ctrl-C does, so the mapped files and
    the build's scratch files are removed on the way out; then say so and exit 128 + signal."""
    from pipelines.load.scratch import BuildInterrupted, raise_on_termination

    try:
        with raise_on_termination():
            yield
    except BuildInterrupted as exc:
        _fail(f"{what} {exc}; {aftermath}", code=128 + exc.signum)
    except KeyboardInterrupt:
        _fail(f"{what} interrupted (Ctrl-C); {aftermath}", code=130)


def _journal_for_build(url: str | None, ignore: bool):
    """The journal a build reads entries from, or None with --no-journal."""
    if ignore:
        if url:
            _fail("--journal and --no-journal contradict each other. Fix: give one of them")
        return None
    from pipelines.journal.store import JournalError, open_journal

    try:
        return open_journal(url)
    except JournalError as exc:
        _fail(str(exc))


def _print_report(report) -> None:
    """The report after the fact: a build whose warehouse is swapped in has succeeded, so a
    failure to lay out its report must not turn it into exit 1; the plain version says it."""
    from pipelines.load.report import plain_report, render_report

    try:
        text = render_report(report)
    except Exception:
        text = plain_report(report)
    typer.echo(text)


@app.command("build")
def build_cmd(
    source: BuildSourceOpt = None,
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    framework: FrameworkOpt = DEFAULT_FRAMEWORK,
    mapping: MappingOpt = None,
    as_of: Annotated[str | None, typer.Option(help="Judge up to this month (YYYY-MM).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress lines.")] = False,
    max_drop: MaxDropOpt = DEFAULT_MAX_DROP,
    max_rejected: MaxRejectedOpt = DEFAULT_MAX_REJECTED,
    accept_drop: Annotated[
        bool,
        typer.Option(
            "--accept-drop",
            help="Swap the build in even if it crosses --max-drop or --max-rejected.",
        ),
    ] = False,
    journal_url: JournalUrlOpt = None,
    no_journal: NoJournalOpt = False,
) -> None:
    """Validate the inputs and build a new warehouse, swapped in only when complete."""
    from pipelines.load.build import build
    from pipelines.load.guard import DropGuard, DropRefused

    guard = DropGuard(max_drop, max_rejected, accept_drop)
    journal = _journal_for_build(journal_url, no_journal)
    untouched = "The previous warehouse (if any) was left untouched."
    if mapping is not None:
        from pipelines.importers.mapping_zones import warn_about_zones

        warn_about_zones(mapping, framework)  # months vs the export's clock, before it runs
    converted = (None, None)
    try:
        with (
            _interruptible("build", f"its unfinished copy was removed. {untouched}"),
            _mapped_scratch() as scratch,
        ):
            converted = _resolve_source(source, mapping, Path(scratch))
            report = build(
                converted[0],
                warehouse,
                framework,
                progress=not quiet,
                as_of=as_of,
                guard=guard,
                journal=journal,
                provenance=converted[1],
            )
    except DropRefused as exc:
        _fail(str(exc))  # says itself what became of the previous warehouse
    except _source_errors() as exc:
        _fail(f"{_named_for_user(exc, converted)}\n{untouched}")
    _print_report(report)


@app.command("check")
def check_cmd(
    source: BuildSourceOpt = None,
    framework: FrameworkOpt = DEFAULT_FRAMEWORK,
    mapping: MappingOpt = None,
    warehouse: Annotated[
        Path,
        typer.Option(
            "--warehouse",
            help="Warehouse a build would replace: the report warns if the build would "
            "shrink it (nothing is written).",
        ),
    ] = DEFAULT_WAREHOUSE,
    max_drop: MaxDropOpt = DEFAULT_MAX_DROP,
    max_rejected: MaxRejectedOpt = DEFAULT_MAX_REJECTED,
    journal_url: JournalUrlOpt = None,
    no_journal: NoJournalOpt = False,
) -> None:
    """Validate the inputs and print the build report without writing a warehouse."""
    from pipelines.load.build import build
    from pipelines.load.guard import DropGuard

    try:
        _refuse_roster_draft(source, mapping)
    except _source_errors() as exc:
        _fail(str(exc))
    if mapping is not None:
        from pipelines.importers.mapping import preview_mapping
        from pipelines.importers.mapping_zones import warn_about_zones

        preview = preview_mapping(mapping)
        typer.echo(preview.render())
        warn_about_zones(mapping, framework)
        if not preview.ok:
            raise typer.Exit(code=2)
    guard = DropGuard(max_drop, max_rejected, previous=warehouse)
    journal = _journal_for_build(journal_url, no_journal)
    converted = (None, None)
    try:
        with _interruptible("check", "nothing was written"), _mapped_scratch() as scratch:
            converted = _resolve_source(source, mapping, Path(scratch))
            report = build(
                converted[0],
                None,
                framework,
                progress=False,
                guard=guard,
                journal=journal,
                provenance=converted[1],
            )
    except _source_errors() as exc:
        _fail(_named_for_user(exc, converted))
    _print_report(report)
    if report.rows_rejected:
        raise typer.Exit(code=2)


@app.command("refresh")
def refresh_cmd(
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    source: BuildSourceOpt = None,
    mapping: MappingOpt = None,
    zendesk: Annotated[
        Path | None,
        typer.Option(
            "--zendesk",
            help="Folder a Zendesk pull keeps its files in: pull what changed since the last "
            "refresh into it, then build from it.",
        ),
    ] = None,
    subdomain: Annotated[
        str | None, typer.Option(help="Zendesk subdomain (with --zendesk).")
    ] = None,
    email: Annotated[
        str | None, typer.Option(help="Email of the admin whose API token is used.")
    ] = None,
    token_env: Annotated[
        str, typer.Option("--token-env", help="Environment variable holding the API token.")
    ] = "ZENDESK_API_TOKEN",
    framework: FrameworkOpt = DEFAULT_FRAMEWORK,
    max_drop: MaxDropOpt = DEFAULT_MAX_DROP,
    max_rejected: MaxRejectedOpt = DEFAULT_MAX_REJECTED,
    accept_drop: Annotated[
        bool,
        typer.Option(
            "--accept-drop",
            help="Swap the build in even if it crosses --max-drop or --max-rejected (for a "
            "one-off run, not for the schedule).",
        ),
    ] = False,
    journal_url: JournalUrlOpt = None,
    no_journal: NoJournalOpt = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Progress lines and a summary when all is well.")
    ] = False,
) -> None:
    """Re-read the exports (or pull what changed in Zendesk) and build; silent when all is
    well, for cron and systemd timers. Exit 1 on a problem (nothing changed), 2 when built
    with rejected rows, 75 when another refresh of the warehouse is still running."""
    from pipelines import refresh
    from pipelines.load.guard import DropGuard

    given = [name for name, v in (("--source", source), ("--mapping", mapping)) if v]
    if zendesk is not None and given:
        _fail(f"--zendesk and {given[0]} name two sources. Fix: give one of them")
    if zendesk is None and not given:
        _fail("refresh needs its input. Fix: give --mapping FILE, --source DIR or --zendesk DIR")
    plan = refresh.RefreshPlan(
        warehouse=warehouse,
        framework=framework,
        source=source,
        mapping=mapping,
        guard=DropGuard(max_drop, max_rejected, accept_drop),
        journal=_journal_for_build(journal_url, no_journal),
    )
    if zendesk is not None:
        plan.zendesk = refresh.ZendeskSource(
            zendesk, subdomain or "", email or "", _zendesk_token(subdomain, email, token_env)
        )
    try:
        with (
            refresh.refresh_lock(warehouse),
            _interruptible("refresh", "the previous warehouse was left untouched"),
            _mapped_scratch() as scratch,
        ):
            report = refresh.run_refresh(plan, _resolve_source, Path(scratch), progress=verbose)
    except refresh.RefreshBusy as exc:
        _fail(str(exc), code=refresh.EXIT_BUSY)
    except refresh.RefreshFailed as exc:
        _fail(refresh.failure_report(plan, exc), code=refresh.EXIT_FAILED)
    if report.rows_rejected:
        from pipelines.load.terminal import printable

        typer.echo(printable(refresh.rejected_report(plan, report)), err=True)
        raise typer.Exit(code=refresh.EXIT_REJECTED)
    if verbose:
        typer.echo(refresh.summary(plan, report))


def _zendesk_token(subdomain: str | None, email: str | None, token_env: str) -> str:
    import os

    if not subdomain or not email:
        _fail("--zendesk needs --subdomain and --email. Fix: add both")
    # From the environment, so it never appears in a crontab, shell history or `ps`.
    token = os.environ.get(token_env, "")
    if not token:
        _fail(
            f"the environment variable {token_env} is empty. Fix: set it where the refresh "
            "runs (for systemd, an EnvironmentFile), to your Zendesk API token"
        )
    return token


@app.command("demo")
def demo_cmd(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the demo files to.")] = Path(
        "data/demo"
    ),
    engineers: Annotated[
        int, typer.Option(min=1, help="Engineers in the org (about 12 or more fit every story).")
    ] = 150,
    months: Annotated[int, typer.Option(min=12, help="Months of history.")] = 36,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same files.")] = 7,
    end_month: Annotated[
        str | None, typer.Option(help="Last full month of data (YYYY-MM); default: last month.")
    ] = None,
    tickets_per_month: Annotated[
        float, typer.Option(min=1, help="Mean tickets an engineer solves in a full month.")
    ] = 30.0,
) -> None:
    """Write a synthetic org (fake people) in the input contract's format."""
    from pipelines.demo.generate import generate_demo

    summary = generate_demo(
        out,
        engineers=engineers,
        months=months,
        seed=seed,
        end_month=end_month,
        progress=True,
        tickets_per_month=tickets_per_month,
    )
    counts = ", ".join(f"{name} {n:,}" for name, n in summary.counts.items())
    typer.echo(f"demo org written to {out} (last full month {summary.end_month}): {counts}")


@app.command("flags")
def flags_cmd(
    warehouse: WarehouseOpt = DEFAULT_WAREHOUSE,
    as_of: Annotated[str | None, typer.Option(help="Month to report (YYYY-MM).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as-user",
            help="Email of the person the list is for: only the people they may see in the "
            "dashboard (access file in RUNGS_ACCESS_FILE), and the export is audited.",
        ),
    ] = None,
) -> None:
    """Print who is promotion-ready, near a window, an in-band candidate or at risk, and why."""
    import duckdb

    from pipelines.rules.flags import flags_frame, render_flags

    if fmt not in ("table", "csv", "json"):
        _fail(f"--format {fmt!r} is not one of table, csv, json")
    if not warehouse.exists():
        _fail(f"{warehouse}: no warehouse yet. Fix: run `python -m pipelines build` first")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        try:
            frame = flags_frame(con, as_of, as_user)
        except ValueError as exc:
            _fail(str(exc))
    if as_user:
        # Recorded before a line is printed.
        _audit_export(
            frame.attrs["scope"], f"flags {frame.attrs['as_of']:%Y-%m} ({fmt}, command line)"
        )
    sys.stdout.write(render_flags(frame, fmt))


@app.command("packet")
def packet_cmd(
    out: Annotated[Path, typer.Option("--out", help="PDF file to write.")],
    engineer: Annotated[
        str | None, typer.Option("--engineer", help="Engineer id, e.g. E0036: their case.")
    ] = None,
    level: Annotated[
        str | None,
        typer.Option("--level", help="A level, e.g. IC3: the calibration pre-read of its people."),
    ] = None,
    anonymise: Annotated[
        bool,
        typer.Option(
            "--anonymise", help="Pre-read only: people and managers by letter, no ids, months."
        ),
    ] = False,
    whatif_set: Annotated[
        list[str],
        typer.Option(
            "--whatif-set",
            help="PATH=VALUE, repeatable (as `whatif --set`): add a what-if appendix, who this "
            "change moves. Admins and leadership only.",
        ),
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    appendix_parts: Annotated[
        list[str],
        typer.Option(
            "--appendix",
            help="'fairness': add the fairness lens appendix (documentation skew by manager, "
            "rates by team, manager and other groupings). Admins and leadership only.",
        ),
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    warehouse: ReadWarehouseOpt = DEFAULT_WAREHOUSE,
    as_of: Annotated[
        str | None, typer.Option(help="Month of the case (YYYY-MM; default the build's).")
    ] = None,
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as-user",
            help="Email of the person the packet is for: refused unless they may see this "
            "engineer in the dashboard (access file in RUNGS_ACCESS_FILE), and audited.",
        ),
    ] = None,
) -> None:
    """Write one engineer's case packet (PDF): flags and reasons, counters, the attainment grid,
    the metric charts against the level bars, evidence and decisions; or, with --level, the
    calibration pre-read: the level's matrix, then one page per person. --whatif-set and
    --appendix fairness add an appendix (admins and leadership only)."""
    import os

    from streamlit.logger import set_log_level

    from pipelines.rules.flags import _parse_month

    # Streamlit's caches, used outside a server, warn on every query; its loggers take the
    # global level when they are made, so set that rather than one logger's.
    set_log_level("error")
    from pipelines.access import everyone, load_policy, resolve_scope
    from pipelines.access.scope import CALIBRATING_ROLES
    from pipelines.whatif import OverrideError
    from pipelines.whatif.run import WhatIfInputError
    from rungs_ui import packet, queries
    from rungs_ui import warehouse as wh_module
    from rungs_ui.packet.appendix import packet_appendix

    if (engineer is None) == (level is None):
        _fail("Give exactly one of --engineer ID (a case packet) or --level LEVEL (a pre-read)")
    if anonymise and level is None:
        _fail("--anonymise is for the pre-read. Fix: add --level LEVEL, or drop --anonymise")
    unknown = sorted(set(appendix_parts) - {"fairness"})
    if unknown:
        _fail(f"--appendix {unknown[0]!r} is not an appendix. Fix: use --appendix fairness")
    try:
        # The what-if's own parsing, its messages naming this command's option.
        extra = packet_appendix(whatif_set, "fairness" in appendix_parts)
    except ValueError as exc:
        _fail(str(exc).replace("--set ", "--whatif-set "))
    if not warehouse.exists():
        _fail(f"{warehouse}: no warehouse yet. Fix: run `python -m pipelines build` first")
    try:
        month = _parse_month(as_of) if as_of else None
    except ValueError as exc:
        _fail(str(exc))
    os.environ[wh_module.WAREHOUSE_ENV] = str(warehouse.resolve())
    try:
        wh = wh_module.current()
    except wh_module.WarehouseUnavailable as exc:
        _fail(str(exc))
    month = month or queries.build_as_of(wh)
    scope = everyone()
    if as_user:
        policy = load_policy()
        scope = resolve_scope(wh.con, policy, as_user, month=month)
        if scope is None:
            _fail(
                f"{as_user} has no access in {policy.source}: they hold no role and are not on "
                "the roster. Fix: give them a role in the access file (RUNGS_ACCESS_FILE)."
            )
        if engineer is not None and not scope.allows(engineer):
            _fail(
                f"{as_user} may not see {engineer} in {month:%Y-%m} ({scope.describe()}), so "
                "no packet was written. Fix: ask someone whose view includes them."
            )
        if extra and scope.role not in CALIBRATING_ROLES:
            _fail(
                f"{as_user} ({scope.role}) may not have the what-if or fairness appendix: it is "
                "for admins and leadership only, so no packet was written. Fix: drop "
                "--whatif-set and --appendix, or give them one of those roles in "
                f"{policy.source}."
            )
    if level is not None:
        what = f"pre-read {level}{' anonymised' if anonymise else ''}"
    else:
        what = f"packet {engineer}"
    if extra:
        what += f" with appendix ({extra.describe()})"
    try:
        if level is not None:
            with _pages_progress(f"pre-read {level}") as progress:
                pdf = packet.pre_read_packet(
                    wh.scoped(scope), level, month, anonymise, extra, progress
                )
        else:
            pdf = packet.engineer_packet(wh.scoped(scope), engineer, month, extra)
    except (packet.NotInView, packet.NobodyAtLevel, queries.OutOfScope) as exc:
        _fail(str(exc))
    except (packet.AppendixRefused, OverrideError, WhatIfInputError) as exc:
        _fail(str(exc).replace("--set ", "--whatif-set "))
    if as_user:
        # Recorded before the file is written.
        _audit_export(scope, f"{what} {month:%Y-%m} (pdf, command line)")
    try:
        out.write_bytes(pdf)
    except OSError as exc:
        _fail(f"{out}: cannot write the packet ({exc}). Fix: choose a file you may write")
    done = what if level is not None else what.replace("packet", "case packet for", 1)
    typer.echo(f"{done} as of {month:%Y-%m} written to {out}")


def _calibrating_viewer(con, policy, as_user: str, month, what: str):
    """The scope of `as_user`, who must be an admin or leadership: a what-if and the fairness
    lens show the whole org, so only the roles that see and calibrate it may have them."""
    from pipelines.access import resolve_scope
    from pipelines.access.scope import CALIBRATING_ROLES

    scope = resolve_scope(con, policy, as_user, month=month)
    if scope is None or scope.role not in CALIBRATING_ROLES:
        _fail(
            f"{as_user} may not {what}: it is for admins and leadership. Fix: give them one of "
            f"those roles in {policy.source}, or ask an admin"
        )
    return scope


@app.command("whatif")
def whatif_cmd(
    assignments: Annotated[
        list[str],
        typer.Option(
            "--set",
            help="PATH=VALUE, repeatable: rules.<setting>=N or "
            "bars.<LEVEL>.<CATEGORY>.<metric>=N (shares as 0.95 or 95%).",
        ),
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    warehouse: ReadWarehouseOpt = DEFAULT_WAREHOUSE,
    as_of: Annotated[
        str | None, typer.Option(help="Month to judge (YYYY-MM; default the build's).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    by: Annotated[str, typer.Option("--by", help="Count the moves by level or team.")] = "level",
    each: Annotated[
        bool,
        typer.Option(
            "--each",
            help="Also run each --set on its own and print how many people each moves alone.",
        ),
    ] = False,
    save_to: Annotated[
        Path | None,
        typer.Option("--save-framework", help="Also write the changed framework to this file."),
    ] = None,
    version: Annotated[
        str | None, typer.Option("--version", help="Version of the saved framework.")
    ] = None,
    framework_file: Annotated[
        Path,
        typer.Option(
            "--framework",
            help="The framework file the build used: the saved file keeps its comments "
            "(used only when it is that file, byte for byte).",
        ),
    ] = DEFAULT_FRAMEWORK,
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as-user",
            help="Email of the person the what-if is for: refused unless they are admin or "
            "leadership in the access file (RUNGS_ACCESS_FILE), and audited.",
        ),
    ] = None,
) -> None:
    """Who would move if a bar or rule setting changed: the readiness rules of the build rerun
    with the changed values on the same warehouse (never written), people whose flags or
    window change, then people whose flags stay but whose reason changes, with old and new
    reasons."""
    from pipelines.access import everyone, load_policy
    from pipelines.rules.flags import _parse_month
    from pipelines.whatif import OverrideError, run_whatif, save_framework
    from pipelines.whatif.overrides import parse_assignments
    from pipelines.whatif.run import WhatIfInputError, build_month, each_alone
    from pipelines.whatif.save import base_matching
    from pipelines.whatif.text import render

    if fmt not in ("table", "csv", "json"):
        _fail(f"--format {fmt!r} is not one of table, csv, json")
    if by not in ("level", "team"):
        _fail(f"--by {by!r} is not one of level, team")
    if save_to is not None and not (version or "").strip():
        _fail("--save-framework needs a version. Fix: add --version, e.g. --version 2027.1")
    if save_to is not None and save_to.exists():
        _fail(f"{save_to} already exists. Fix: choose a new file name for the saved framework")
    try:
        changes = parse_assignments(assignments)
        month = _parse_month(as_of) if as_of else None
    except ValueError as exc:
        _fail(str(exc))
    scope = everyone()
    if as_user:
        import duckdb

        if not warehouse.is_file():
            _fail(f"{warehouse}: no warehouse yet. Fix: run `python -m pipelines build` first")
        with duckdb.connect(str(warehouse), read_only=True) as con:
            try:
                viewing = month or build_month(con)
            except WhatIfInputError as exc:
                _fail(str(exc))
            scope = _calibrating_viewer(con, load_policy(), as_user, viewing, "run a what-if")
    try:
        result = run_whatif(warehouse, changes, as_of=month)
        alone = each_alone(warehouse, changes, as_of=month) if each else None
    except (OverrideError, WhatIfInputError) as exc:
        _fail(str(exc))
    if as_user:
        # Recorded before a line is printed.
        moved = ", ".join(f"{p}={new:g}" for p, (_, new) in result.assignments.items())
        _audit_export(scope, f"whatif {result.month:%Y-%m} {moved} ({fmt}, command line)")
    sys.stdout.write(render(result, fmt, by, alone))
    if save_to is not None:
        base = base_matching(result.framework_before, framework_file)
        try:
            saved = save_framework(result.framework_after, save_to, version, base)
        except (OSError, ValueError) as exc:
            _fail(f"{save_to}: cannot save the framework ({exc})")
        kept = f", comments of {base} kept" if base else ""
        typer.secho(f"framework version {version} saved to {saved}{kept}", err=True)


@app.command("fairness")
def fairness_cmd(
    by: Annotated[
        str,
        typer.Option(
            "--by", help="Grouping: team, region, manager, level or a declared roster column."
        ),
    ] = "team",
    start: Annotated[
        str | None,
        typer.Option("--from", help="First month (YYYY-MM; default 11 months before --to)."),
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last month (YYYY-MM; default the build's as-of).")
    ] = None,
    warehouse: ReadWarehouseOpt = DEFAULT_WAREHOUSE,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    skew: Annotated[
        bool,
        typer.Option("--skew", help="Print the evidence documentation skew by manager instead."),
    ] = False,
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as-user",
            help="Email of the person the figures are for: admins and leadership only, within "
            "their view (access file in RUNGS_ACCESS_FILE); the export is audited.",
        ),
    ] = None,
) -> None:
    """Print the fairness lens: flag, decision and evidence rates per group with 95% intervals
    and sample sizes, small groups withheld; or, with --skew, evidence recorded per report per
    month by manager against the org's rate."""
    import duckdb

    from pipelines.access import load_policy
    from pipelines.fairness import (
        FairnessError,
        default_period,
        documentation_skew,
        fairness_min_group_size,
        fairness_table,
    )
    from pipelines.fairness.period import months_before, parse_month
    from pipelines.fairness.render import FORMATS, manager_labels, render_skew, render_table

    if fmt not in FORMATS:
        _fail(f"--format {fmt!r} is not one of {', '.join(FORMATS)}")
    if not warehouse.exists():
        _fail(f"{warehouse}: no warehouse yet. Fix: run `python -m pipelines build` first")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        try:
            period = default_period(con)
            last = parse_month(end, "--to") if end else period and period[1]
            if last is None:
                _fail(f"{warehouse}: nothing judged yet. Fix: build with ticket data first")
            first = parse_month(start, "--from") if start else months_before(last, 11)
            scope = None
            policy = load_policy()
            if as_user:
                scope = _calibrating_viewer(con, policy, as_user, last, "see the fairness lens")
            people = None if scope is None or scope.everyone else scope.people
            minimum = fairness_min_group_size(con, policy.min_aggregate_people)
            if skew:
                text = render_skew(
                    documentation_skew(con, first, last, minimum, people),
                    fmt,
                    first,
                    last,
                    manager_labels(con),
                )
            else:
                text = render_table(fairness_table(con, by, first, last, minimum, people), fmt)
        except FairnessError as exc:
            _fail(str(exc))
    if scope is not None:
        # Recorded before a line is printed.
        what = "skew" if skew else f"by {by}"
        _audit_export(scope, f"fairness {what} {first:%Y-%m} to {last:%Y-%m} ({fmt}, command line)")
    sys.stdout.write(text)


@contextmanager
def _pages_progress(what: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr while a long document is gathered person by person (a
    300-person pre-read takes minutes); nothing when stderr is not a terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        f"[bold]{what}[/]: people",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(what, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


@app.command("docs")
def docs_cmd(
    readme: Annotated[Path, typer.Option(help="README to refresh.")] = Path("README.md"),
) -> None:
    """Regenerate the README's data dictionary and settings table from the code."""
    from pipelines.dictionary import refresh_readme

    changed = refresh_readme(readme)
    typer.echo(f"{readme}: {'updated' if changed else 'already current'}")


journal_app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    help="Back up the journal to files, or load files into it.",
)
app.add_typer(journal_app, name="journal")


def _journal_at(url: str | None):
    from pipelines.journal.store import JournalError, open_journal

    try:
        return open_journal(url)
    except JournalError as exc:
        _fail(str(exc))


@journal_app.command("export")
def journal_export_cmd(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the files to.")],
    journal_url: JournalUrlOpt = None,
) -> None:
    """Write evidence.csv and decisions.csv (the input contract), snapshots.jsonl and every
    entry with its history (entries.jsonl)."""
    from pipelines.journal.store import JournalError
    from pipelines.journal.transfer import export_journal

    journal = _journal_at(journal_url)
    if not journal.exists():
        _fail(
            f"{journal.describe()}: no journal there. Fix: pass --journal with the journal's "
            "file or URL (or set RUNGS_JOURNAL_URL)"
        )
    try:
        done = export_journal(journal, out)
    except JournalError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{out}: cannot write the export ({exc}). Fix: choose a folder you may write")
    counts = ", ".join(f"{name} {n:,}" for name, n in done.counts.items())
    typer.echo(f"journal at {journal.describe()} exported to {out}: {counts}")


@journal_app.command("import")
def journal_import_cmd(
    folder: Annotated[Path, typer.Argument(help="Folder written by `journal export`.")],
    journal_url: JournalUrlOpt = None,
    framework: FrameworkOpt = DEFAULT_FRAMEWORK,
) -> None:
    """Load entries.jsonl and snapshots.jsonl (or else evidence.csv and decisions.csv) into
    the journal; what is there already is not added again. Exit 2 if any row was refused."""
    from pipelines.framework import load_framework
    from pipelines.journal.store import JournalError
    from pipelines.journal.transfer import ENTRIES_FILE, import_folder

    if not folder.is_dir():
        _fail(f"{folder}: folder not found. Fix: give the folder `journal export --out` wrote")
    journal = _journal_at(journal_url)
    try:
        done = import_folder(journal, folder, load_framework(framework))
    except (JournalError, FrameworkError, ValueError, OSError) as exc:
        _fail(f"{exc}\nNothing more was imported.")
    if not done.read_from:
        _fail(
            f"{folder}: holds none of {ENTRIES_FILE}, evidence.csv, decisions.csv. Fix: give "
            "the folder `journal export --out` wrote"
        )
    from pipelines.load.terminal import printable

    for problem in done.rejected:
        typer.secho(f"refused: {printable(str(problem))}", fg="yellow", err=True)
    typer.echo(
        f"journal at {journal.describe()} from {folder} ({', '.join(done.read_from)}): "
        f"added {done.added:,}, already there {done.already_there:,}, "
        f"rejected {len(done.rejected):,}"
    )
    if done.rejected:
        raise typer.Exit(code=2)


def _mount_optional() -> None:
    try:
        from pipelines.importers.cli import pull_app, roster_app
    except ImportError:
        return
    app.add_typer(pull_app, name="pull", help="Pull from a helpdesk API into contract files.")
    app.add_typer(roster_app, name="roster", help="Start a roster from your helpdesk export.")


_mount_optional()


def main() -> None:
    app()
