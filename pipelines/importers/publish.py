"""What both real sources (a column mapping and a Zendesk pull) share: their error type and the
way they publish contract files, so a failure never leaves half a source folder behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def publish(out_dir: Path, writers: dict[str, Callable[[Path], None]]) -> list[Path]:
    """Write every contract file into a scratch folder first, then move them into `out_dir`.

    Each writer receives the path it must create. If any writer fails, nothing in `out_dir`
    changes: a half-converted export must never sit next to the previous good files, because the
    build would happily load the mix. The scratch folder lives inside `out_dir` so the final
    moves are renames on one file system (atomic per file, and there is no I/O left that could
    fail between them).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".rungs-writing-", dir=out_dir))
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
