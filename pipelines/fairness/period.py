"""The period the lens looks at when none is chosen: the 12 whole months up to the build's
as-of month (the last month the build judged)."""

from __future__ import annotations

from datetime import date

DEFAULT_MONTHS = 12


def as_of_month(con) -> date | None:
    """The build's as-of month; the latest readiness month when the build did not record it."""
    row = con.execute(
        "select as_of_month from builds order by built_at desc nulls last limit 1"
    ).fetchone()
    if row and row[0]:
        year, month = str(row[0]).split("-")[:2]
        return date(int(year), int(month), 1)
    latest = con.execute("select max(month) from readiness").fetchone()
    return latest[0] if latest and latest[0] else None


def months_before(month: date, count: int) -> date:
    """The first day of the month `count` months before `month`."""
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def default_period(con, months: int = DEFAULT_MONTHS) -> tuple[date, date] | None:
    """(start, end) of the `months` months ending with the as-of month; None before any
    readiness was built."""
    end = as_of_month(con)
    if end is None:
        return None
    return months_before(end, months - 1), end


def parse_month(text: str, option: str = "--from") -> date:
    """'2026-10' -> 2026-10-01; a FairnessError naming the option and the fix otherwise."""
    from pipelines.fairness.lens import FairnessError

    parts = text.strip().split("-")
    if len(parts) == 2 and all(p.isdigit() for p in parts) and 1 <= int(parts[1]) <= 12:
        return date(int(parts[0]), int(parts[1]), 1)
    raise FairnessError(f"{option} {text!r} is not a month. Fix: write it as YYYY-MM, e.g. 2026-10")
