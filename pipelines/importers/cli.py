"""Command-line entry points for the real sources: `pull zendesk` and the `--mapping` option.

pipelines/cli.py mounts `pull_app` as `python -m pipelines pull` and `roster_app` as
`python -m pipelines roster`, and calls `mapped_source` for `build --mapping FILE` /
`check --mapping FILE`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from pipelines.errors import SourceError
from pipelines.framework import DEFAULT_FRAMEWORK
from pipelines.importers.mapping import apply_mapping
from pipelines.importers.zendesk import pull_zendesk

pull_app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Pull from a helpdesk API into contract files."
)


def mapped_source(mapping_path: Path | str, scratch: Path) -> Path:
    """Convert the exports a mapping names into contract files under `scratch`; return that
    folder for the build to read. Raises SourceError, listing every problem, if they do not
    convert cleanly."""
    folder = Path(scratch) / "contract"
    apply_mapping(mapping_path, folder)
    return folder


@pull_app.command("zendesk")
def zendesk_cmd(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the contract files to.")],
    subdomain: Annotated[
        str | None, typer.Option(help="Your Zendesk subdomain: the ACME in acme.zendesk.com.")
    ] = None,
    email: Annotated[
        str | None, typer.Option(help="Email of the admin whose API token is used.")
    ] = None,
    token_env: Annotated[
        str, typer.Option("--token-env", help="Environment variable holding the API token.")
    ] = "ZENDESK_API_TOKEN",
    since: Annotated[
        str | None, typer.Option(help="Only tickets updated on or after this date (YYYY-MM-DD).")
    ] = None,
    from_files: Annotated[
        Path | None,
        typer.Option(
            "--from-files", help="Read saved Zendesk objects (JSON/JSONL) instead of the API."
        ),
    ] = None,
    level: Annotated[
        str | None,
        typer.Option(help="Also write levels.csv, starting every new agent at this level."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress lines.")] = False,
) -> None:
    """Write tickets.csv and engineers.csv stubs from Zendesk (resumes an interrupted pull)."""
    token = ""
    if from_files is None:
        if not subdomain or not email:
            _fail("--subdomain and --email are required unless --from-files is given")
        # The token comes from the environment so it never appears in shell history or `ps`.
        token = os.environ.get(token_env, "")
        if not token:
            _fail(
                f"the environment variable {token_env} is empty. Fix: export {token_env}=<your "
                "Zendesk API token> (Admin Center > Apps and integrations > Zendesk API)"
            )
    try:
        report = pull_zendesk(
            subdomain or "",
            email or "",
            token,
            out,
            since=since,
            from_files=from_files,
            progress=not quiet,
            default_level=level,
        )
    except SourceError as exc:
        _fail(str(exc))
    typer.echo(report.render())


roster_app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Start engineers.csv and levels.csv from the people in your helpdesk export.",
)


@roster_app.command("draft")
def roster_draft_cmd(
    mapping: Annotated[
        Path, typer.Option("--mapping", help="Mapping TOML whose [tickets] export names people.")
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Folder to write engineers.csv and levels.csv to.")
    ],
    framework: Annotated[
        Path, typer.Option("--framework", help="Framework file (its levels are listed).")
    ] = DEFAULT_FRAMEWORK,
    force: Annotated[
        bool, typer.Option("--force", help="Replace engineers.csv / levels.csv already in --out.")
    ] = False,
) -> None:
    """Write engineers.csv and levels.csv drafts, one row per ticket assignee, with every value
    a person must fill starting with TODO: (build and check refuse them until it is filled)."""
    from pipelines.errors import FrameworkError
    from pipelines.importers.roster_draft import draft_roster

    try:
        draft = draft_roster(mapping, out, framework, force=force)
    except (SourceError, FrameworkError) as exc:
        _fail(str(exc))
    typer.echo(draft.render())


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(code=1)
