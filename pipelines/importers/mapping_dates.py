"""Guess a strptime format for date values that matched none of the mapping's formats, so the
problem report can say which line to add instead of only "unparsable"."""

from __future__ import annotations

from datetime import datetime

# Layouts seen in helpdesk and HR exports, most specific first: the first one that reads
# every sample is suggested. Day-first comes before month-first because a value such as
# 13/02/2024 rules out month-first, while 02/03/2024 fits both and needs a human choice anyway.
CANDIDATES = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m-%d-%Y %H:%M:%S",
    "%m-%d-%Y %H:%M",
    "%d-%b-%Y %H:%M:%S",
    "%d-%b-%Y %H:%M",
    "%d %b %Y %H:%M",
    "%b %d, %Y %I:%M %p",
    "%Y%m%d%H%M%S",
    "%Y-%m-%d",
    "%d-%m-%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%m/%d/%Y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%b %d, %Y",
    "%Y%m%d",
)


def suggest_format(samples: list[str]) -> tuple[str | None, int]:
    """The first candidate layout that reads every sample, else the one reading the most;
    with how many samples it reads."""
    best, best_hits = None, 0
    for fmt in CANDIDATES:
        hits = sum(_reads(fmt, s) for s in samples)
        if hits == len(samples) and samples:
            return fmt, hits
        if hits > best_hits:
            best, best_hits = fmt, hits
    return best, best_hits


def _reads(fmt: str, value: str) -> bool:
    try:
        datetime.strptime(value.strip(), fmt)
    except ValueError:
        return False
    return True
