"""One writer at a time per warehouse: a lock file next to it, held with flock.

The kernel releases a flock when its process dies, however it dies (SIGKILL included), so a
lock file left behind by a dead build never blocks the next one: only a live holder does.
The file names its holder (pid and start time) so the refused build can say who it waited on.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from pipelines.errors import BuildFailed


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(f".{warehouse.name}.lock")


class BuildRunning(BuildFailed):
    """Another live process is building into the same warehouse."""


@contextmanager
def writer_lock(warehouse: Path) -> Iterator[None]:
    """Hold the warehouse's write lock for the block, or fail at once if someone else does."""
    with exclusive_lock(
        lock_path(warehouse), lambda holder: BuildRunning(_running_message(warehouse, holder))
    ):
        yield


@contextmanager
def exclusive_lock(path: Path, refusal: Callable[[tuple[str, str]], Exception]) -> Iterator[None]:
    """Hold the flock on `path` for the block; if a live process holds it, raise
    `refusal((pid, since))` at once. Other one-at-a-time jobs (a scheduled refresh) share this."""
    fd = _acquire(path, refusal)
    try:
        since = f"{datetime.now().astimezone():%Y-%m-%d %H:%M:%S %Z}"
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {since}\n".encode(), 0)
        yield
    finally:
        # Unlinked while still held, so a waiting process can tell (by inode) that the file it
        # locked is no longer the lock, and retries on a fresh one instead of sharing it.
        path.unlink(missing_ok=True)
        os.close(fd)


def _acquire(path: Path, refusal: Callable[[tuple[str, str]], Exception]) -> int:
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise refusal(holder) from None
        if _still_the_lock(fd, path):
            return fd
        os.close(fd)


def _still_the_lock(fd: int, path: Path) -> bool:
    """False when the holder we waited on removed the file between our open and our flock."""
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _holder(fd: int) -> tuple[str, str]:
    """(pid, since) as the holder wrote them; a holder that has not written yet is 'unknown'."""
    text = os.pread(fd, 200, 0).decode("utf-8", errors="replace").strip()
    pid, _, since = text.partition(" ")
    return (pid or "unknown", since or "an unknown time")


def _running_message(warehouse: Path, holder: tuple[str, str]) -> str:
    pid, since = holder
    return (
        f"a build is already running into {warehouse} since {since}, pid {pid}; "
        "wait for it or, if that process is gone, run again"
    )
