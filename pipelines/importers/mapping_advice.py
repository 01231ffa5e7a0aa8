"""Advice in mapping problems that does not mislead: a column suggested only when it is likely
the one meant and means the same thing, and a leftover value that is an export's way of
writing "nothing" sent to null_tokens rather than to a date format or a value map."""

from __future__ import annotations

import difflib
import re

# How exports write "no value". Compared case-insensitively, without surrounding blanks.
NULL_LOOKING = frozenset(
    {"?", "-", "--", "—", "–", "n/a", "na", "n.a.", "null", "none", "nil", "(empty)", "(null)",
     "(none)", "(blank)", "#n/a", "undefined", "unknown"}
)  # fmt: skip

# Name parts that say the same thing in different exports: a column that differs from the
# wanted one only by a word of the same group is the same column spelled another way.
SAME_MEANING = (
    frozenset({"on", "at", "date", "time", "ts", "datetime", "timestamp", "when"}),
    frozenset({"by", "user", "who", "agent", "person"}),
    frozenset({"id", "number", "no", "num", "nr", "key"}),
)
# Two spellings of one word (a typo, a plural) are this similar or more.
SPELLING = 0.8


def looks_null(value: str | None) -> bool:
    """True for text an export writes instead of an empty cell ("?", "N/A", "(empty)")."""
    if value is None:
        return False
    text = value.strip().lower()
    return text in NULL_LOOKING or (text != "" and set(text) <= set("?-_.*/"))


def likely_column(wanted: str, available: list[str]) -> str | None:
    """The export column most likely meant by `wanted`, or None when none is likely.

    Compared by name parts (split at spaces, dots, underscores, dashes and case changes):
    the same parts in another spelling ("Assigned To" for "assigned_to"), or all parts equal
    but one, which is a typo of the other or a word of the same meaning (`sys_updated_at` for
    `sys_updated_on`, never `sys_updated_by`)."""
    want = _parts(wanted)
    best, best_score = None, 0.0
    for candidate in available:
        score = _closeness(want, _parts(candidate))
        if score > best_score:
            best, best_score = candidate, score
    return best


def _parts(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [p for p in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if p]


def _closeness(want: list[str], have: list[str]) -> float:
    """0 when unlikely; higher is closer (2 for the same parts, below for one part apart)."""
    if want == have:
        return 2.0
    if len(want) != len(have):
        return 0.0
    differing = [(a, b) for a, b in zip(want, have, strict=True) if a != b]
    if len(differing) != 1:
        return 0.0
    a, b = differing[0]
    if any(a in group and b in group for group in SAME_MEANING):
        return 1.5
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    return ratio if ratio >= SPELLING and min(len(a), len(b)) >= 3 else 0.0
