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


RULE_SETTINGS: tuple[RuleSetting, ...] = (
    RuleSetting(
        "onboarding_months",
        3,
        "Months after hire_date that count as onboarding "
        "(an engineer's onboarded_on overrides it).",
    ),
    RuleSetting(
        "promotion_months_at_level",
        12,
        "Consecutive months at or above the current level needed for a promotion case.",
        1,
    ),
    RuleSetting(
        "promotion_months_at_next",
        3,
        "Consecutive months at or above the next level needed for a promotion case.",
        1,
    ),
    RuleSetting(
        "near_window_months",
        3,
        "An engineer within this many months of promotion-ready "
        "(and already showing the next level) is 'near a window'.",
    ),
    RuleSetting(
        "min_sample",
        10,
        "Fewest tickets behind a monthly figure for it to count: "
        "SLA-bearing tickets for SLA, solved tickets for open time, the team's median "
        "for volume.",
        1,
    ),
    RuleSetting("metric_window_months", 1, "Calendar months each metric is computed over.", 1),
    RuleSetting(
        "evidence_coverage_months",
        2,
        "An evidence item covers its own month and this many months after it.",
    ),
    RuleSetting(
        "min_examples_above",
        1,
        "Example evidence items at a higher level needed, per "
        "category and month, to show that level.",
        1,
    ),
    RuleSetting(
        "team_lead_volume_factor",
        0.5,
        "Team leads carry less IC scope, so their volume bar is scaled by this factor.",
    ),
    RuleSetting(
        "in_band_min_months_at_level",
        6,
        "Consecutive months at level before an in-band raise can be suggested.",
        1,
    ),
    RuleSetting(
        "in_band_lookback_months",
        6,
        "Recent eligible months that must each show "
        "categories above the current level for an in-band raise.",
        1,
    ),
    RuleSetting(
        "in_band_min_categories_above",
        2,
        "Categories demonstrated above the current "
        "level, in each of those months, for an in-band raise.",
        1,
    ),
    RuleSetting(
        "in_band_cooldown_months",
        12,
        "No in-band raise suggestion within this many months of the last raise or promotion.",
    ),
    RuleSetting(
        "at_risk_months",
        2,
        "Consecutive eligible months below the current level that flag an engineer as at risk.",
        1,
    ),
)

SETTINGS_BY_NAME = {s.name: s for s in RULE_SETTINGS}
