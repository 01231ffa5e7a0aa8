"""Issue 9, the build's side: one writer at a time, no scratch copy of the people data left
behind on any way out, data printed as text by the CLI, and no build that silently shrinks
the org. Builds run as real processes where processes are the point (a second build, a kill).

The modules these tests are about are imported inside the tests, so on a tree without them each
test fails on its own rather than the whole file failing to collect.
"""

from __future__ import annotations

import csv
import io
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.load import build as build_module
from tests.pipeline_fixtures import ENGINEERS, make_source, query, write_csv

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

# A real `python -m pipelines build` that stops once its data is in the scratch warehouse (the
# lock held, nothing swapped yet) and goes on when the file named by RUNGS_TEST_GO appears.
PAUSED_BUILD = """
import os, sys, time
from pathlib import Path
from pipelines.load import build as build_module

real_run = build_module._run

def paused_run(*args, **kwargs):
    real_run(*args, **kwargs)
    print("paused", flush=True)
    while not Path(os.environ["RUNGS_TEST_GO"]).exists():
        time.sleep(0.05)

build_module._run = paused_run
from pipelines.cli import app
app(sys.argv[1:], prog_name="pipelines")
"""


def run(*args, env: dict | None = None):
    return runner.invoke(app, [str(a) for a in args], env=env)


def flat(text: str) -> str:
    """Output with Rich's line wrapping undone, for assertions on whole sentences."""
    return " ".join(text.split())


def build_id(warehouse: Path) -> str:
    return query(warehouse, "select build_id from builds")[0][0]


def scratch_left(warehouse: Path) -> list[str]:
    return sorted(p.name for p in warehouse.parent.glob(f".{warehouse.name}.*.building*"))


def engineers_with(**changes_by_id) -> list[dict]:
    return [dict(p, **changes_by_id.get(p["engineer_id"], {})) for p in ENGINEERS]


