"""Month-by-month targets for every engineer, derived from their story.

Arrays are engineers x (window months + 1); the last column is the partial month after
end_month, in which tickets keep arriving until the export. The ticket generator draws from these
targets; the SLA bounds are what guarantee each month lands on the intended side of the bars.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass

import numpy as np

from pipelines.demo import calendar as cal
from pipelines.demo.org import RAMP_UP, Org, Person
from pipelines.framework import Framework

# Slipping months: adherence this far under the bar, at worst this much further down.
SLIP_MARGIN = 0.02
SLIP_DEPTH = 0.08
# Typical adherence sits this share of the way from the month's floor to 100%.
SKILL_HEADROOM = 0.45
# Planned monthly medians stay under this share of the strictest open-time bar (tickets that
# cross a month end nudge the observed median up), and double in slipping months.
OPEN_TIME_HEADROOM = 0.65
SLIP_OPEN_TIME_FACTOR = 2.0
NO_CEILING = 2.0
# Every full working month solves at least this multiple of the volume bar's share of the
# team median (the margin absorbs tickets crossing month ends).
STEADY_VOLUME_SHARE = 1.25


@dataclass
class Plan:
    level: np.ndarray  # current level rank, -1 when not employed
    shown: np.ndarray  # designed demonstrated level minus current, per category
    tickets: np.ndarray  # tickets created, drawn around the expected volume
    open_hours: np.ndarray  # median hours from creation to solve
    sla_floor: np.ndarray  # adherence must stay strictly above this
    sla_ceiling: np.ndarray  # and strictly below this (NO_CEILING when free)
    sla_skill: np.ndarray  # typical adherence, clipped into the bounds above
    bad_csat_share: np.ndarray  # share of rated tickets rated bad


def sla_bar(fw: Framework, category: str, rank: int) -> float:
    """The highest SLA adherence bar that applies in `category` at level `rank` (0 if none)."""
    if rank < 0:
        return 0.0
    bars = [
        b.value
        for b in fw.bars_for(fw.levels[min(rank, len(fw.levels) - 1)], category)
        if b.metric == "sla_adherence"
    ]
    return max(bars, default=0.0)


def build_plan(org: Org, tickets_per_month: float, rng: np.random.Generator) -> Plan:
    fw = org.fw
    n, cols = len(org.people), org.months + 1
    cats = fw.categories
    plan = Plan(
        level=np.full((n, cols), -1, dtype=np.int8),
        shown=np.zeros((n, cols, len(cats)), dtype=np.int8),
        tickets=np.zeros((n, cols), dtype=np.int64),
        open_hours=np.zeros((n, cols)),
        sla_floor=np.zeros((n, cols)),
        sla_ceiling=np.full((n, cols), NO_CEILING),
        sla_skill=np.zeros((n, cols)),
        bad_csat_share=np.full((n, cols), 0.06),
    )
    open_cap = OPEN_TIME_HEADROOM * min(
        (b.value for b in fw.bars if b.metric == "median_open_hours"), default=40.0
    )
    expected = np.zeros((n, cols))
    full_month = np.zeros((n, cols), dtype=bool)
    for p in org.people:
        _levels_and_volume(org, p, plan, expected, full_month, tickets_per_month / 30.0)
        e = p.index
        plan.open_hours[e] = np.minimum(p.open_hours, open_cap) * rng.uniform(0.93, 1.07, cols)
        for ep in p.episodes:
            months = slice(max(ep.start, 0), min(ep.end, org.end) + 1)
            if ep.kind == "above":
                for c in ep.categories:
                    plan.shown[e, months, cats.index(c)] = 1
            elif ep.kind == "concern":
                cover = slice(
                    ep.start, min(ep.start + int(fw.rule("evidence_coverage_months")), org.end) + 1
                )
                plan.shown[e, cover, cats.index(ep.categories[0])] = -1
        _sla_bounds(fw, p, plan)
        for ep in p.episodes:
            if ep.kind == "slip":
                _slip(fw, plan, e, slice(ep.start, min(ep.end, org.end) + 1))
        # The partial month after end_month continues end_month's story.
        for arr in (
            plan.shown,
            plan.open_hours,
            plan.sla_floor,
            plan.sla_ceiling,
            plan.sla_skill,
            plan.bad_csat_share,
        ):
            arr[e, org.months] = arr[e, org.end]
    plan.tickets = _steady_volume(org, rng.poisson(expected), full_month)
    return plan


def _steady_volume(org: Org, tickets: np.ndarray, full_month: np.ndarray) -> np.ndarray:
    """Lift anyone's full working month to a safe share of the team's median, so a slow month
    after a vacation never fails the steady-volume bar by chance (leads against their own,
    scaled bar)."""
    share = STEADY_VOLUME_SHARE * max(
        (b.value for b in org.fw.bars if b.metric == "volume_ratio"), default=0.0
    )
    factor = org.fw.rule("team_lead_volume_factor")
    teams: dict[str, list[int]] = {}
    for p in org.people:
        teams.setdefault(p.team, []).append(p.index)
    for members in teams.values():
        idx = np.array(members)
        leads = np.array([org.people[i].team_lead for i in members])
        counted = np.where(full_month[idx] & ~leads[:, None], tickets[idx], np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a month with nobody counted
            median = (
                np.nan_to_num(np.nanmedian(counted, axis=0))
                if (~leads).any()
                else np.zeros(tickets.shape[1])
            )
        floor = np.ceil(share * median[None, :] * np.where(leads, factor, 1.0)[:, None])
        lifted = np.where(full_month[idx], np.maximum(tickets[idx], floor), tickets[idx])
        tickets[idx] = lifted.astype(np.int64)
    return tickets


def _levels_and_volume(
    org: Org, p: Person, plan: Plan, expected: np.ndarray, full_month: np.ndarray, scale: float
) -> None:
    """Level at each month start, and expected tickets: pro rata to the days worked (hire,
    leaving, leave, the export cut-off) and ramping up during the first months."""
    e = p.index
    hire_month = org.index_of(p.hire_on)
    for m in range(max(0, hire_month), org.months + 1):
        start, stop = org.day(m, 1), org.day(m + 1, 1)
        if m == org.months:
            stop = min(stop, org.extract_at.date())
        if p.left_on is not None:
            stop = min(stop, p.left_on)
        begin = max(start, p.hire_on)
        if stop <= begin:
            break
        worked = (stop - begin).days - _leave_days(p, begin, stop)
        plan.level[e, m] = _level_on(p, max(start, p.hire_on))
        ramp = RAMP_UP[m - hire_month] if m - hire_month < len(RAMP_UP) else 1.0
        days = cal.days_in(org.first_month + m)
        expected[e, m] = p.monthly_volume * scale * ramp * max(0, worked) / days
        full_month[e, m] = ramp == 1.0 and begin == start and stop == org.day(m + 1, 1)


def _leave_days(p: Person, begin: dt.date, stop: dt.date) -> int:
    total = 0
    for a, b in p.leave:
        overlap = (min(b + dt.timedelta(days=1), stop) - max(a, begin)).days
        total += max(0, overlap)
    return total


def _level_on(p: Person, day: dt.date) -> int:
    rank = p.level_changes[0][1]
    for effective, level in p.level_changes:
        if effective <= day:
            rank = level
    return rank


def _sla_bounds(fw: Framework, p: Person, plan: Plan) -> None:
    """Each month's floor is the strictest SLA bar of the level each category should show."""
    e = p.index
    for m in np.nonzero(plan.level[e] >= 0)[0]:
        cur = int(plan.level[e, m])
        targets = [cur + max(0, int(s)) for s in plan.shown[e, m]]
        floor = max(sla_bar(fw, c, t) for c, t in zip(fw.categories, targets, strict=True))
        plan.sla_floor[e, m] = floor
        plan.sla_skill[e, m] = floor + (1.0 - floor) * SKILL_HEADROOM


def _slip(fw: Framework, plan: Plan, e: int, months: slice) -> None:
    """SLA under the current level's strictest bar, slower and less liked: below the level."""
    for m in range(months.start, months.stop):
        cur = int(plan.level[e, m])
        bars = [sla_bar(fw, c, cur) for c in fw.categories]
        ceiling = max(bars) - SLIP_MARGIN
        plan.sla_ceiling[e, m] = ceiling
        plan.sla_floor[e, m] = ceiling - SLIP_DEPTH
        plan.sla_skill[e, m] = ceiling - SLIP_DEPTH / 2
        plan.open_hours[e, m] *= SLIP_OPEN_TIME_FACTOR
        plan.bad_csat_share[e, m] = 0.18
        for c, bar in enumerate(bars):
            if bar > ceiling:
                plan.shown[e, m, c] = -1
