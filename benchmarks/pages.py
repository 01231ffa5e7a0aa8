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
import tempfile
import time
from pathlib import Path

import duckdb
import streamlit as st
from streamlit.testing.v1 import AppTest

from rungs_ui.navigation import PAGES, pages_for
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


# Sign-in configured for the signed-in runs; AppTest supplies the user, nothing is contacted.
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "bench-only",
    "client_id": "rungs-bench",
    "client_secret": "not-a-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


def busiest_manager(warehouse: Path) -> str:
    """The email of whoever has the most direct reports today: the widest partial view."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select lower(m.email) from engineers e join engineers m on m.engineer_id = "
            "e.manager_id group by m.email order by count(*) desc, m.email limit 1"
        ).fetchone()[0]


def bench(warehouse: Path, warm_runs: int = 3, as_email: str | None = None) -> list[dict]:
    """Each page of the viewer's role, cold and warm; local mode without `as_email`, else
    signed in as that person (roster sign-in: their subtree)."""
    os.environ[WAREHOUSE_ENV] = str(warehouse.resolve())
    # The audit log of these runs goes to a scratch journal, not the app's; no access file:
    # roster sign-in alone.
    scratch = Path(tempfile.mkdtemp(prefix="rungs-bench-"))
    os.environ["RUNGS_JOURNAL_URL"] = str(scratch / "journal.sqlite")
    os.environ["RUNGS_ACCESS_FILE"] = str(scratch / "no-access-file.toml")
    results = []
    pages = PAGES if as_email is None else pages_for("manager")
    for spec in pages:
        at = AppTest.from_file(str(REPO_ROOT / "dashboard.py"), default_timeout=600)
        if as_email:
            at.secrets["auth"] = AUTH
            at.user = {"is_logged_in": True, "email": as_email}
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
    manager = busiest_manager(args.warehouse)
    scoped = {r["page"]: r for r in bench(args.warehouse, args.warm_runs, manager)}
    print(
        f"{'page':<18}{'cold s':>8}{'warm s':>8}   target: cold < {COLD_TARGET_S} s, "
        f"warm < {WARM_TARGET_S} s;  signed in as a manager (their subtree): cold, warm, "
        "cold / local"
    )
    for r in results:
        line = (
            f"{r['page']:<18}{r['cold_s']:>8.2f}{r['warm_s']:>8.2f}   {'ok' if r['ok'] else 'SLOW'}"
        )
        if r["page"] in scoped:
            m = scoped[r["page"]]
            ratio = m["cold_s"] / r["cold_s"] if r["cold_s"] else float("nan")
            line += f"   {m['cold_s']:>6.2f}{m['warm_s']:>7.2f}{ratio:>7.2f}x"
        print(line)
    report = {
        "warehouse": str(args.warehouse),
        "bytes": args.warehouse.stat().st_size,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "pages": results,
        "signed_in_manager": list(scoped.values()),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