@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch) -> Path:
    """A private temp folder for this test's builds, in this process and in its children."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


@pytest.fixture
def built(tmp_path: Path, temp_root: Path) -> Path:
    """A warehouse built from the valid three-person org, to be replaced (or not)."""
    target = tmp_path / "out" / "w.duckdb"
    result = run(
        "build", "--source", make_source(tmp_path / "in"), "--warehouse", target, "--quiet"
    )
    assert result.exit_code == 0, result.output
    return target


class PausedBuild:
    """A build process held just before its swap, for as long as the test needs."""

    def __init__(self, tmp_path: Path, source: Path, warehouse: Path, temp_root: Path):
        self.go = tmp_path / "go"
        env = dict(os.environ, RUNGS_TEST_GO=str(self.go), TMPDIR=str(temp_root))
        args = ["build", "--source", str(source), "--warehouse", str(warehouse), "--quiet"]
        self.proc = subprocess.Popen(
            [sys.executable, "-c", PAUSED_BUILD, *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._wait_for_pause()

    def _wait_for_pause(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready and self.proc.stdout.readline().strip() == "paused":
                return
            if self.proc.poll() is not None:
                break
        self.proc.kill()
        pytest.fail(f"the build never reached its pause: {self.proc.communicate()}")

    def finish(self) -> tuple[int, str]:
        self.go.touch()
        _out, err = self.proc.communicate(timeout=120)
        return self.proc.returncode, err

    def signal(self, signum: int) -> tuple[int, str]:
        self.proc.send_signal(signum)
        _out, err = self.proc.communicate(timeout=120)
        return self.proc.returncode, err


# --- 3. One writer at a time -------------------------------------------------------------


def test_a_second_build_into_the_same_warehouse_fails_at_once_naming_the_first(
    tmp_path, built, temp_root
):
    first = PausedBuild(tmp_path, tmp_path / "in", built, temp_root)
    args = ["build", "--source", str(tmp_path / "in"), "--warehouse", str(built), "--quiet"]
    started = time.monotonic()
    second = subprocess.run(
        [sys.executable, "-m", "pipelines", *args],
        cwd=ROOT,
        env=dict(os.environ, TMPDIR=str(temp_root)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    waited = time.monotonic() - started
    code, _err = first.finish()

    assert second.returncode == 1
    message = flat(second.stderr)
    assert f"a build is already running into {built} since " in message
    assert f"pid {first.proc.pid}; wait for it or, if that process is gone, run again" in message
    assert waited < 60, "the second build waited instead of failing at once"
    assert code == 0
    assert query(built, "select count(*) from engineers") == [(3,)]
    assert scratch_left(built) == []


# --- 4. Scratch files ----------------------------------------------------------------------


def test_a_killed_build_leaves_nothing_behind_once_the_next_build_ran(tmp_path, built, temp_root):
    before = build_id(built)
    stale_empty = temp_root / "rungs-x1y2z3"  # an empty temp folder of a build long gone
    stale_empty.mkdir()
    os.utime(stale_empty, (time.time() - 7 * 3600,) * 2)
    killed = PausedBuild(tmp_path, tmp_path / "in", built, temp_root)
    assert killed.signal(signal.SIGKILL)[0] == -signal.SIGKILL
    assert scratch_left(built), "the killed build should have left its scratch warehouse"
    assert build_id(built) == before, "a killed build must not touch the warehouse"

    result = run("build", "--source", tmp_path / "in", "--warehouse", built, "--quiet")

    assert result.exit_code == 0, result.output  # the dead build's lock does not block
    assert scratch_left(built) == []
    assert build_id(built) != before
    assert query(built, "select count(*) from tickets") == [(5,)]
    assert sorted(p.name for p in temp_root.iterdir()) == []
    assert sorted(p.name for p in built.parent.iterdir()) == ["w.duckdb"]


def test_sigterm_during_a_build_removes_its_scratch_and_keeps_the_previous_warehouse(
    tmp_path, built, temp_root
):
    before = build_id(built)
    terminated = PausedBuild(tmp_path, tmp_path / "in", built, temp_root)

    code, err = terminated.signal(signal.SIGTERM)

    assert code == 128 + signal.SIGTERM
    assert "build interrupted by SIGTERM; its unfinished copy was removed" in flat(err)
    assert scratch_left(built) == []
    assert build_id(built) == before
    assert sorted(p.name for p in built.parent.iterdir()) == ["w.duckdb"]
    assert list(temp_root.iterdir()) == []


def test_ctrl_c_during_a_build_removes_its_scratch_and_says_so(tmp_path, built, monkeypatch):
    before = build_id(built)
    real_run = build_module._run

    def interrupted_run(*args, **kwargs):
        real_run(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(build_module, "_run", interrupted_run)
    result = run("build", "--source", tmp_path / "in", "--warehouse", built, "--quiet")

    assert result.exit_code == 130
    assert "build interrupted (Ctrl-C)" in result.output
    assert scratch_left(built) == []
    assert build_id(built) == before


def test_scratch_and_lock_files_are_git_ignored():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and the repository's .gitignore")
    names = [
        "data/.warehouse.duckdb.20260101T000000Z-abcdef.building",
        "data/.warehouse.duckdb.20260101T000000Z-abcdef.building.wal",
        "data/.warehouse.duckdb.lock",
    ]
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", *names], cwd=ROOT, capture_output=True, text=True
    )
    assert ignored.stdout.split() == names


def test_a_lock_file_left_by_a_dead_process_does_not_block(tmp_path, built):
    from pipelines.load.lock import lock_path

    # A pid that cannot be alive, as a SIGKILLed build would leave it behind.
    lock_path(built).write_text("999999999 2026-01-01 09:00:00 UTC\n")
    result = run("build", "--source", tmp_path / "in", "--warehouse", built, "--quiet")
    assert result.exit_code == 0, result.output


def test_only_the_named_warehouses_scratch_is_swept(tmp_path):
    from pipelines.load.scratch import sweep_leftovers

    folder = tmp_path / "out"
    folder.mkdir()
    mine = folder / ".w.duckdb.20260101T000000Z-abcdef.building"
    neighbours = [
        folder / ".w.duckdb.x.20260101T000000Z-abcdef.building",  # warehouse "w.duckdb.x"
        folder / ".v.duckdb.20260101T000000Z-abcdef.building",
        folder / "notes.building",
    ]
    for path in [mine, mine.with_name(mine.name + ".wal"), *neighbours]:
        path.write_text("")

    sweep_leftovers(folder / "w.duckdb")

    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in neighbours)


# --- 6. CLI output safety ------------------------------------------------------------------


@pytest.fixture
def bracketed(tmp_path: Path, temp_root: Path) -> Path:
    """A warehouse whose names look like Rich markup."""
    source = make_source(tmp_path / "in")
    people = engineers_with(
        M1={"email": "[/bad]"},
        E1={"name": "Bo [/] Chen", "manager_id": "[/nope]"},
        E2={"name": "Sam Lee [contractor]"},
    )
    write_csv(source / "engineers.csv", list(ENGINEERS[0]), people)
    target = tmp_path / "w.duckdb"
    result = run(
        "build", "--source", source, "--warehouse", target, "--quiet", "--max-rejected", "1"
    )
    assert result.exit_code == 0, result.output
    assert "[/bad]" in result.output  # the rejected value, shown as it is
    assert "manager_id [/nope] is not on the roster" in flat(result.output)
    return target


def test_build_report_prints_bracketed_values_as_they_are(bracketed):
    assert query(bracketed, "select count(*) from engineers") == [(2,)]


def test_flags_table_prints_bracketed_names_as_they_are(bracketed):
    result = run("flags", "--warehouse", bracketed)
    assert result.exit_code == 0, result.output
    assert "│ Bo [/] Chen " in result.output
    assert "│ Sam Lee [contractor] " in result.output


@pytest.fixture
def escaped(built: Path) -> Path:
    """The valid org with terminal control bytes written into a name, team and reason."""
    with duckdb.connect(str(built)) as con:
        con.execute("update engineers set name = 'Bo\x1b[2J\x07 Chen' where engineer_id = 'E1'")
        con.execute("update engineers set team = 'Core\x9b31m' where engineer_id = 'E2'")
    return built


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_flags_shows_control_characters_visibly_and_never_sends_them(escaped, fmt):
    result = run("flags", "--warehouse", escaped, "--format", fmt)
    assert result.exit_code == 0, result.output
    for byte in ("\x1b", "\x07", "\x9b"):
        assert byte not in result.output
    if fmt == "csv":
        rows = {r["engineer"]: r for r in csv.DictReader(io.StringIO(result.output))}
    elif fmt == "json":
        rows = {r["engineer"]: r for r in json.loads(result.output)}
    else:
        assert "Bo\\x1b[2J\\x07 Chen" in result.output
        return
    assert rows["E1"]["name"] == "Bo\\x1b[2J\\x07 Chen"
    assert rows["E2"]["team"] == "Core\\x9b31m"


def test_error_messages_show_control_characters_visibly(tmp_path):
    result = run("build", "--source", tmp_path / "in\x1b[2J", "--warehouse", tmp_path / "w")
    assert result.exit_code == 1
    assert "\x1b" not in result.output
    assert "in\\x1b[2J: source folder not found" in result.output


def test_a_report_that_cannot_be_laid_out_still_ends_a_swapped_build_with_exit_0(
    tmp_path, built, monkeypatch
):
    from pipelines.load import report

    def broken_layout(_report):
        raise RuntimeError("layout failed")

    monkeypatch.setattr(report, "render_report", broken_layout)
    result = run("build", "--source", tmp_path / "in", "--warehouse", built, "--quiet")

    assert result.exit_code == 0, result.output
    assert "tickets: tickets.csv: read 5, loaded 5, rejected 0" in result.output
    assert f"warehouse: {built}" in result.output


# --- The shrink guard: decisions ----------------------------------------------------------


def file_counts(table: str, read: int, loaded: int, rejected: int = 0):
    from pipelines.load.build import FileStats

    return FileStats(
        table, f"{table}.csv", rows_read=read, rows_loaded=loaded, rows_rejected=rejected
    )


PREVIOUS = {"engineers": 40, "levels": 53, "tickets": 36_021}


def test_guard_lets_a_build_within_the_thresholds_through():
    from pipelines.load.guard import DropGuard, judge

    files = [
        file_counts("engineers", 35, 35),  # 12.5% fewer: people leave
        file_counts("levels", 50, 50),
        file_counts("tickets", 36_100, 36_000, 100),
    ]
    assert not judge(DropGuard(), PREVIOUS, files)


def test_guard_refuses_a_sharp_drop_and_says_what_would_be_lost(tmp_path):
    from pipelines.load.guard import DropGuard, judge

    files = [
        file_counts("engineers", 3, 2, 1),
        file_counts("levels", 53, 53),
        file_counts("tickets", 36_021, 491, 35_530),
    ]
    verdict = judge(DropGuard(), PREVIOUS, files, first_rejected=("engineers.csv", 3))
    previous = tmp_path / "w.duckdb"
    previous.touch()
    message = verdict.refusal(previous, DropGuard())
    assert message == (
        f"this build was not swapped into {previous}: engineers: 40 → 2 (-95%), "
        "tickets: 36,021 → 491 (-99%); engineers.csv: 1 of 3 rows rejected (33%, more than "
        "the 10% allowed); tickets.csv: 35,530 of 36,021 rows rejected (99%, more than the 10% "
        "allowed); the previous warehouse stays. Fix: check engineers.csv line 3 (first "
        "rejected row) or rerun with --accept-drop (thresholds: --max-drop 0.2, "
        "--max-rejected 0.1)"
    )


def test_guard_allows_exactly_the_threshold_and_refuses_one_row_more():
    from pipelines.load.guard import DropGuard, judge

    previous = {"engineers": 10}
    assert not judge(DropGuard(), previous, [file_counts("engineers", 8, 8)])
    assert judge(DropGuard(), previous, [file_counts("engineers", 7, 7)]).shrinks


def test_guard_judges_rejected_shares_even_without_a_previous_build(tmp_path):
    from pipelines.load.guard import DropGuard, judge

    verdict = judge(DropGuard(), {}, [file_counts("tickets", 100, 89, 11)])
    assert [h.words() for h in verdict.heavy] == [
        "tickets.csv: 11 of 100 rows rejected (11%, more than the 10% allowed)"
    ]
    first = verdict.refusal(tmp_path / "w.duckdb", DropGuard())
    assert "rows rejected (11%, more than the 10% allowed); nothing was written. Fix:" in first
    assert not judge(DropGuard(max_rejected=0.2), {}, [file_counts("tickets", 100, 89, 11)])


def test_guard_without_a_rejected_row_says_to_accept_an_intended_shrink():
    from pipelines.load.guard import DropGuard, judge

    verdict = judge(DropGuard(), {"engineers": 10}, [file_counts("engineers", 2, 2)])
    assert verdict.where_to_look() == "if the smaller org is intended, rerun with --accept-drop"


def test_previous_counts_tolerate_a_missing_or_old_warehouse(tmp_path, built):
    from pipelines.load.guard import previous_counts

    old = tmp_path / "old.duckdb"
    with duckdb.connect(str(old)) as con:
        con.execute("create table engineers (engineer_id varchar)")

    assert previous_counts(tmp_path / "missing.duckdb") == {}
    assert previous_counts(old) == {}
    assert previous_counts(built)["tickets"] == 5


def test_an_unreadable_previous_warehouse_is_not_taken_as_an_empty_one(tmp_path):
    # Compared with nothing, any shrink would pass: the build stops unless the drop is accepted.
    broken = tmp_path / "broken.duckdb"
    broken.write_text("not a database")
    from pipelines.errors import BuildFailed
    from pipelines.load.guard import previous_counts

    with pytest.raises(BuildFailed, match=r"could not be read .* rerun with --accept-drop"):
        previous_counts(broken)


# --- The shrink guard: end to end ------------------------------------------------------------


@pytest.fixture
def broken_hire_date(built: Path, tmp_path: Path) -> Path:
    """The valid org with E1's hire_date unreadable: E1, their level and tickets are rejected."""
    people = engineers_with(E1={"hire_date": "2023-13-45"})
    write_csv(tmp_path / "in" / "engineers.csv", list(ENGINEERS[0]), people)
    return tmp_path / "in"


