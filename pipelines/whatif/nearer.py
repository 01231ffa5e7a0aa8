"""The people a what-if does not move but whose situation changes: their flags and window stay
the same, yet their reason sentence, or a counter behind it, differs. A lower SLA bar that
someone now meets, while a missing example still holds them back, moves no flag; the VP asking
"what if we lowered it?" still needs to see those people.

Counters compared (besides the reason): overall_level, months_at_next, categories_above,
months_with_categories_above, months_below_level, and months_to_ready only for someone showing
the next level on both sides (for everyone else it is arithmetic nobody reads: the top level's
is negative, an at-risk person's moves with the months-at-level setting though nothing about
them changed).

Each row carries `direction`: "nearer" or "further" (from a flag: promotion-ready, near a
window, in-band candidate, or at risk), when the counters that moved all point one way, ""
when only the wording or blocker changed or they disagree.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from pipelines.whatif.diff import (
    FLAGS,
    NOT_JUDGED,
    _missing,
    _truthy,
    _window,
    _words,
    earliest,
    merged_sides,
    months_between,
    ordered,
    person,
)

COUNTERS = (
    "overall_level",
    "overall_rank",
    "months_at_next",
    "categories_above",
    "months_with_categories_above",
    "months_below_level",
)
NEARER = "nearer"
FURTHER = "further"


def reason_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """One row per person whose flags and window are the same on both sides but whose reason
    or a counter behind it differs: diff.CHANGE_COLUMNS with kind "reason" (became/stopped
    empty, window_moves_months <NA>), then `direction` ("nearer", "further" or "").
    `change` says what moved, e.g. "Promotion-ready 3 months sooner at the earliest" or "Same
    flags; what holds them back changes"."""
    extra = (*COUNTERS, "months_to_ready")
    return ordered([_row(r) for r in merged_sides(before, after, extra)], ("direction",))


def _row(r: dict) -> dict | None:
    old = {c for c, _ in FLAGS if _truthy(r[f"{c}_old"])}
    new = {c for c, _ in FLAGS if _truthy(r[f"{c}_new"])}
    if old != new or _window(r, "old") != _window(r, "new"):
        return None  # a flag mover: diff.changes lists them
    judged = (not _missing(r["month_old"]), not _missing(r["month_new"]))
    if judged == (False, False):
        return None
    moved = _counter_moves(r) if all(judged) else []
    if all(judged) and not moved and _same(r["reason_old"], r["reason_new"]):
        return None
    if not judged[0]:
        parts, direction = ["Judged in this month with the change"], ""
    elif not judged[1]:
        parts, direction = ["No longer judged in this month with the change"], ""
    else:
        parts = [words for words, _ in moved] or [_reason_words(r)]
        signs = {sign for _, sign in moved if sign}
        direction = (NEARER if signs == {1} else FURTHER) if len(signs) == 1 else ""
    sentence = "; ".join(parts)
    return {
        **person(r),
        "old_flags": _words(old),
        "new_flags": _words(new),
        "became": "",
        "stopped": "",
        "old_reason": r["reason_old"] if judged[0] else NOT_JUDGED,
        "new_reason": r["reason_new"] if judged[1] else NOT_JUDGED,
        "old_window": _window(r, "old"),
        "new_window": _window(r, "new"),
        "window_moves_months": None,
        "change": sentence[:1].upper() + sentence[1:],
        "kind": "reason",
        "old_earliest": earliest(r, "old"),
        "new_earliest": earliest(r, "new"),
        "direction": direction,
    }


def _reason_words(r: dict) -> str:
    """Only the wording changed: say whether the blocker did, or only the months at level the
    reason quotes (its first clause, e.g. "12 whole months at IC2, all consistent (12
    needed)")."""
    old_tenure, _, old_rest = str(r["reason_old"]).partition("; ")
    new_tenure, _, new_rest = str(r["reason_new"]).partition("; ")
    if old_rest == new_rest and old_tenure != new_tenure:
        return "Same flags; the months at level the reason quotes change"
    # The blocker follows the dash ("IC3 not shown — no Impact example at IC3 covers …"):
    # name the new one, which is what the person would have to clear.
    _, dash, blocker = new_rest.partition(" — ")
    if dash and blocker.strip():
        return f"Held back now by: {blocker.strip().rstrip('.')}"
    return "Same flags; what holds them back changes"


def _same(a: object, b: object) -> bool:
    return (_missing(a) and _missing(b)) or a == b


def _counter_moves(r: dict) -> list[tuple[str, int]]:
    """(words, +1 nearer a flag / -1 further / 0 neither) for each counter that moved."""
    out: list[tuple[str, int]] = []

    def moved(column: str) -> tuple[int, int] | None:
        a, b = r.get(f"{column}_old"), r.get(f"{column}_new")
        if _missing(a) or _missing(b) or a == b:
            return None
        return int(a), int(b)

    first_old, first_new = earliest(r, "old"), earliest(r, "new")
    if first_old is not None and first_new is not None and first_old != first_new:
        shift = months_between(first_old, first_new)
        size = f"{abs(shift)} month{'s' if abs(shift) != 1 else ''}"
        out.append(
            (
                f"promotion-ready {size} {'sooner' if shift < 0 else 'later'} at the earliest",
                1 if shift < 0 else -1,
            )
        )
    if (rank := moved("overall_rank")) is not None:
        was, now = r["overall_level_old"], r["overall_level_new"]
        out.append((f"shows {now} overall, was {was}", 1 if rank[1] > rank[0] else -1))
    counted: tuple[tuple[str, Callable[[int], str], int], ...] = (
        ("months_at_next", lambda n: f"next level shown for {_months(n)}", 1),
        ("categories_above", lambda n: f"{_plural(n, 'category', 'categories')} above level", 1),
        ("months_with_categories_above", lambda n: f"above level for {_months(n)}", 1),
        ("months_below_level", lambda n: f"below level for {_months(n)}", 1),
    )
    for column, words, toward in counted:
        if column == "months_at_next" and out:
            continue  # the earliest month already says it
        if (pair := moved(column)) is not None:
            a, b = pair
            out.append((f"{words(b)}, was {a}", toward if b > a else -toward))
    return out


def _months(n: int) -> str:
    return f"{n} month{'s' if n != 1 else ''}"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def summary(nearer: pd.DataFrame) -> str:
    """The headline's clause for the people whose situation changes, e.g. "12 people are
    nearer a flag, 3 people are further from a flag and what holds 23 people back changes";
    "" when there are none."""
    if nearer.empty:
        return ""
    n_nearer = int((nearer["direction"] == NEARER).sum())
    n_further = int((nearer["direction"] == FURTHER).sum())
    rest = len(nearer) - n_nearer - n_further
    parts = []
    if n_nearer:
        parts.append(f"{_people(n_nearer)} {_are(n_nearer)} nearer a flag")
    if n_further:
        parts.append(f"{_people(n_further)} {_are(n_further)} further from a flag")
    if rest:
        parts.append(f"what holds {_people(rest)} back changes")
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _people(n: int) -> str:
    return "1 person" if n == 1 else f"{n} people"


def _are(n: int) -> str:
    return "is" if n == 1 else "are"
