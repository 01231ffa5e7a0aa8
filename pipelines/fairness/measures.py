"""What the fairness lens measures for each group, and how each is summed up.

kind "share": the share of the group's people with the thing at least once in the period
(flagged in at least one judged month, or a decision dated in the period), with Wilson's 95%
interval. kind "per_person_month": evidence items per person-month present, with a Poisson 95%
interval. kind "months": the median months at the old level of the promotions that took effect
in the period, with an order-statistic interval and n = the number of promotions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["share", "per_person_month", "months"]


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    kind: Kind
    # One line for a page's help text or a CSV's readers: what is counted, over what.
    help: str = ""
    # A column heading or a button: a word or two, so eight of them fit across a 1024 px page.
    short: str = ""


MEASURES: tuple[Measure, ...] = (
    Measure(
        "promotion_ready",
        "Promotion-ready",
        "share",
        "Share of the group's people flagged promotion-ready in at least one month of the period.",
        short="Ready",
    ),
    Measure(
        "near_window",
        "Near a window",
        "share",
        "Share of the group's people flagged near a window in at least one month of the period.",
        short="Near window",
    ),
    Measure(
        "in_band_candidate",
        "In-band candidate",
        "share",
        "Share of the group's people flagged as in-band raise candidates in at least one month "
        "of the period.",
        short="In-band",
    ),
    Measure(
        "at_risk",
        "At risk",
        "share",
        "Share of the group's people flagged at risk in at least one month of the period.",
        short="At risk",
    ),
    Measure(
        "promotion_decided",
        "Promotions decided",
        "share",
        "Share of the group's people with a promotion decision dated in the period.",
        short="Promoted",
    ),
    Measure(
        "raise_decided",
        "In-band raises decided",
        "share",
        "Share of the group's people with an in-band raise decision dated in the period.",
        short="Raised",
    ),
    Measure(
        "months_before_promotion",
        "Months at level before promotion",
        "months",
        "Median whole months at the old level, for promotions that took effect in the period.",
        short="Months at level",
    ),
    Measure(
        "evidence_rate",
        "Evidence per person-month",
        "per_person_month",
        "Examples of work recorded per person per month present (concerns are not counted).",
        short="Evidence",
    ),
)
MEASURES_BY_KEY = {m.key: m for m in MEASURES}
# The readiness flags the share measures count, by the readiness column of the same name.
FLAG_MEASURES = ("promotion_ready", "near_window", "in_band_candidate", "at_risk")
