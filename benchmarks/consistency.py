"""`python -m benchmarks.consistency --warehouse data/bench/w.duckdb --sample 60`: the
one-source-of-truth check of tests/test_consistency.py on a random sample of a big warehouse
(the 1,000-engineer bench org): every number the Engineer page states against its row."""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import duckdb

from tests.consistency import check_page_against_warehouse, warehouse_rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--warehouse", type=Path, default=Path("data/bench/w.duckdb"))
    parser.add_argument("--sample", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with duckdb.connect(str(args.warehouse), read_only=True) as con:
        month = con.execute("select max(as_of_month) from builds").fetchone()[0]
    everyone = warehouse_rows(args.warehouse, month)["engineer_id"].tolist()
    sample = sorted(random.Random(args.seed).sample(everyone, min(args.sample, len(everyone))))
    started = time.perf_counter()
    found = check_page_against_warehouse(args.warehouse, month, sample)
    took = time.perf_counter() - started
    print(
        f"{len(sample)} of {len(everyone)} engineers assessed in {month} checked in "
        f"{took:.1f} s: {len(found.lines)} mismatch(es)"
    )
    for line in found.lines:
        print("  " + line)
    return 1 if found.lines else 0


if __name__ == "__main__":
    raise SystemExit(main())
