"""Time case packets on a warehouse: gathering one engineer's case, typesetting it, and the two
together, cold (first in the process, engines starting) and warm (median of a few runs).

The baseline, measured in the same run, is typst typesetting a one-line document: the floor any
PDF costs here, so each figure reads as "so many times a trivial PDF". Run it with
`python -m benchmarks.packets --warehouse data/bench/w.duckdb`.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from pipelines.access import Scope, everyone
from rungs_ui import queries, warehouse

TARGET_S = 2.0  # issue 14: one packet under 2 s on this machine
PRE_READ_PEOPLE = 40
PRE_READ_TARGET_S = 30.0  # issue 14: a 40-person anonymised pre-read under 30 s
RUNS = 5


def _seconds(step: Callable[[], object]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def _warm(step: Callable[[], object]) -> float:
    return statistics.median(_seconds(step) for _ in range(RUNS))


def _trivial_pdf() -> bytes:
    import typst

    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "one.typ"
        source.write_text("Rungs", encoding="utf-8")
        return typst.compile(str(source))


def _someone_flagged(path: Path, month) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute(
            "select engineer_id from readiness where month = $m order by promotion_ready desc, "
            "near_window desc, engineer_id limit 1",
            {"m": month},
        ).fetchone()
    if row is None:
        raise SystemExit(f"{path}: nobody judged in {month:%Y-%m}; build the bench org first")
    return row[0]


def _forty_at_one_level(path: Path, month) -> tuple[str, list[str]]:
    """The level with most people at `month`, and the first 40 of them: a pre-read's view."""
    with duckdb.connect(str(path), read_only=True) as con:
        level = con.execute(
            "select level from readiness where month = $m group by level "
            "order by count(*) desc limit 1",
            {"m": month},
        ).fetchone()[0]
        ids = [
            r[0]
            for r in con.execute(
                "select engineer_id from readiness where month = $m and level = $l "
                "order by engineer_id limit $n",
                {"m": month, "l": level, "n": PRE_READ_PEOPLE},
            ).fetchall()
        ]
    return level, ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=Path("data/bench/w.duckdb"))
    args = parser.parse_args()
    os.environ[warehouse.WAREHOUSE_ENV] = str(args.warehouse)
    wh = warehouse.current().scoped(everyone())
    month = queries.build_as_of(wh)
    engineer_id = _someone_flagged(args.warehouse, month)

    from rungs_ui import packet  # timed below: the engines load on the first packet

    cold = _seconds(lambda: packet.engineer_packet(wh, engineer_id, month))
    baseline = _warm(_trivial_pdf)
    gather = _warm(lambda: packet.engineer_case(wh, engineer_id, month))
    case = packet.engineer_case(wh, engineer_id, month)
    render = _warm(lambda: packet.render_case(case))
    whole = _warm(lambda: packet.engineer_packet(wh, engineer_id, month))

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"warehouse: {args.warehouse} · {engineer_id} as of {month:%Y-%m}")
    print(f"baseline (typst, one-line document): {baseline:.3f} s")
    for name, seconds in (
        ("gather the case (queries)", gather),
        ("typeset (charts + typst)", render),
        ("one packet, warm", whole),
        ("one packet, cold (first)", cold),
    ):
        print(f"{name:28} {seconds:7.3f} s = {seconds / baseline:6.1f}x baseline")
    verdict = "within" if whole < TARGET_S else "OVER"
    print(f"one packet, warm: {whole:.2f} s, {verdict} the {TARGET_S:g} s target")

    # A view of 40 people at one level (as a manager of 40 would see it), anonymised.
    level, ids = _forty_at_one_level(args.warehouse, month)
    view = Scope(
        viewer="bench",
        role="manager",
        roles=frozenset({"manager"}),
        everyone=False,
        month=month,
        people=frozenset(ids),
    )
    pre_read = _seconds(
        lambda: packet.pre_read_packet(wh.scoped(view), level, month, anonymise=True)
    )
    verdict = "within" if pre_read < PRE_READ_TARGET_S else "OVER"
    print(
        f"anonymised pre-read of {len(ids)} at {level}: {pre_read:.2f} s = "
        f"{pre_read / baseline:.0f}x baseline, {verdict} the {PRE_READ_TARGET_S:g} s target"
    )


if __name__ == "__main__":
    main()
