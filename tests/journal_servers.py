"""A real, throwaway PostgreSQL server for the journal's tests, and a `journal` fixture that
runs a test once on SQLite and once on PostgreSQL.

One server per test process (per xdist worker), started from the installed binaries on a free
localhost port, its socket and data in a temporary folder that is removed afterwards; one fresh
database per test, so no test sees another's rows. Where no PostgreSQL is installed, the
PostgreSQL half of each test is skipped with the package to install.

Import the fixtures into a test module: `from tests.journal_servers import journal, ...`.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipelines.journal.store import Journal, open_journal

INSTALL_HINT = (
    "no PostgreSQL server binaries (initdb, pg_ctl) were found on PATH or in "
    "/usr/lib/postgresql/*/bin; install Debian's `postgresql` package to run these tests"
)
SUPERUSER = "rungs"
_database_numbers = itertools.count(1)


def postgres_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: PATH first, else the newest Debian install."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    installed = [
        folder
        for folder in Path("/usr/lib/postgresql").glob("*/bin")
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists()
    ]
    newest = max(installed, key=lambda f: _version(f.parent.name), default=None)
    return newest


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PostgresServer:
    """A running server: `url(database)` to reach it, `new_database()` for a test's own."""

    folder: Path
    port: int
    bin: Path
    run_as: list[str]

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        import psycopg

        name = f"journal_{os.getpid()}_{next(_database_numbers)}"
        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(f'create database "{name}"')
        return self.url(name)

    def stop(self) -> None:
        data = str(self.folder / "data")
        _tool(self.run_as, self.bin / "pg_ctl", "stop", "-D", data, "-m", "fast", "-w")


def _tool(run_as: list[str], program: Path, *args: str) -> subprocess.CompletedProcess:
    """Run a PostgreSQL program (as `run_as`), its output kept for the error message."""
    return subprocess.run(
        [*run_as, str(program), *args], capture_output=True, text=True, check=False
    )


def _run_as() -> list[str]:
    """initdb refuses to run as root: then the server runs as the `postgres` system user."""
    if os.geteuid() != 0:
        return []
    tool = shutil.which("runuser")
    if tool:
        return [tool, "-u", "postgres", "--"]
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]


def start_postgres(folder: Path) -> PostgresServer:
    """initdb with trust auth in `folder`, then start on a free port (retrying if another
    process takes that port first). Raises RuntimeError with the server's log on failure."""
    binaries = postgres_binaries()
    if binaries is None:
        raise FileNotFoundError(INSTALL_HINT)
    run_as = _run_as()
    if run_as:
        shutil.chown(folder, user="postgres", group="postgres")
    data = str(folder / "data")
    # UTF-8 whatever the machine's locale, so names with accents round-trip as text.
    settings = ("--auth=trust", "--no-locale", "--encoding=UTF8", "--no-sync")
    made = _tool(run_as, binaries / "initdb", "-D", data, "-U", SUPERUSER, *settings)
    if made.returncode != 0:
        raise RuntimeError(f"initdb failed in {folder}:\n{made.stdout}{made.stderr}")
    log = folder / "server.log"
    for _attempt in range(5):
        port = free_port()
        # fsync off: a throwaway server; the tests kill clients, never the server.
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off"
        started = _tool(
            run_as, binaries / "pg_ctl", "start", "-D", data, "-l", str(log), "-w", "-o", options
        )
        if started.returncode == 0:
            return PostgresServer(folder, port, binaries, run_as)
    raise RuntimeError(f"PostgreSQL did not start:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def postgres_server():
    """One throwaway server for this test process, stopped and deleted at the end."""
    if postgres_binaries() is None:
        pytest.skip(INSTALL_HINT)
    if os.geteuid() == 0 and not _user_exists("postgres"):
        pytest.skip("running as root without a `postgres` user; " + INSTALL_HINT)
    folder = Path(tempfile.mkdtemp(prefix="rungs-pg-"))
    server = None
    try:
        server = start_postgres(folder)
        yield server
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """The URL of a database of this test's own, empty."""
    return postgres_server.new_database()


@pytest.fixture(params=["sqlite", "postgres"])
def journal(request, tmp_path) -> Journal:
    """An empty journal, once as a SQLite file and once as a PostgreSQL database."""
    if request.param == "sqlite":
        return open_journal(tmp_path / "journal.sqlite")
    return open_journal(request.getfixturevalue("postgres_url"))
