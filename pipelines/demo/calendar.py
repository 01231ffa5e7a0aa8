"""Month arithmetic for the demo org: months are whole numbers counted from year 0.

A "month ordinal" is year * 12 + (month - 1); it makes "n months later" a plain addition.
"""

from __future__ import annotations

import datetime as dt

import numpy as np


def ordinal(year: int, month: int) -> int:
    return year * 12 + month - 1


def parse_month(text: str) -> int:
    """`YYYY-MM` to a month ordinal; the message says what was expected."""
    try:
        parsed = dt.datetime.strptime(text, "%Y-%m")
    except ValueError as exc:
        raise ValueError(
            f"end_month {text!r} is not a month; write it as YYYY-MM, e.g. 2026-03"
        ) from exc
    return ordinal(parsed.year, parsed.month)


def previous_month(today: dt.date) -> int:
    return ordinal(today.year, today.month) - 1


def first_day(month: int) -> dt.date:
    return dt.date(month // 12, month % 12 + 1, 1)


def days_in(month: int) -> int:
    return (first_day(month + 1) - first_day(month)).days


def label(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def month_of(day: dt.date) -> int:
    return ordinal(day.year, day.month)


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day of the month `months` later, clamped to the month's last day."""
    target = month_of(day) + months
    return first_day(target) + dt.timedelta(days=min(day.day, days_in(target)) - 1)


def epoch_seconds(day: dt.date) -> int:
    return int((day - dt.date(1970, 1, 1)).days) * 86_400


def month_starts_seconds(first: int, count: int) -> np.ndarray:
    """Start of each month first..first+count (inclusive) as UTC epoch seconds."""
    return np.array([epoch_seconds(first_day(first + i)) for i in range(count + 1)], dtype=np.int64)
