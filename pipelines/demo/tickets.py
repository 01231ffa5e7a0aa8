"""Tickets for the demo org, generated month by month in numpy and streamed as Arrow batches.

Each month's tickets are created at weekday-heavy, business-hours times in the engineer's region,
stay open for a log-normal time whose median per engineer-month is the plan's, and are solved.
A ticket is finalised (SLA, status, satisfaction) in the month it is solved: within each
engineer's solved month the number of SLA breaches is drawn around the engineer's skill and then
held inside the plan's bounds, and the breaches go to the slowest tickets.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np
import pyarrow as pa

from pipelines.demo import calendar as cal
from pipelines.demo.org import REGIONS, Org
from pipelines.demo.plan import Plan

DICT = pa.dictionary(pa.int32(), pa.string())
TICKET_SCHEMA = pa.schema(
    [
        ("ticket_id", pa.int64()),
        ("assignee_id", DICT),
        ("created_at", pa.timestamp("s")),
        ("solved_at", pa.timestamp("s")),
        ("status", DICT),
        ("priority", DICT),
        ("sla_breached", pa.bool_()),
        ("csat", DICT),
        ("reopens", pa.int8()),
        ("updated_at", pa.timestamp("s")),
    ]
)
FIRST_TICKET_ID = 100_001
HOUR = 3_600
DAY = 86_400
# Spread of log open time (log-normal); the monthly median is the plan's, this shapes the rest.
OPEN_TIME_SIGMA = 0.95
SHORTEST_OPEN_HOURS = 0.05
# Share of tickets nobody picked up (spam, duplicates): closed quickly, or still new.
UNASSIGNED_SHARE = 0.015
UNASSIGNED_OPEN_HOURS = 3.0
# Relative chance of a ticket arriving by local weekday (Mon..Sun) and hour.
WEEKDAY_WEIGHT = np.array([1.0, 1.0, 1.0, 1.0, 0.95, 0.22, 0.18])
HOUR_WEIGHT = np.array([0.08] * 7 + [0.4, 0.8] + [1.0] * 9 + [0.6, 0.45, 0.3, 0.2, 0.12, 0.08])
PRIORITIES = ("low", "normal", "high", "urgent")
PRIORITY_P = np.array([0.2, 0.55, 0.19, 0.04, 0.02])  # the last is "no priority set"
NO_SLA_SHARE_OF_LOW = 0.3
CSAT = ("good", "bad", "offered", "unoffered")
CSAT_UNOFFERED, CSAT_OFFERED = 0.22, 0.45
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
OPEN_STATUS_P = np.array([0.6, 0.3, 0.1])  # open, pending, hold
AUTO_CLOSE = 4 * DAY
REOPENS_P = np.array([0.91, 0.075, 0.015])
BREACH_SCORE_NOISE = 0.6

FIELDS = ("id", "eng", "created", "solved", "priority")


class TicketStream:
    """Yields finalised ticket batches in creation-month order; `rows` counts them."""

    def __init__(
        self,
        org: Org,
        plan: Plan,
        rng: np.random.Generator,
        on_month: Callable[[int], None] | None = None,
    ):
        self.org, self.plan, self.rng = org, plan, rng
        self.on_month = on_month
        people = org.people
        self.ids = pa.array([p.engineer_id for p in people], type=pa.string())
        self.hire = np.array([cal.epoch_seconds(p.hire_on) for p in people], dtype=np.int64)
        never = np.iinfo(np.int64).max // 2
        self.left = np.array(
            [cal.epoch_seconds(p.left_on) if p.left_on else never for p in people], dtype=np.int64
        )
        self.tz = np.array([REGIONS[p.region][0] for p in people], dtype=np.int64)
        self.bounds = cal.month_starts_seconds(org.first_month, org.months + 1)
        self.extract = int(org.extract_at.timestamp())
        self.next_id = FIRST_TICKET_ID
        self.rows = 0

    def batches(self) -> Iterator[pa.RecordBatch]:
        pending = {k: np.empty(0, dtype=np.int64) for k in FIELDS}
        last = self.org.months
        for m in range(last + 1):
            fresh = self._create(m)
            pool = {k: np.concatenate([pending[k], fresh[k]]) for k in FIELDS}
            done = (
                np.ones(len(pool["eng"]), bool)
                if m == last
                else (np.searchsorted(self.bounds, pool["solved"], "right") - 1 <= m)
            )
            pending = {k: v[~done] for k, v in pool.items()}
            batch = self._finalise({k: v[done] for k, v in pool.items()})
            self.rows += batch.num_rows
            if self.on_month:
                self.on_month(m)
            yield batch

    # -- creation ---------------------------------------------------------------------------

    def _create(self, m: int) -> dict[str, np.ndarray]:
        rng, plan = self.rng, self.plan
        counts = plan.tickets[:, m]
        eng = np.repeat(np.arange(len(counts)), counts)
        start, stop = self.bounds[m], min(self.bounds[m + 1], self.extract)
        lo = np.maximum(start, self.hire[eng])
        hi = np.maximum(np.minimum(stop, self.left[eng]), lo + 1)
        created = self._arrivals(lo, hi, self.tz[eng])
        hours = plan.open_hours[eng, m] * np.exp(OPEN_TIME_SIGMA * _stratified_normal(rng, eng))
        solved = created + np.maximum(hours, SHORTEST_OPEN_HOURS) * HOUR
        leaving = solved >= self.left[eng]
        # People wrap up their queue before their last day.
        solved[leaving] = created[leaving] + (
            self.left[eng][leaving] - created[leaving]
        ) * rng.uniform(0.3, 0.95, leaving.sum())

        stray = rng.poisson(len(eng) * UNASSIGNED_SHARE)
        offsets = np.array([tz for tz, _ in REGIONS.values()])[rng.integers(0, 3, stray)]
        s_created = self._arrivals(np.full(stray, start), np.full(stray, stop), offsets)
        s_solved = s_created + rng.lognormal(np.log(UNASSIGNED_OPEN_HOURS), 1.0, stray) * HOUR

        created = np.concatenate([created, s_created])
        order = np.argsort(created, kind="stable")
        n = len(order)
        fresh = {
            "eng": np.concatenate([eng, np.full(stray, -1)])[order],
            "created": created[order],
            "solved": np.concatenate([solved, s_solved]).astype(np.int64)[order],
            "priority": rng.choice(len(PRIORITY_P), n, p=PRIORITY_P),
        }
        fresh["id"] = np.arange(self.next_id, self.next_id + n)
        self.next_id += n
        return fresh

    def _arrivals(self, lo: np.ndarray, hi: np.ndarray, tz: np.ndarray) -> np.ndarray:
        """Times in [lo, hi), thinned by local weekday and hour (rejection sampling)."""
        rng = self.rng
        out = np.empty(len(lo), dtype=np.int64)
        todo = np.arange(len(lo))
        for _ in range(40):
            if not len(todo):
                break
            t = lo[todo] + (rng.random(len(todo)) * (hi[todo] - lo[todo])).astype(np.int64)
            local = t + tz[todo] * HOUR
            weekday = (local // DAY + 3) % 7  # 1970-01-01 was a Thursday
            weight = WEEKDAY_WEIGHT[weekday] * HOUR_WEIGHT[(local % DAY) // HOUR]
            keep = rng.random(len(todo)) < weight
            out[todo[keep]] = t[keep]
            out[todo[~keep]] = t[~keep]  # kept if the loop runs out; overwritten otherwise
            todo = todo[~keep]
        return out

    # -- finalising ---------------------------------------------------------------------------

    def _finalise(self, t: dict[str, np.ndarray]) -> pa.RecordBatch:
        rng, plan = self.rng, self.plan
        n = len(t["eng"])
        order = np.argsort(t["id"], kind="stable")
        t = {k: v[order] for k, v in t.items()}
        eng, created, solved = t["eng"], t["created"], t["solved"]
        assigned = eng >= 0
        is_solved = solved < self.extract
        month = np.clip(np.searchsorted(self.bounds, solved, "right") - 1, 0, self.org.months)
        who = np.where(assigned, eng, 0)

        priority = t["priority"]
        no_priority = priority == len(PRIORITIES)
        has_sla = ~no_priority & ~((priority == 0) & (rng.random(n) < NO_SLA_SHARE_OF_LOW))
        bearing = has_sla & assigned & is_solved
        breached = self._breaches(who, month, created, solved, bearing)

        status = np.where(solved + AUTO_CLOSE <= self.extract, 5, 4)
        open_status = 1 + rng.choice(3, n, p=OPEN_STATUS_P)
        status = np.where(is_solved, status, np.where(assigned, open_status, 0))
        updated = np.where(status == 5, solved + AUTO_CLOSE + rng.integers(0, HOUR, n), solved)
        waiting = ~is_solved
        updated[waiting] = created[waiting] + (
            rng.random(waiting.sum()) * (self.extract - created[waiting])
        ).astype(np.int64)
        updated = np.minimum(updated, self.extract - 1)

        bad = plan.bad_csat_share[who, month]
        u = rng.random(n)
        csat = np.select(
            [u < CSAT_UNOFFERED, u < CSAT_UNOFFERED + CSAT_OFFERED, rng.random(n) < bad],
            [3, 2, 1],
            0,
        )
        csat = np.where(assigned, csat, 3)
        reopens = rng.choice(len(REOPENS_P), n, p=REOPENS_P).astype(np.int8)

        return pa.record_batch(
            [
                pa.array(t["id"], pa.int64()),
                _dictionary(np.where(assigned, eng, -1), self.ids),
                pa.array(created, pa.timestamp("s")),
                pa.array(solved, pa.timestamp("s"), mask=~is_solved),
                _dictionary(status, STATUSES),
                _dictionary(np.where(no_priority, -1, priority), PRIORITIES),
                pa.array(breached, pa.bool_(), mask=~bearing),
                _dictionary(np.where(is_solved, csat, -1), CSAT),
                pa.array(reopens, pa.int8()),
                pa.array(updated, pa.timestamp("s")),
            ],
            schema=TICKET_SCHEMA,
        )

    def _breaches(self, eng, month, created, solved, bearing) -> np.ndarray:
        """Exactly k breaches per engineer and solved month, k inside the plan's bounds."""
        plan, rng = self.plan, self.rng
        breached = np.zeros(len(eng), dtype=bool)
        idx = np.nonzero(bearing)[0]
        if not len(idx):
            return breached
        key = eng[idx].astype(np.int64) * (self.org.months + 1) + month[idx]
        groups, group_of = np.unique(key, return_inverse=True)
        n = np.bincount(group_of)
        g_eng, g_month = groups // (self.org.months + 1), groups % (self.org.months + 1)
        k = allowed_breaches(
            n,
            plan.sla_floor[g_eng, g_month],
            plan.sla_ceiling[g_eng, g_month],
            rng.binomial(n, 1.0 - plan.sla_skill[g_eng, g_month]),
        )
        # The slowest tickets are the ones that missed their target, give or take.
        score = np.log((solved[idx] - created[idx]) / HOUR + SHORTEST_OPEN_HOURS) + rng.normal(
            0, BREACH_SCORE_NOISE, len(idx)
        )
        order = np.lexsort((-score, group_of))
        starts = np.concatenate([[0], np.cumsum(n)[:-1]])
        rank = np.arange(len(idx)) - starts[group_of[order]]
        breached[idx[order]] = rank < k[group_of[order]]
        return breached


