"""The descriptive phrase beside each group's figure: where its interval sits against the org's
rate. Descriptive only: a difference is something to look at, never a verdict on anyone."""

from __future__ import annotations

import math

from pipelines.fairness.measures import Kind

_UNIT = {
    "share": ("", ""),
    "per_person_month": (" person-month", " person-months"),
    "months": (" promotion", " promotions"),
}


def compare(kind: Kind, low: float, high: float, org_rate: float, n: int) -> str:
    """'higher than the org's rate, n = 12', 'lower than …' or 'in line with …', by whether the
    group's 95% interval lies wholly above, wholly below or around the org's figure. For
    months at level the org's figure is a median and the words say so."""
    one, many = _UNIT[kind]
    size = f"n = {n}{one if n == 1 else many}"
    if n == 0:
        return "no promotions in the period" if kind == "months" else f"nothing to compare, {size}"
    if kind == "months":
        if _missing(low, high) or _missing(org_rate, org_rate):
            return f"too few promotions to compare with the org's median, {size}"
        if low > org_rate:
            return f"longer than the org's median, {size}"
        if high < org_rate:
            return f"shorter than the org's median, {size}"
        return f"in line with the org's median, {size}"
    if _missing(low, high) or _missing(org_rate, org_rate):
        return f"nothing to compare, {size}"
    if low > org_rate:
        return f"higher than the org's rate, {size}"
    if high < org_rate:
        return f"lower than the org's rate, {size}"
    return f"in line with the org's rate, {size}"


def _missing(*values: float) -> bool:
    return any(v is None or (isinstance(v, float) and math.isnan(v)) for v in values)


# Where `compare` put a group against the org's figure, by the phrase's first word: +1 above
# (higher, longer), -1 below (lower, shorter); absent when in line or not compared.
DIRECTIONS = {"higher": 1, "longer": 1, "lower": -1, "shorter": -1}


def direction(words: object) -> str:
    """The first word of a `compare` phrase when it places the group above or below the org's
    figure ("higher", "lower", "longer", "shorter"); "" when in line or not compared. Every
    reader of the phrase goes through here, so the wording and its reading change together."""
    word = str(words).split(" ", 1)[0]
    return word if word in DIRECTIONS else ""


def drop_sample(words: str) -> str:
    """The phrase without its sample size ("lower than the org's rate"), for a table that
    shows n in a column of its own: `compare` always ends with ", n = …" or is only it."""
    head, found, _ = str(words).rpartition(", n = ")
    return head if found else str(words)
