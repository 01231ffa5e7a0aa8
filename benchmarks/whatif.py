"""Time a policy what-if against the build's own readiness step, on the same warehouse.

(a) a what-if with two changed settings (run_whatif: the readiness rules rerun in a scratch
in-memory database over the served warehouse, attached read-only, plus the diff), and (b) the
full readiness step as the build runs it (build_readiness with the unchanged framework, on a
scratch copy of the warehouse file, so the served one is never written). Median of a few runs
each, interleaved, in one process. Run `python -m benchmarks.whatif --warehouse
data/bench/w.duckdb`; the figures also go to bench-results/whatif.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from pipelines.rules.readiness import build_readiness
from pipelines.whatif import framework_of_warehouse, run_whatif
from pipelines.whatif.run import build_month

TARGET_S = 3.0  # issue 15: a what-if on 1,000 engineers x 60 months under 3 s
RUNS = 3
ASSIGNMENTS = {
    "rules.promotion_months_at_level": "9",
    "bars.IC3.Scope.sla_adherence": "95%",
}


def _seconds(step: Callable[[], object]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=Path("data/bench/w.duckdb"))
    parser.add_argument("--out", type=Path, default=Path("bench-results/whatif.json"))
    args = parser.parse_args()
    if not args.warehouse.is_file():
        raise SystemExit(f"{args.warehouse}: no warehouse. Fix: run `make bench` to build it")

    results: list = []
    whatif_runs: list[float] = []
    readiness_runs: list[float] = []
    with tempfile.TemporaryDirectory(prefix="rungs-bench-whatif-") as folder:
        copy = Path(folder) / "w.duckdb"
        shutil.copyfile(args.warehouse, copy)
        with duckdb.connect(str(copy)) as con:
            framework = framework_of_warehouse(con)
            month = build_month(con)
            # Interleaved, so a burst of other load on the machine falls on both alike.
            for _ in range(RUNS):
                whatif_runs.append(
                    _seconds(lambda: results.append(run_whatif(args.warehouse, ASSIGNMENTS)))
                )
                readiness_runs.append(_seconds(lambda: build_readiness(con, framework, month)))
            people = con.execute(
                "select count(*) from readiness where month = $m", {"m": month}
            ).fetchone()[0]
    whatif_s = statistics.median(whatif_runs)
    readiness_s = statistics.median(readiness_runs)

    ratio = whatif_s / readiness_s
    verdict = "within" if whatif_s < TARGET_S else "OVER"
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"warehouse: {args.warehouse} · {people} people judged in {month:%Y-%m}")
    changes = ", ".join(f"{k}={v}" for k, v in ASSIGNMENTS.items())
    last = results[-1]
    print(
        f"what-if ({changes}): {whatif_s:.2f} s median of {RUNS}; {len(last.changed)} people's "
        f"flags move, {len(last.nearer)} more are nearer or further from a flag"
    )
    print(f"full readiness step (build_readiness): {readiness_s:.2f} s median of {RUNS}")
    print(f"what-if / readiness step: {ratio:.2f}")
    print(f"what-if: {whatif_s:.2f} s, {verdict} the {TARGET_S:g} s target")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "warehouse": str(args.warehouse),
                "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                "month": f"{month:%Y-%m}",
                "people": people,
                "assignments": ASSIGNMENTS,
                "whatif_s": round(whatif_s, 3),
                "whatif_runs_s": [round(t, 3) for t in whatif_runs],
                "readiness_s": round(readiness_s, 3),
                "readiness_runs_s": [round(t, 3) for t in readiness_runs],
                "ratio": round(ratio, 3),
                "people_moved": len(results[-1].changed),
                "people_nearer_or_further": len(results[-1].nearer),
                "target_s": TARGET_S,
                "ok": whatif_s < TARGET_S,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