def test_a_build_that_would_shrink_the_org_keeps_the_previous_warehouse(built, broken_hire_date):
    before = build_id(built)
    result = run("build", "--source", broken_hire_date, "--warehouse", built, "--quiet")

    assert result.exit_code == 1
    message = flat(result.output)
    assert f"this build was not swapped into {built}: engineers: 3 → 2 (-33%)" in message
    assert "tickets: 5 → 2 (-60%)" in message
    assert "the previous warehouse stays" in message
    assert (
        "check engineers.csv line 3 (first rejected row: hire_date is not a date; write "
        "YYYY-MM-DD) or rerun with --accept-drop" in message
    )
    assert build_id(built) == before
    assert query(built, "select count(*) from engineers") == [(3,)]
    assert scratch_left(built) == []


def test_accept_drop_swaps_the_smaller_org_in_and_records_why(built, broken_hire_date):
    result = run(
        "build", "--source", broken_hire_date, "--warehouse", built, "--quiet", "--accept-drop"
    )
    assert result.exit_code == 0, result.output
    assert query(built, "select count(*) from engineers") == [(2,)]
    notes = query(built, "select unnest(notes) from builds")
    assert any(n[0].startswith("accepted with --accept-drop: engineers: 3 → 2") for n in notes)


def test_thresholds_come_from_the_environment(built, broken_hire_date):
    def build_with(env: dict):
        return run("build", "--source", broken_hire_date, "--warehouse", built, "--quiet", env=env)

    strict_on_drops = build_with({"RUNGS_MAX_DROP": "0.1", "RUNGS_MAX_REJECTED": "0.9"})
    assert strict_on_drops.exit_code == 1
    message = flat(strict_on_drops.output)
    assert "(thresholds: --max-drop 0.1, --max-rejected 0.9)" in message
    assert "rows rejected" not in message
    assert query(built, "select count(*) from engineers") == [(3,)]

    lenient = build_with({"RUNGS_MAX_DROP": "0.9", "RUNGS_MAX_REJECTED": "0.9"})
    assert lenient.exit_code == 0, lenient.output
    assert query(built, "select count(*) from engineers") == [(2,)]


def test_check_warns_about_a_build_that_would_shrink_the_org(built, broken_hire_date):
    result = run("check", "--source", broken_hire_date, "--warehouse", built)
    assert result.exit_code == 2  # rows were rejected, as before
    note = flat(result.output)
    assert (
        "note: a build would not be swapped in without --accept-drop: engineers: 3 → 2 (-33%)"
        in note
    )
    assert "check engineers.csv line 3 (first rejected row: hire_date is not a date" in note
    assert query(built, "select count(*) from engineers") == [(3,)]
