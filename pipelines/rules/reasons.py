"""The reason sentence of a readiness row: plain English a manager can read aloud.

It names the flag, the months counted, and, when something holds the engineer back, the
blocking category with the failing number and its bar (or the missing evidence, or the sample
too small to judge). Input is one row of the readiness model as a mapping.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date
from typing import Any

from pipelines.framework import Framework

# Flag columns of the readiness table and the short labels the flags command shows.
FLAG_LABELS = {
    "promotion_ready": "ready",
    "near_window": "near",
    "in_band_candidate": "in-band",
    "at_risk": "at-risk",
}

METRIC_WORDS = {
    "sla_adherence": "SLA adherence",
    "median_open_hours": "median open time",
    "volume_ratio": "volume",
}


def flag_labels(row: Mapping[str, Any]) -> str:
    return ", ".join(label for column, label in FLAG_LABELS.items() if row[column])


def month_words(month: date) -> str:
    return f"{calendar.month_name[month.month]} {month.year}"


def _day_words(day: date) -> str:
    return f"{day.day} {calendar.month_name[day.month]} {day.year}"


def _months(n: int) -> str:
    return f"{n} month" if n == 1 else f"{n} months"


def _trim(value: float, decimals: int) -> str:
    """A bar as people write it: 94%, 20 h, 0.5 (no trailing zeros)."""
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _figures(metric: str, observed: float, bar: float) -> tuple[str, str]:
    """The observed value and the bar, with enough precision that they never look equal."""
    if metric == "sla_adherence":
        observed, bar = observed * 100, bar * 100
        unit, decimals = "%", 1
    elif metric == "median_open_hours":
        unit, decimals = " h", 1
    else:
        unit, decimals = "", 2
    shown = f"{observed:.{decimals}f}"
    while float(shown) == round(bar, decimals) and observed != bar and decimals < 4:
        decimals += 1
        shown = f"{observed:.{decimals}f}"
    return shown + unit, _trim(bar, 4) + unit


def blocker_phrase(
    detail: Mapping[str, Any], month: date, team_lead: bool, min_sample: float, min_examples: float
) -> str:
    """Why `detail['category']` stops below `detail['blocked_level']` in `month`."""
    category, kind, when = detail["category"], detail["kind"], month_words(month)
    if kind == "bar":
        metric = detail["metric"]
        observed, bar = _figures(metric, detail["observed"], detail["bar"])
        bar_name = "team-lead bar" if metric == "volume_ratio" and team_lead else "bar"
        what = f"{category} {METRIC_WORDS[metric]} {observed}"
        sample = f"{detail['sample']} tickets"
        if metric == "volume_ratio":
            what += " of the team median"
            sample = f"team median {detail['sample']} tickets"
        return f"{what} ({bar_name} {bar}, {sample}) in {when}"
    if kind == "concern":
        article = "an" if category[:1].lower() in "aeiou" else "a"
        return (
            f"{article} {category} concern at {detail['evidence_level']} "
            f"({detail['evidence_id']}, {_day_words(detail['evidence_observed_on'])}) "
            f"covers {when}"
        )
    if kind == "sample":
        whose = "the team's median of " if detail["metric"] == "volume_ratio" else ""
        return (
            f"too few tickets ({whose}{detail['sample']} < {_trim(min_sample, 2)}) to judge "
            f"{category} {METRIC_WORDS[detail['metric']]} in {when}"
        )
    have, need = detail["examples"] or 0, int(min_examples)
    if have == 0:
        return f"no {category} example at {detail['blocked_level']} covers {when}"
    return (
        f"only {have} of the {need} {category} examples at {detail['blocked_level']} "
        f"needed cover {when}"
    )


def _tenure(row: Mapping[str, Any], needed: int | None) -> str:
    """Whole calendar months at the level, how many were judged when that differs (onboarding,
    leave and months before the level was held all month are not), and how many of the judged
    ones in a row were consistent: the same three counts the Engineer page shows."""
    whole = row["whole_months_at_level"]
    judged, consistent = row["judged_months_at_level"], row["months_at_level"]
    text = f"{whole} whole {'month' if whole == 1 else 'months'} at {row['level']}"
    if judged != whole:
        text += f" ({judged} judged)"
    if consistent == judged:
        text += ", all consistent" if judged > 1 else ", consistent"
    else:
        text += f", {consistent} of them consistent"
    if needed is not None and consistent < needed:
        text += f" ({needed} needed)"
    return text


def _presumed(row: Mapping[str, Any], min_sample: float) -> str:
    unjudged = row["unjudged"]
    if not unjudged:
        return ""
    return (
        f" ({row['level']} presumed: too few tickets ({unjudged['sample']} < "
        f"{_trim(min_sample, 2)}) to judge {unjudged['category']} "
        f"{METRIC_WORDS[unjudged['metric']]} in {month_words(row['month'])})"
    )


def reason_for(row: Mapping[str, Any], framework: Framework) -> str:
    """One sentence explaining the row's flags (or why there is none)."""
    rule = framework.rule
    level, upcoming, month = row["level"], row["next_level"], row["month"]
    at_level_needed = int(rule("promotion_months_at_level"))
    at_next_needed = int(rule("promotion_months_at_next"))

    def blocker() -> str:
        return blocker_phrase(
            row["weakest"], month, row["team_lead"], rule("min_sample"), rule("min_examples_above")
        )

    if row["at_risk"]:
        return f"Below {level} in the last {_months(row['months_below_level'])}: {blocker()}."
    if row["months_below_level"] > 0:
        left = int(rule("at_risk_months")) - row["months_below_level"]
        return (
            f"Below {level} in {month_words(month)}: {blocker()}; at risk if it lasts "
            f"{_months(left)} more."
        )
    presumed = _presumed(row, rule("min_sample"))
    if upcoming is None:
        return f"{_tenure(row, None)}; {level} is the top level{presumed}."
    tenure = _tenure(row, None if row["promotion_ready"] else at_level_needed)
    at_next = row["months_at_next"]
    if row["promotion_ready"]:
        return (
            f"Promotion-ready: {tenure}; {upcoming} shown in every category for the last "
            f"{_months(at_next)}."
        )
    if row["near_window"]:
        window = row["projected_window_month"]
        # Near a window with the next level already shown long enough: the months at the
        # current level are what is left, so "4 of 3 months" would misread.
        shown = (
            f"shown for {at_next} of {at_next_needed} months"
            if at_next < at_next_needed
            else f"shown for the last {_months(at_next)} ({at_next_needed} needed)"
        )
        text = f"{tenure}; {upcoming} {shown}, window in {month_words(window)} if it holds"
        expiring = row["expiring"]
        if expiring and expiring["until"] is not None and expiring["until"] < window:
            text += (
                f" — {expiring['category']} evidence at {upcoming} ends in "
                f"{month_words(expiring['until'])}"
            )
        if row["in_band_candidate"]:
            text += "; also an in-band raise candidate"
        return text + "."
    if at_next:
        next_part = (
            f"{upcoming} shown for the last {_months(at_next)}, promotion-ready in "
            f"{_months(row['months_to_ready'])} at the earliest"
        )
    else:
        next_part = f"{upcoming} not shown — {blocker()}"
        if row["weakest"]["kind"] == "sample":
            presumed = ""  # the blocker already says which sample was too small
    if row["in_band_candidate"]:
        above = " and ".join(row["above_categories"].rsplit(", ", 1))
        return (
            f"In-band raise candidate: {above} above {level} in "
            f"{month_words(month)}, at least "
            f"{int(rule('in_band_min_categories_above'))} categories above for "
            f"{_months(row['months_with_categories_above'])}; {next_part}{presumed}."
        )
    return f"{tenure}; {next_part}{presumed}."
