"""A build's scratch files: where the unfinished warehouse is written, how it goes away on every
way out of a build, and how the leftovers of builds that could not clean up (SIGKILL, power
loss) are swept by the next one.

The unfinished warehouse holds every name of the org, so it must not outlive its build: a
crash, Ctrl-C or `kill` (SIGTERM, SIGHUP) removes it on the spot, and a SIGKILL's leftovers are
removed by the next build into the same warehouse, while it holds the writer lock (so a running
build's files are never touched).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# How a build id looks (see build._new_build_id): only files of this shape are ever swept.
_BUILD_ID = r"\d{8}T\d{6}Z-[0-9a-f]+"
# Temp folders carry their owner's pid, so a dead owner's folder (which may hold mapped
# people data) can go at once; see temp_prefix.
_OWNED_TEMP = re.compile(r"rungs-[a-z]+-(\d+)-")
# An empty rungs-* folder without an owner pid is only swept when this old: a build into
# another warehouse may be using it right now, and no build runs for six hours.
EMPTY_TEMP_GRACE_S = 6 * 3600
TERMINATING_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def scratch_path(warehouse: Path, build_id: str) -> Path:
    """Hidden, next to the warehouse (the final rename stays on one file system)."""
    return warehouse.with_name(f".{warehouse.name}.{build_id}.building")


def scratch_files(scratch: Path) -> tuple[Path, Path]:
    """The database file and its write-ahead log."""
    return scratch, scratch.with_name(scratch.name + ".wal")


def remove_scratch(scratch: Path) -> None:
    for leftover in scratch_files(scratch):
        leftover.unlink(missing_ok=True)


def sweep_leftovers(warehouse: Path) -> list[Path]:
    """Remove the scratch files of earlier builds into `warehouse`. Call it holding the lock."""
    pattern = re.compile(rf"\.{re.escape(warehouse.name)}\.{_BUILD_ID}\.building(\.wal)?")
    swept = []
    for entry in warehouse.parent.iterdir():
        if pattern.fullmatch(entry.name) and entry.is_file() and not entry.is_symlink():
            entry.unlink(missing_ok=True)
            swept.append(entry)
    return swept


def temp_prefix(kind: str) -> str:
    """Prefix for a temp folder a build makes, naming the process that owns it."""
    return f"rungs-{kind}-{os.getpid()}-"


def sweep_temp_folders(now: float | None = None) -> list[Path]:
    """Remove `rungs-*` temp folders left by builds that died: those whose owner pid is gone,
    and empty ones older than EMPTY_TEMP_GRACE_S. Only the current user's folders."""
    now = time.time() if now is None else now
    swept = []
    for entry in Path(tempfile.gettempdir()).glob("rungs-*"):
        if not _own_folder(entry):
            continue
        owner = _OWNED_TEMP.match(entry.name)
        if owner and not process_alive(int(owner[1])):
            shutil.rmtree(entry, ignore_errors=True)
            swept.append(entry)
        elif _empty(entry) and now - entry.stat().st_mtime > EMPTY_TEMP_GRACE_S:
            entry.rmdir()
            swept.append(entry)
    return swept


def _own_folder(entry: Path) -> bool:
    try:
        return entry.is_dir() and not entry.is_symlink() and entry.stat().st_uid == os.getuid()
    except OSError:
        return False


def _empty(folder: Path) -> bool:
    return next(folder.iterdir(), None) is None


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class BuildInterrupted(BaseException):
    """A termination signal arrived during a build. A BaseException, like KeyboardInterrupt,
    so no `except Exception` on the way swallows it and every cleanup on the way out runs."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


@contextmanager
def raise_on_termination() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into BuildInterrupted for the block (the default action would
    end the process without running any cleanup). Signals reach the main thread only, so
    elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _interrupt) for signum in TERMINATING_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _interrupt(signum: int, _frame) -> None:
    raise BuildInterrupted(signum)
