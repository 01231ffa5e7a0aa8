"""Evidence, decisions and leave rows for the demo org.

Evidence follows the stories: example items at the next level cover exactly the months an
"above" episode needs (an item covers its month and the framework's coverage months after it),
a concern at the current level opens each concern episode, and routine notes at the current
level (which change no readiness outcome) give every profile some texture.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from pipelines.demo import calendar as cal
from pipelines.demo.org import LEAVER, STEADY, TEAM_LEAD, Org, Person
from pipelines.demo.plan import Plan

ROUTINE_NOTE_CHANCE = 0.2  # per engineer-month
NOT_YET_CHANCE = 0.02  # per engineer-month: a concern one level up, i.e. "not there yet"
LINK_CHANCE = {"example": 0.45, "concern": 0.25}
SOURCES = {
    "example": (("manager", 0.5), ("peer", 0.22), ("self", 0.14), ("customer", 0.14)),
    "concern": (("manager", 0.8), ("peer", 0.15), ("customer", 0.05)),
}
# Customers see only what reaches them.
CUSTOMER_VISIBLE = ("Impact", "Execution")
EXAMPLE_CONTEXT = (
    "noted in the {month} 1:1",
    "see the linked ticket",
    "from a peer's write-up after the {month} escalation",
    "raised in the {month} team retro",
    "called out in the {month} queue review",
    "shown on a tricky {month} escalation",
    "picked up in the {month} calibration notes",
)
CUSTOMER_CONTEXT = (
    "customer wrote in to thank the team in {month}",
    "praised by name in a {month} satisfaction survey",
)
CONCERN_CONTEXT = (
    "missed on several tickets in {month}",
    "raised by a peer after a {month} handover",
    "flagged in the {month} escalation review",
    "discussed in the {month} 1:1; plan agreed",
)
NOT_YET_CONTEXT = (
    "not yet shown consistently; discussed in the {month} 1:1",
    "a stretch goal for next quarter, per the {month} review",
)


def evidence_months(start: int, end: int, coverage: int) -> list[int]:
    """Months to observe examples in so their coverage spans start..end without spilling past
    it (a run shorter than one item's coverage necessarily spills)."""
    if end - start < coverage:
        return [start]
    months = list(range(start, end - coverage + 1, coverage + 1))
    if months[-1] + coverage < end:
        months.append(end - coverage)
    return months


class EvidenceWriter:
    def __init__(self, org: Org, plan: Plan, rng: np.random.Generator):
        self.org, self.plan, self.rng = org, plan, rng
        self.fw = org.fw
        self.coverage = int(self.fw.rule("evidence_coverage_months"))
        self.rows: list[dict] = []

    def build(self) -> list[dict]:
        for p in self.org.people:
            self._designed(p)
            self._routine(p)
        self.rows.sort(key=lambda r: (r["observed_on"], r["engineer_id"], r["category"]))
        for i, row in enumerate(self.rows, start=1):
            row["evidence_id"] = f"EV{i:06d}"
        return self.rows

    def _designed(self, p: Person) -> None:
        for ep in p.episodes:
            if ep.kind == "above":
                level = int(self.plan.level[p.index, ep.start]) + 1
                for category in ep.categories:
                    for m in evidence_months(ep.start, ep.end, self.coverage):
                        self._add(p, m, category, level, "example", EXAMPLE_CONTEXT)
            elif ep.kind == "concern":
                level = int(self.plan.level[p.index, ep.start])
                self._add(p, ep.start, ep.categories[0], level, "concern", CONCERN_CONTEXT)

    def _routine(self, p: Person) -> None:
        """Notes at the current level, and the odd "not yet" one level up where no episode
        relies on that category being shown above."""
        rng, e = self.rng, p.index
        cats = self.fw.categories
        top = len(self.fw.levels) - 1
        for m in np.nonzero(self.plan.level[e, : self.org.months] >= 0)[0]:
            level = int(self.plan.level[e, m])
            if rng.random() < ROUTINE_NOTE_CHANCE:
                self._add(p, int(m), str(rng.choice(cats)), level, "example", EXAMPLE_CONTEXT)
            if (
                rng.random() < NOT_YET_CHANCE
                and level < top
                and p.archetype in (STEADY, TEAM_LEAD, LEAVER)
            ):
                c = int(rng.integers(0, len(cats)))
                window = self.plan.shown[e, m : m + self.coverage + 1, c]
                if (window <= 0).all():
                    self._add(p, int(m), cats[c], level + 1, "concern", NOT_YET_CONTEXT)

    def _add(
        self, p: Person, m: int, category: str, level: int, kind: str, contexts: tuple[str, ...]
    ) -> None:
        rng = self.rng
        month = self.org.first_month + m
        source = _pick(rng, SOURCES[kind])
        if source == "customer" and category not in CUSTOMER_VISIBLE:
            source = "manager"
        if source == "customer" and kind == "example":
            contexts = CUSTOMER_CONTEXT
        context = str(rng.choice(contexts)).format(month=cal.first_day(month).strftime("%B"))
        label = self._label(level, category)
        summary = (
            f"{label}: {context}" if kind == "example" else f"Concern, {label.lower()}: {context}"
        )
        link = None
        if rng.random() < LINK_CHANCE[kind]:
            link = _link(rng)
        day = 1 + int(rng.integers(0, min(28, cal.days_in(month))))
        observed = max(cal.first_day(month) + dt.timedelta(days=day - 1), p.hire_on)
        if p.left_on is not None:
            observed = min(observed, p.left_on - dt.timedelta(days=1))
        self.rows.append(
            {
                "evidence_id": "",
                "engineer_id": p.engineer_id,
                "observed_on": observed,
                "category": category,
                "level": self.fw.levels[level],
                "kind": kind,
                "summary": summary,
                "link": link,
                "source": source,
                # The manager of the day: someone who moved since was observed by the old one.
                "recorded_by": p.manager_on(observed),
            }
        )

    def _label(self, level: int, category: str) -> str:
        """One of the framework's expectations for that level and category, preferring the
        qualitative ones (the numeric ones are measured, not observed)."""
        labels = self.fw.expectations.get(self.fw.levels[level], {}).get(category, ())
        words = [x for x in labels if not any(ch.isdigit() for ch in x)] or list(labels)
        if not words:
            return f"{category} at {self.fw.levels[level]}"
        return str(self.rng.choice(words))


def decision_rows(org: Org) -> list[dict]:
    rows = [
        {"engineer_id": p.engineer_id, "decided_on": day, "decision": what, "note": note}
        for p in org.people
        for day, what, note in p.decisions
    ]
    return sorted(rows, key=lambda r: (r["decided_on"], r["engineer_id"]))


def leave_rows(org: Org) -> list[dict]:
    rows = [
        {"engineer_id": p.engineer_id, "starts_on": a, "ends_on": b}
        for p in org.people
        for a, b in p.leave
    ]
    return sorted(rows, key=lambda r: (r["starts_on"], r["engineer_id"]))


def _pick(rng: np.random.Generator, weighted: tuple[tuple[str, float], ...]) -> str:
    names = [n for n, _ in weighted]
    weights = np.array([w for _, w in weighted])
    return names[int(rng.choice(len(names), p=weights / weights.sum()))]


def _link(rng: np.random.Generator) -> str:
    kind = int(rng.integers(0, 3))
    number = int(rng.integers(1000, 99999))
    if kind == 0:
        return f"https://example.com/tickets/{number}"
    if kind == 1:
        return f"https://example.com/kb/articles/{number}"
    return f"https://example.com/handbook/merge_requests/{number}"