def allowed_breaches(
    n: np.ndarray, floor: np.ndarray, ceiling: np.ndarray, drawn: np.ndarray
) -> np.ndarray:
    """Clip drawn breach counts so adherence (n - k) / n is strictly above `floor` and strictly
    below `ceiling`; when both cannot hold (a tiny sample) the ceiling wins, so a planned slip
    still shows."""
    eps = 1e-6
    most = np.maximum(np.floor(n * (1.0 - floor) - eps), 0)
    least = np.where(ceiling <= 1.0, np.floor(n * (1.0 - ceiling) + eps) + 1, 0)
    return np.minimum(np.minimum(np.maximum(drawn, least), np.maximum(most, least)), n)


def _stratified_normal(rng: np.random.Generator, group: np.ndarray) -> np.ndarray:
    """Standard normal scores, stratified within each group (one draw from each of n equal
    probability slices, in random order) and shifted so each group's median is exactly zero.
    The engineer's monthly median open time then equals the plan's, and a few tickets that
    cross a month end move it by a slice or two rather than by a random gap."""
    total = len(group)
    if not total:
        return np.zeros(0)
    order = np.lexsort((rng.random(total), group))
    sizes = np.bincount(group)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rank = np.empty(total)
    rank[order] = np.arange(total) - starts[group[order]]
    z = np.interp((rank + rng.random(total)) / sizes[group], _NORMAL_CDF, _NORMAL_Z)
    by_value = np.lexsort((z, group))
    sorted_z = z[by_value]
    has = sizes > 0
    lo = sorted_z[(starts + (sizes - 1) // 2)[has]]
    hi = sorted_z[(starts + sizes // 2)[has]]
    median = np.zeros(len(sizes))
    median[has] = (lo + hi) / 2
    return z - median[group]


# The standard normal CDF on a fine grid, inverted by interpolation (no scipy needed).
_NORMAL_Z = np.linspace(-6.0, 6.0, 24_001)
_NORMAL_CDF = np.array([0.5 * (1.0 + math.erf(z / math.sqrt(2.0))) for z in _NORMAL_Z])


def _dictionary(codes: np.ndarray, values) -> pa.DictionaryArray:
    codes = np.asarray(codes)
    dictionary = values if isinstance(values, pa.Array) else pa.array(list(values), pa.string())
    indices = pa.array(codes.astype(np.int32), pa.int32(), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, dictionary)
