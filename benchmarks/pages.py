"""Time each dashboard page's script run on a warehouse, cold and warm, through AppTest.

Cold: every st.cache_data / st.cache_resource entry cleared, so the run opens the warehouse
and runs every query. Warm: the same page rerun with the caches filled (median of a few runs),
which is what a user clicking around after the first view gets. Run it with
`python -m benchmarks.pages --warehouse data/bench/w.duckdb`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from rungs_ui.navigation import PAGES
from rungs_ui.warehouse import REPO_ROOT, WAREHOUSE_ENV

COLD_TARGET_S = 3.0
WARM_TARGET_S = 0.5


def _timed_run(at: AppTest) -> float:
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    if at.exception:
        raise SystemExit(f"the page raised: {at.exception[0].value}")
    return elapsed


def bench(warehouse: Path, warm_runs: int = 3) -> list[dict]:
    os.environ[WAREHOUSE_ENV] = str(warehouse.resolve())
    results = []
    for spec in PAGES:
        at = AppTest.from_file(str(REPO_ROOT / "dashboard.py"), default_timeout=600)
        at.run()  # registers the pages so switch_page can find them
        st.cache_data.clear()
        st.cache_resource.clear()
        at.switch_page(spec.script)
        cold = _timed_run(at)
        warm = statistics.median(_timed_run(at) for _ in range(warm_runs))
        results.append(
            {
                "page": spec.title,
                "cold_s": round(cold, 3),
                "warm_s": round(warm, 3),
                "ok": cold < COLD_TARGET_S and warm < WARM_TARGET_S,
            }
        )
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--warehouse", type=Path, default=Path(os.environ.get(WAREHOUSE_ENV, "data/bench/w.duckdb"))
    )
    parser.add_argument("--warm-runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench-results/pages.json"))
    args = parser.parse_args(argv)
    if not args.warehouse.exists():
        raise SystemExit(
            f"{args.warehouse}: no warehouse. Build one first, e.g. `make bench` "
            "(1,000 engineers x 60 months into data/bench/w.duckdb) or "
            "`python -m pipelines build --source DIR --warehouse PATH`."
        )
    results = bench(args.warehouse, args.warm_runs)
    print(
        f"{'page':<18}{'cold s':>8}{'warm s':>8}   target: cold < {COLD_TARGET_S} s, "
        f"warm < {WARM_TARGET_S} s"
    )
    for r in results:
        print(
            f"{r['page']:<18}{r['cold_s']:>8.2f}{r['warm_s']:>8.2f}   {'ok' if r['ok'] else 'SLOW'}"
        )
    report = {
        "warehouse": str(args.warehouse),
        "bytes": args.warehouse.stat().st_size,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "pages": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
