"""Every rule setting the readiness engine reads: its default and what it means, in one place.

`data/framework.toml` may override any of them under `[rules]`; the framework page of the
dashboard and the README's settings table are both rendered from this list.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuleSetting:
    name: str
    default: int | float
    help: str
    minimum: float = 0
    # A short name for the setting as a VP would say it (the what-if's pickers, headlines and
    # the pre-read's appendix); `name` stays the key of the framework file.
    label: str = ""


RULE_SETTINGS: tuple[RuleSetting, ...] = (
    RuleSetting(
        "onboarding_months",
        3,
        "Months after hire_date that count as onboarding "
        "(an engineer's onboarded_on overrides it).",
        label="Months of onboarding before someone is judged",
    ),
    RuleSetting(
        "promotion_months_at_level",
        12,
        "Consecutive months at or above the current level needed for a promotion case.",
        1,
        label="Months at level before a promotion case",
    ),
    RuleSetting(
        "promotion_months_at_next",
        3,
        "Consecutive months at or above the next level needed for a promotion case.",
        1,
        label="Months showing the next level before a promotion case",
    ),
    RuleSetting(
        "near_window_months",
        3,
        "An engineer within this many months of promotion-ready "
        "(and already showing the next level) is 'near a window'.",
        label="Months ahead that count as near a window",
    ),
    RuleSetting(
        "min_sample",
        10,
        "Fewest tickets behind a monthly figure for it to count: "
        "SLA-bearing tickets for SLA, solved tickets for open time, the team's median "
        "for volume.",
        1,
        label="Fewest tickets behind a monthly figure",
    ),
    RuleSetting(
        "metric_window_months",
        1,
        "Calendar months each metric is computed over.",
        1,
        label="Months each metric is computed over",
    ),
    RuleSetting(
        "evidence_coverage_months",
        2,
        "An evidence item covers its own month and this many months after it.",
        label="Months an example of work keeps counting",
    ),
    RuleSetting(
        "min_examples_above",
        1,
        "Example evidence items at a higher level needed, per "
        "category and month, to show that level.",
        1,
        label="Examples needed to show a higher level",
    ),
    RuleSetting(
        "team_lead_volume_factor",
        0.5,
        "Team leads carry less IC scope, so their volume bar is scaled by this factor.",
        label="Team leads' share of the volume bar",
    ),
    RuleSetting(
        "in_band_min_months_at_level",
        6,
        "Consecutive months at level before an in-band raise can be suggested.",
        1,
        label="Months at level before an in-band raise",
    ),
    RuleSetting(
        "in_band_lookback_months",
        6,
        "Recent eligible months that must each show "
        "categories above the current level for an in-band raise.",
        1,
        label="Months above level before an in-band raise",
    ),
    RuleSetting(
        "in_band_min_categories_above",
        2,
        "Categories demonstrated above the current "
        "level, in each of those months, for an in-band raise.",
        1,
        label="Categories above level for an in-band raise",
    ),
    RuleSetting(
        "in_band_cooldown_months",
        12,
        "No in-band raise suggestion within this many months of the last raise or promotion.",
        label="Months after a raise before another in-band raise",
    ),
    RuleSetting(
        "at_risk_months",
        2,
        "Consecutive eligible months below the current level that flag an engineer as at risk.",
        1,
        label="Months below level before someone is at risk",
    ),
)

SETTINGS_BY_NAME = {s.name: s for s in RULE_SETTINGS}
