"""Benchmark: import a 1-million-row activity log through a mapping, against DuckDB reading the
same CSV bare, in the same run. `python -m benchmarks.mapping [--rows N]`.

Each measurement runs in its own child process so that its peak memory (ru_maxrss) is its own
and not the high-water mark of whatever ran before it; both children import the same modules,
and an idle child shows what that costs.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ACTIVITIES = ["Create ticket", "Assign", "Reply to customer", "Resolve", "Close"]

MAPPING = """
timezone = "Europe/Amsterdam"
timestamp_formats = ["%Y/%m/%d %H:%M:%S"]

[tickets]
file = "events.csv"
shape = "activity_log"

[tickets.activity]
case_column = "Case ID"
activity_column = "Activity"
resource_column = "Resource"
timestamp_column = "Complete Timestamp"
solved_activities = ["Resolve", "Close"]

[tickets.columns]
priority = "Priority"

[tickets.values.priority]
"Normal" = "normal"
"High" = "high"
"Urgent" = "urgent"
"Low" = "low"
"""


def generate(folder: Path, rows: int) -> Path:
    """A deterministic activity log: five activities per case, some cases left unsolved,
    times spread over a year, one of 60 resources per activity."""
    path = folder / "events.csv"
    cases = rows // 4  # open cases have fewer rows; the limit trims to exactly `rows`
    con = duckdb.connect()
    # COPY's target cannot be a bound parameter; it is our own temp path, quotes doubled.
    con.execute(
        """
        copy (
            select 'C-' || c as "Case ID",
                   ($acts::varchar[])[s + 1] as "Activity",
                   'res-' || ((c * 7 + s * 13) % 60) as "Resource",
                   strftime(timestamp '2024-01-01' + to_minutes(c * 2 + s * ((c % 97) + 5)),
                            '%Y/%m/%d %H:%M:%S') as "Complete Timestamp",
                   case when s = 0 then ['Low', 'Normal', 'High', 'Urgent'][c % 4 + 1] end
                       as "Priority"
            from range($cases) t(c), range(5) u(s)
            -- one case in ten is still open: its solving activities never happened
            where not (c % 10 = 0 and s >= 3)
            order by c, s
            limit $rows
        ) to '"""
        + str(path).replace("'", "''")
        + """' (header)
        """,
        {"acts": ACTIVITIES, "cases": cases, "rows": rows},
    )
    con.close()
    return path


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _step(kind: str, folder: Path) -> dict:
    # Imported before the clock starts: import time is not conversion time.
    from pipelines.importers.mapping import apply_mapping

    started = time.perf_counter()
    count = 0
    if kind == "bare":
        con = duckdb.connect()
        count = con.execute(
            "create table t as select * from read_csv($p, header = true)",
            {"p": str(folder / "events.csv")},
        ).fetchall()[0][0]
        con.close()
    elif kind == "mapping":
        report = apply_mapping(folder / "mapping.toml", folder / "out")
        count = report.tables["tickets"].rows_written
    return {"seconds": time.perf_counter() - started, "peak_mib": _peak_mib(), "rows": count}


def _measure(kind: str, folder: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.mapping", "--step", kind, "--folder", str(folder)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--step", choices=["idle", "bare", "mapping"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(_step(args.step, args.folder)))
        return
    with tempfile.TemporaryDirectory(prefix="rungs-bench-mapping-") as tmp:
        folder = Path(tmp)
        path = generate(folder, args.rows)
        (folder / "mapping.toml").write_text(MAPPING, encoding="utf-8")
        with path.open("rb") as f:
            lines = sum(1 for _ in f) - 1
        print(f"activity log: {lines:,} rows, {path.stat().st_size / 2**20:.1f} MiB")
        idle = _measure("idle", folder)
        bare = _measure("bare", folder)
        mapped = _measure("mapping", folder)
        print(f"interpreter + imports: peak {idle['peak_mib']:7.1f} MiB (in both figures below)")
        print(
            f"DuckDB bare read_csv : {bare['seconds']:6.2f} s, peak {bare['peak_mib']:7.1f} MiB "
            f"({bare['rows']:,} rows)"
        )
        print(
            f"apply_mapping        : {mapped['seconds']:6.2f} s, peak "
            f"{mapped['peak_mib']:7.1f} MiB ({mapped['rows']:,} tickets)"
        )
        print(
            f"ratio mapping / bare : {mapped['seconds'] / bare['seconds']:.1f}x time, "
            f"{mapped['peak_mib'] / bare['peak_mib']:.1f}x peak memory"
        )


if __name__ == "__main__":
    main()
