"""What both real sources (a column mapping and a Zendesk pull) share: their error type and the
way they publish contract files, so a failure never leaves half a source folder behind.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from pipelines.load.scratch import process_alive

# The scratch folder names its owner's pid, so one left by a killed run can be told from one
# another run is still writing.
_SCRATCH_PREFIX = ".rungs-writing-"
_OWNED = re.compile(re.escape(_SCRATCH_PREFIX) + r"(\d+)-")


def publish(out_dir: Path, writers: dict[str, Callable[[Path], None]]) -> list[Path]:
    """Write every contract file into a scratch folder first, then move them into `out_dir`.

    Each writer receives the path it must create. If any writer fails, nothing in `out_dir`
    changes: a half-converted export must never sit next to the previous good files, because the
    build would happily load the mix. The scratch folder lives inside `out_dir` so the final
    moves are renames on one file system (atomic per file, and there is no I/O left that could
    fail between them).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    sweep_dead_scratch(out_dir)
    scratch = Path(tempfile.mkdtemp(prefix=f"{_SCRATCH_PREFIX}{os.getpid()}-", dir=out_dir))
    try:
        for name, write in writers.items():
            write(scratch / name)
        written = []
        for name in writers:
            target = out_dir / name
            os.replace(scratch / name, target)
            written.append(target)
        return written
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def sweep_dead_scratch(out_dir: Path) -> list[Path]:
    """Remove scratch folders in `out_dir` left by runs that were killed (their pid is gone):
    they hold half-written copies of people data."""
    swept = []
    for entry in out_dir.glob(f"{_SCRATCH_PREFIX}*"):
        owner = _OWNED.match(entry.name)
        if entry.is_dir() and not entry.is_symlink() and owner and not process_alive(int(owner[1])):
            shutil.rmtree(entry, ignore_errors=True)
            swept.append(entry)
    return swept
