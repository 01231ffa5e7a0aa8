"""The demo org's people and their stories: who is hired when, at which level, and what each
engineer's months are designed to show.

Every engineer gets an archetype. The archetype decides a career story in window months
(0 = the first month of data, `end` = end_month) made of episodes: months where some categories
are shown above the current level, months where SLA slips under the bar, concern evidence. The
ticket and evidence generators then produce data that makes the readiness rules reach exactly
that conclusion, so the archetype lists are the truth by construction.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field

import numpy as np
from faker import Faker

from pipelines.demo import calendar as cal
from pipelines.framework import Framework

PROMOTION_READY = "promotion_ready"
NEAR_WINDOW = "near_window"
IN_BAND = "in_band"
AT_RISK = "at_risk"
ONBOARDING = "onboarding"
LEAVER = "leaver"
TEAM_LEAD = "team_lead"
STEADY = "steady"
MANAGER = "manager"

# Share of the engineers each flagged archetype gets (at least two each when the org is big
# enough), in the order slots are handed out.
ARCHETYPE_SHARES = {
    PROMOTION_READY: 0.05,
    NEAR_WINDOW: 0.05,
    IN_BAND: 0.05,
    AT_RISK: 0.05,
    ONBOARDING: 0.05,
    LEAVER: 0.06,
}
# Archetypes whose last months carry the flag: no vacation may thin their samples there.
FLAGGED = (PROMOTION_READY, NEAR_WINDOW, IN_BAND, AT_RISK)

REGIONS = {
    "AMER": (-5, ("en_US", "en_CA", "es_MX", "pt_BR")),
    "EMEA": (1, ("en_GB", "de_DE", "fr_FR", "nl_NL", "pl_PL", "es_ES")),
    "APAC": (9, ("en_AU", "en_IN", "en_NZ", "id_ID")),
}
# Distinct names for 36 teams (360 engineers at ENGINEERS_PER_TEAM); a bigger org repeats them
# with a number ("Harbor 2").
TEAM_NAMES = (
    "Harbor",
    "Summit",
    "Lantern",
    "Meridian",
    "Juniper",
    "Beacon",
    "Cobalt",
    "Tundra",
    "Orchard",
    "Keystone",
    "Willow",
    "Atlas",
    "Aurora",
    "Basalt",
    "Cedar",
    "Delta",
    "Ember",
    "Fjord",
    "Granite",
    "Horizon",
    "Indigo",
    "Jasper",
    "Kestrel",
    "Lagoon",
    "Mistral",
    "Nimbus",
    "Onyx",
    "Prairie",
    "Quarry",
    "Redwood",
    "Sierra",
    "Thistle",
    "Upland",
    "Vantage",
    "Wharf",
    "Zephyr",
)
# About ten engineers a team, as in the orgs Rungs is for (150 engineers: 15 teams).
ENGINEERS_PER_TEAM = 10
# Months of ramp-up after hire, as a share of full volume.
RAMP_UP = (0.3, 0.6, 0.85)
TEAM_LEAD_VOLUME = 0.5
MAX_VACATION_DAYS = 8
# Engineers who changed manager during the history, one entry each: their moves as (months
# before end_month, day of the month), oldest first. The last move brings them to today's
# manager; each earlier one came from another team's manager. Their team in engineers.csv is
# today's: team history is not modelled, only reporting lines (manager_changes.csv).
MOVES = (((7, 16),), ((12, 3),), ((15, 20), (5, 11)))


@dataclass
class Episode:
    """A stretch of window months start..end (inclusive) with a designed outcome.

    kind: "above" (categories shown at the next level), "slip" (SLA under the current bar) or
    "concern" (a concern item at the current level observed in month `start`).
    """

    kind: str
    start: int
    end: int
    categories: tuple[str, ...] = ()


@dataclass
class Person:
    index: int
    engineer_id: str
    name: str
    email: str
    team: str
    region: str
    manager_id: str
    archetype: str
    hire_on: dt.date
    level_changes: list[tuple[dt.date, int]]  # (effective_on, level rank), first = at hire
    team_lead: bool = False
    left_on: dt.date | None = None
    onboarded_on: dt.date | None = None
    monthly_volume: float = 30.0
    open_hours: float = 12.0
    episodes: list[Episode] = field(default_factory=list)
    leave: list[tuple[dt.date, dt.date]] = field(default_factory=list)
    decisions: list[tuple[dt.date, str, str]] = field(default_factory=list)
    # (changed_on, from_manager_id, to_manager_id), oldest first; the last ends at manager_id.
    manager_changes: list[tuple[dt.date, str, str]] = field(default_factory=list)

    def manager_on(self, day: dt.date) -> str:
        """Whom the person reported to on `day`."""
        earlier = [to for on, _, to in self.manager_changes if on <= day]
        if earlier:
            return earlier[-1]
        return self.manager_changes[0][1] if self.manager_changes else self.manager_id


@dataclass
class Manager:
    engineer_id: str
    name: str
    email: str
    team: str
    region: str
    manager_id: str | None
    hire_on: dt.date


@dataclass
class Org:
    fw: Framework
    first_month: int  # month ordinal of window month 0
    months: int  # window months; month index `months` is the partial month after end_month
    extract_at: dt.datetime  # the export's moment: a few days into the month after end_month
    people: list[Person]
    managers: list[Manager]

    @property
    def end(self) -> int:
        return self.months - 1

    def day(self, index: int, day_of_month: int = 1) -> dt.date:
        month = self.first_month + index
        return cal.first_day(month) + dt.timedelta(days=min(day_of_month, cal.days_in(month)) - 1)

    def index_of(self, day: dt.date) -> int:
        return cal.month_of(day) - self.first_month


def slot_order(engineers: int) -> list[str]:
    """Archetype of each slot: one of each flagged archetype first, so small orgs still get
    every story, then the rest up to each share; the remainder are steady performers."""
    quotas = {a: max(2, round(share * engineers)) for a, share in ARCHETYPE_SHARES.items()}
    order = list(ARCHETYPE_SHARES)
    for archetype, quota in quotas.items():
        order += [archetype] * (quota - 1)
    return order


class OrgBuilder:
    """Builds people and stories from one seeded generator, in a fixed order."""

    def __init__(
        self,
        fw: Framework,
        rng: np.random.Generator,
        seed: int,
        first_month: int,
        months: int,
        extract_at: dt.datetime,
    ):
        self.fw = fw
        self.rng = rng
        self.seed = seed
        self.top = len(fw.levels) - 1
        self.onboarding = int(fw.rule("onboarding_months"))
        self.coverage = int(fw.rule("evidence_coverage_months"))
        self.org = Org(fw, first_month, months, extract_at, [], [])
        self.fakers = {
            locale: self._faker(locale) for _, locales in REGIONS.values() for locale in locales
        }
        self.emails: set[str] = set()

    def _faker(self, locale: str) -> Faker:
        fake = Faker(locale)
        fake.seed_instance(self.seed)
        return fake

    # -- people -------------------------------------------------------------------------------

    def build(self, engineers: int) -> Org:
        n_teams = max(len(REGIONS), round(engineers / ENGINEERS_PER_TEAM))
        regions = list(REGIONS)
        teams = [(self._team_name(t), regions[t % len(regions)]) for t in range(n_teams)]
        self.org.managers = self._managers(teams)
        archetypes = self._assign_archetypes(engineers, n_teams)
        for i in range(engineers):
            team, region = teams[i % n_teams]
            name, email = self._identity(region)
            manager = self.org.managers[1 + i % n_teams].engineer_id
            person = self._story(i, archetypes[i], team, region, name, email, manager)
            self.org.people.append(person)
        self._moves(n_teams)
        return self.org

    def _team_name(self, t: int) -> str:
        base = TEAM_NAMES[t % len(TEAM_NAMES)]
        return base if t < len(TEAM_NAMES) else f"{base} {t // len(TEAM_NAMES) + 1}"

    def _managers(self, teams: list[tuple[str, str]]) -> list[Manager]:
        long_ago = self.org.day(-60 - int(self.rng.integers(0, 36)), 1)
        name, email = self._identity("AMER")
        head = Manager("M000", name, email, "Support leadership", "AMER", None, long_ago)
        managers = [head]
        for t, (team, region) in enumerate(teams, start=1):
            name, email = self._identity(region)
            hired = self.org.day(
                -12 - int(self.rng.integers(0, 60)), 1 + int(self.rng.integers(0, 28))
            )
            managers.append(
                Manager(f"M{t:03d}", name, email, team, region, head.engineer_id, hired)
            )
        # The last team's manager reports to the first's (M015 to M001 in the default org), so
        # one manager has reports of reports. There are always at least three teams.
        managers[-1].manager_id = managers[1].engineer_id
        return managers

    def _identity(self, region: str) -> tuple[str, str]:
        locales = REGIONS[region][1]
        fake = self.fakers[locales[int(self.rng.integers(0, len(locales)))]]
        first, last = fake.first_name(), fake.last_name()
        slug = ".".join(_ascii_slug(part) for part in (first, last) if _ascii_slug(part))
        email, n = f"{slug or 'person'}@example.com", 2
        while email in self.emails:
            email, n = f"{slug or 'person'}{n}@example.com", n + 1
        self.emails.add(email)
        return f"{first} {last}", email

    def _assign_archetypes(self, engineers: int, n_teams: int) -> list[str]:
        """Team leads first (one in every other team, at least three), then archetype slots;
        who gets which is a seeded shuffle so stories spread over teams."""
        archetypes = [STEADY] * engineers
        order = [int(i) for i in self.rng.permutation(engineers)]
        wanted_leads = min(n_teams, max(3, n_teams // 2))
        lead_teams = list(range(0, n_teams, 2)) + list(range(1, n_teams, 2))
        for team in lead_teams[:wanted_leads]:
            member = next((i for i in order if i % n_teams == team), None)
            if member is not None:
                archetypes[member] = TEAM_LEAD
                order.remove(member)
        for archetype, i in zip(slot_order(engineers), order, strict=False):
            archetypes[i] = archetype
        return archetypes

    def _moves(self, n_teams: int) -> None:
        """Give the first people who fit (in id order: still here, not a team lead, hired two
        months before their first move) the MOVES. Draws nothing from the generator, so the
        stories, tickets and every other person stay as they were."""
        org, taken = self.org, set()
        for moves in MOVES:
            months = [max(1, org.end - before) for before, _ in moves]
            person = next(
                (
                    p
                    for p in org.people
                    if p.engineer_id not in taken
                    and p.left_on is None
                    and not p.team_lead
                    and org.index_of(p.hire_on) <= months[0] - 2
                ),
                None,
            )
            if person is None:
                return
            taken.add(person.engineer_id)
            team = person.index % n_teams
            # Before the last move they were with the next team's manager, before that with the
            # one after it: never today's manager, as there are at least three teams.
            earlier = [
                org.managers[1 + (team + k) % n_teams].engineer_id for k in range(len(moves), 0, -1)
            ]
            managers = [*earlier, person.manager_id]
            person.manager_changes = [
                (org.day(month, day), managers[k], managers[k + 1])
                for k, (month, (_, day)) in enumerate(zip(months, moves, strict=True))
            ]

    # -- stories ------------------------------------------------------------------------------

    def _story(
        self, i: int, archetype: str, team: str, region: str, name: str, email: str, manager: str
    ) -> Person:
        rng, org = self.rng, self.org
        end = org.end
        person = Person(
            i,
            f"E{i + 1:04d}",
            name,
            email,
            team,
            region,
            manager,
            archetype,
            hire_on=org.day(0),
            level_changes=[],
        )
        nth = sum(p.archetype == archetype for p in org.people)
        if archetype == PROMOTION_READY:
            level = self._pick_level((0.2, 0.45, 0.35), below_top=True)
            start = end - int(rng.integers(18, 31))
            self._settle_at(person, level, start)
            months_next = 3 + nth % 2
            person.episodes.append(Episode("above", end - months_next + 1, end, self.fw.categories))
            if nth == 0:
                person.decisions.append(
                    (
                        org.day(end, 12),
                        "deferred",
                        "Case is ready; deferred to the next promotion cycle",
                    )
                )
        elif archetype == NEAR_WINDOW:
            level = self._pick_level((0.3, 0.4, 0.3), below_top=True)
            if nth % 2 == 0 or level == 0:
                # Long at level, showing the next one for the last two months.
                self._settle_at(person, level, end - int(rng.integers(18, 31)))
                person.episodes.append(Episode("above", end - 1, end, self.fw.categories))
            else:
                # Promoted ten months ago; first month at the next level is end_month.
                self._promoted_into(person, level, end - 10)
                person.episodes.append(Episode("above", end, end, self.fw.categories))
        elif archetype == IN_BAND:
            level = self._pick_level((0.3, 0.4, 0.3), below_top=True)
            self._settle_at(person, level, end - int(rng.integers(20, 40)))
            pair = tuple(str(c) for c in rng.choice(self.fw.categories, 2, replace=False))
            lookback = int(rng.integers(6, 10))
            person.episodes.append(Episode("above", end - lookback + 1, end, pair))
        elif archetype == AT_RISK:
            level = self._pick_level((0.0, 0.6, 0.4), below_top=False)
            self._settle_at(person, level, end - int(rng.integers(15, 40)))
            if nth % 2 == 0:
                person.episodes.append(Episode("slip", end - int(rng.integers(1, 3)), end))
            else:
                month = end - 1 - int(rng.integers(0, max(1, self.coverage)))
                category = str(rng.choice(self.fw.categories))
                person.episodes.append(Episode("concern", month, month, (category,)))
        elif archetype == ONBOARDING:
            level = 0 if rng.random() < 0.75 else 1
            hire = org.day(end - nth % self.onboarding, 1 + int(rng.integers(0, 20)))
            person.hire_on = hire
            person.level_changes = [(hire, level)]
        elif archetype == LEAVER:
            last = end - int(rng.integers(3, min(24, org.months - 4) + 1))
            level = self._pick_level((0.35, 0.4, 0.25), below_top=False)
            self._settle_at(person, level, last - int(rng.integers(10, 50)))
            person.left_on = org.day(last, 1 + int(rng.integers(0, 28)))
            self._history(person)
        elif archetype == TEAM_LEAD:
            person.team_lead = True
            level = min(self.top, 2 + int(rng.random() < 0.4))
            if rng.random() < 0.4:
                self._promoted_into(person, level, end - int(rng.integers(14, 40)))
            else:
                self._settle_at(person, level, end - int(rng.integers(24, 90)))
            self._history(person)
        else:
            level = self._pick_level((0.15, 0.25, 0.3, 0.2, 0.1), below_top=False)
            self._settle_at(person, level, end - int(rng.integers(self.onboarding + 3, 80)))
            if nth == 0:
                # An internal transfer: knows the product, so onboarding is cut to a month.
                person.onboarded_on = cal.add_months(person.hire_on, 1)
            self._history(person)
        self._traits(person)
        self._vacations(person)
        return person

    def _pick_level(self, weights: tuple[float, ...], below_top: bool) -> int:
        top = self.top - 1 if below_top else self.top
        ranks = np.arange(min(len(weights), top + 1))
        p = np.asarray(weights[: len(ranks)], dtype=float)
        if p.sum() == 0:
            return int(ranks[-1])
        return int(self.rng.choice(ranks, p=p / p.sum()))

    def _settle_at(self, person: Person, level: int, since: int) -> None:
        """At `level` since window month `since`: hired there, or promoted into it then."""
        if level > 0 and self.rng.random() < 0.5:
            self._promoted_into(person, level, since)
        else:
            person.hire_on = self.org.day(since, 1 + int(self.rng.integers(0, 28)))
            person.level_changes = [(person.hire_on, level)]

    def _promoted_into(self, person: Person, level: int, month: int) -> None:
        """Hired a level lower, then promoted on the first of `month` after showing the next
        level for the months before it (the story that leads to a promotion)."""
        org, rng = self.org, self.rng
        level = max(level, 1)
        hired = month - int(rng.integers(self.onboarding + 16, self.onboarding + 36))
        person.hire_on = org.day(hired, 1 + int(rng.integers(0, 28)))
        effective = org.day(month, 1)
        person.level_changes = [(person.hire_on, level - 1), (effective, level)]
        ready_from = month - 4
        if ready_from >= 0:
            person.episodes.append(Episode("above", ready_from, month - 1, self.fw.categories))
            if rng.random() < 0.3:
                person.decisions.append(
                    (
                        org.day(month - 3, 1 + int(rng.integers(5, 25))),
                        "deferred",
                        "Strong case; waiting for the next cycle",
                    )
                )
        decided = effective - dt.timedelta(days=int(rng.integers(5, 25)))
        person.decisions.append(
            (decided, "promotion", f"Promoted to {self.fw.levels[level]} after calibration")
        )

    def _history(self, person: Person) -> None:
        """Past texture for people without a flag at end_month: an in-band raise earned the
        usual way, a concern that was worked through, single-category stretches above level,
        a long leave. All of it ends well before end_month so no flag leaks into it."""
        rng, org = self.rng, self.org
        settled = org.index_of(person.level_changes[-1][0]) + 1
        first_eligible = max(org.index_of(person.hire_on) + self.onboarding + 1, settled, 0)
        last = org.end if person.left_on is None else org.index_of(person.left_on) - 1
        quiet_until = min(last, org.end - 9)
        level = person.level_changes[-1][1]
        if level < self.top and rng.random() < 0.25 and first_eligible + 12 <= quiet_until:
            raise_month = int(rng.integers(first_eligible + 12, quiet_until + 1))
            pair = tuple(str(c) for c in rng.choice(self.fw.categories, 2, replace=False))
            self._add(person, Episode("above", raise_month - 6, raise_month - 1, pair))
            person.decisions.append(
                (
                    org.day(raise_month, 1 + int(rng.integers(0, 25))),
                    "in_band_raise",
                    f"Raise within band for sustained work above level in {pair[0]} and {pair[1]}",
                )
            )
        if rng.random() < 0.15 and first_eligible <= quiet_until - 3:
            month = int(rng.integers(first_eligible, quiet_until - 2))
            self._add(
                person, Episode("concern", month, month, (str(rng.choice(self.fw.categories)),))
            )
        if level < self.top and rng.random() < 0.5 and first_eligible < last - 3:
            category = str(rng.choice(self.fw.categories))
            month = first_eligible + int(rng.integers(0, 6))
            while month + self.coverage <= last:
                self._add(person, Episode("above", month, month + self.coverage, (category,)))
                month += self.coverage + int(rng.integers(6, 12))
        if rng.random() < 0.08 and first_eligible <= quiet_until - 3:
            start = int(rng.integers(first_eligible, quiet_until - 2))
            length = int(rng.integers(1, 4))
            if self._free(person, start, start + length - 1):
                person.leave.append(
                    (org.day(start, 1), org.day(start + length, 1) - dt.timedelta(days=1))
                )

    def _free(self, person: Person, start: int, end: int) -> bool:
        return all(e.end < start or e.start > end for e in person.episodes) and all(
            self.org.index_of(b) < start or self.org.index_of(a) > end for a, b in person.leave
        )

    def _add(self, person: Person, episode: Episode) -> None:
        """Adds a past episode unless it overlaps another or straddles a level change."""
        end = episode.end + (self.coverage if episode.kind == "concern" else 0)
        changes = [self.org.index_of(d) for d, _ in person.level_changes[1:]]
        if (
            episode.start >= 0
            and self._free(person, episode.start, end)
            and not any(episode.start < c <= end for c in changes)
        ):
            person.episodes.append(episode)

    def _traits(self, person: Person) -> None:
        rng = self.rng
        person.monthly_volume = float(rng.uniform(25, 35)) * (
            TEAM_LEAD_VOLUME if person.team_lead else 1.0
        )
        # Faster resolution with seniority; kept well inside the framework's open-time bar.
        level = person.level_changes[-1][1]
        person.open_hours = (13.0, 12.0, 11.0, 10.0, 9.0)[min(level, 4)] * float(
            rng.uniform(0.9, 1.05)
        )

    def _vacations(self, person: Person) -> None:
        """One or two short breaks a year, never in months an episode depends on."""
        rng, org = self.rng, self.org
        start = max(0, org.index_of(person.hire_on) + 1)
        stop = org.end if person.left_on is None else org.index_of(person.left_on) - 1
        if person.archetype in FLAGGED:
            stop = min(stop, org.end - 10)
        for month in range(start, stop + 1):
            if rng.random() < 0.12 and self._free(person, month, month):
                days = int(rng.integers(4, MAX_VACATION_DAYS + 1))
                first = org.day(
                    month, 1 + int(rng.integers(0, cal.days_in(org.first_month + month) - days))
                )
                person.leave.append((first, first + dt.timedelta(days=days - 1)))


def _ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())
