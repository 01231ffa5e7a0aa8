"""The questions pages ask the warehouse: one named SQL file per question, run with named
parameters.

Nothing here decides anything: the pipeline computed every number and flag (levels held and
since when from level_stints, judged months and tenure from assessed_months, the bar applied
to each person from bar_checks, flags and last raise from readiness). These functions only
pick the rows a page shows. Each runs `sql/<name>.sql` through `_run`, binding `$name`
parameters; no function takes SQL text or a fragment of it.

Filters pick people by their attributes at the as-of month (team, region, manager, and the
level they held at its end), and every trend follows those people. That choice is
`sql/roster.sql`, the one definition of "who is in view": a query that lists people reads the
CTE `roster`, which `_run` puts in front of it when called with the filters.

Who may be in view at all is the viewer's scope (pipelines.access), carried by the Warehouse
handle of the run. `_run` is where it is enforced, for every query by the kind ACCESS gives it:
the roster binds the scope, a question about named people is refused for anyone outside it, the
build's own records are for viewers who see everyone, and a query with no kind does not run.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass, field
from datetime import date
from enum import Enum, StrEnum
from pathlib import Path

import pandas as pd

from pipelines.access import Scope
from rungs_ui.warehouse import Warehouse, query

SQL_DIR = Path(__file__).resolve().parent / "sql"
# The file every query that lists people goes through, as the CTE of the same name.
ROSTER = "roster"


@dataclass(frozen=True)
class Filters:
    """The sidebar's selection: the as-of month and who is in view (empty = everyone)."""

    month: date
    teams: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    managers: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()

    def parameters(self) -> dict[str, object]:
        """The parameters of sql/roster.sql."""
        return {
            "month": self.month,
            "teams": list(self.teams),
            "regions": list(self.regions),
            "managers": list(self.managers),
            "levels": list(self.levels),
        }


class Flag(StrEnum):
    """Which readiness rows `readiness_at` keeps; the value is tested in readiness_at.sql."""

    ANY = "any"
    PROMOTION_READY = "promotion_ready"
    NEAR_WINDOW = "near_window"
    READY_OR_NEAR = "ready_or_near"
    IN_BAND = "in_band"
    AT_RISK = "at_risk"


@dataclass(frozen=True)
class FrameworkView:
    """The framework the build used, as the build wrote it. The rank helpers order levels for
    display; every comparison of levels that decides something happens in the pipeline."""

    levels: tuple[str, ...]
    categories: tuple[str, ...]
    bars: pd.DataFrame = field(repr=False)
    expectations: pd.DataFrame = field(repr=False)
    settings: pd.DataFrame = field(repr=False)

    def rank(self, level: object) -> int:
        """Framework rank of a level (0 = first, as framework_levels.rank); -1 for anything
        below the first ("below IC1", missing)."""
        return self.levels.index(level) if level in self.levels else -1

    def next_level(self, level: str) -> str | None:
        i = self.rank(level)
        return self.levels[i + 1] if 0 <= i < len(self.levels) - 1 else None

    def setting(self, name: str) -> float:
        row = self.settings.loc[self.settings["name"] == name, "value"]
        if row.empty:
            raise KeyError(f"framework_settings has no {name!r}; rebuild the warehouse")
        return float(row.iloc[0])

    def bars_for_metric(self, metric: str) -> pd.DataFrame:
        return self.bars.loc[self.bars["metric"] == metric].reset_index(drop=True)


class Access(Enum):
    """What a query may show, and so what `_run` checks before running it."""

    PUBLIC = "no people in it: the framework, the build's date, the months"
    WHOLE_ORG = "the build's records of every input row: for viewers who see everyone"
    ROSTER = "people through the roster, which binds the viewer's scope"
    PERSON = "named people ($engineer_id / $engineer_ids): each must be in the viewer's scope"
    SCOPE = "the scope itself, for the query layer's own use (never shown)"


ACCESS: dict[str, Access] = {
    **dict.fromkeys(
        (
            "as_of_months",
            "build",
            "framework_bars",
            "framework_categories",
            "framework_expectations",
            "framework_levels",
            "framework_settings",
        ),
        Access.PUBLIC,
    ),
    **dict.fromkeys(("builds", "build_files", "rejected_rows"), Access.WHOLE_ORG),
    "names_outside_view": Access.SCOPE,
    **dict.fromkeys(
        (
            "attainment_at",
            "attainment_months",
            "evidence_coverage",
            "evidence_per_manager",
            "evidence_search",
            "level_distribution",
            "managers",
            "not_judged_at",
            "people_in_view",
            "readiness_at",
            "regions",
            "still_short_in",
            "team_kpis",
            "team_level_mix",
            "team_measures",
            "team_people",
            "team_trends",
            "teams",
        ),
        Access.ROSTER,
    ),
    **dict.fromkeys(
        (
            "engineer_attainment",
            "engineer_bar_checks",
            "engineer_csat",
            "engineer_decisions",
            "engineer_evidence",
            "engineer_months_judged",
            "engineer_readiness",
            "engineer_stints",
            "trajectories",
        ),
        Access.PERSON,
    ),
}


class OutOfScope(PermissionError):
    """A page asked about someone the viewer may not see, or for what only some roles see."""


class Unscoped(RuntimeError):
    """A query about people ran on a Warehouse handle that carries no viewer's scope: a bug."""


def scope_of(wh: Warehouse) -> Scope:
    if wh.scope is None:
        raise Unscoped("this warehouse handle carries no viewer's scope; use wh.scoped(scope)")
    return wh.scope


def _check_access(wh: Warehouse, name: str, params: dict[str, object]) -> dict[str, object]:
    """Refuse what the viewer may not see; the scope parameters a roster query binds."""
    kind = ACCESS.get(name)
    if kind is None:
        raise Unscoped(f"{name}.sql has no entry in ACCESS, so nobody may run it")
    if kind is Access.PUBLIC:
        return {}
    scope = scope_of(wh)
    if kind is Access.WHOLE_ORG and not scope.everyone:
        raise OutOfScope(f"{name}: only for viewers who see everyone")
    if kind is Access.PERSON:
        asked = params.get("engineer_ids", [params.get("engineer_id")])
        outside = [p for p in asked if not scope.allows(p)]
        if outside:
            raise OutOfScope(f"{name}: {len(outside)} of the people asked about are not in view")
    # The roster binds these; a query about named people may too (to hide who recorded
    # something when that is someone the viewer may not see).
    return {
        "scope_all": scope.everyone,
        "scope_people": sorted(scope.people),
        "own_managers": sorted(scope.own_managers),
    }


# --- the loader -----------------------------------------------------------------------------

_LEADING_COMMENTS = re.compile(r"\A(?:[ \t]*(?:--[^\n]*)?\n)*")
_PARAMETER = re.compile(r"\$([a-z_][a-z0-9_]*)")


# Shared CTEs (sql/<cte>.sql) put in front of the queries that read them, after the roster:
# one definition of a person's own bar for the team ranking and the team's people.
FRAGMENTS: dict[str, tuple[str, ...]] = {
    "team_measures": ("own_bars",),
    "team_people": ("own_bars",),
}


def _cte_body(name: str) -> str:
    """sql/<name>.sql without its leading comments, to sit inside `name as (...)`."""
    text = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    return _LEADING_COMMENTS.sub("", text, count=1).strip()


@functools.cache
def _statement(name: str, through_roster: bool) -> tuple[str, frozenset[str]]:
    """sql/<name>.sql (with the roster CTE in front when `through_roster`) and the names of the
    parameters it binds. Read once per process."""
    text = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    fronted = ((ROSTER,) if through_roster else ()) + FRAGMENTS.get(name, ())
    if fronted:
        header = _LEADING_COMMENTS.match(text).group(0)
        body = text[len(header) :]
        ctes = ",\n".join(f"{cte} as (\n{_cte_body(cte)}\n)" for cte in fronted)
        # The query's own CTEs follow these in the same WITH.
        own_ctes = re.match(r"with\b", body, flags=re.IGNORECASE)
        text = (
            f"{header}with {ctes},{body[own_ctes.end() :]}"
            if own_ctes
            else f"{header}with {ctes}\n{body}"
        )
    without_comments = re.sub(r"--[^\n]*", "", text)
    return text, frozenset(_PARAMETER.findall(without_comments))


def _run(wh: Warehouse, name: str, people: Filters | None = None, /, **params) -> pd.DataFrame:
    """Run sql/<name>.sql on `wh` with `params` bound by name. With `people`, the query reads
    the CTE `roster` (sql/roster.sql), bound to those filters (its `$month` is theirs)."""
    if (people is not None) != (ACCESS.get(name) is Access.ROSTER):
        raise Unscoped(f"{name}.sql: a query reads the roster exactly when ACCESS says ROSTER")
    sql, names = _statement(name, people is not None)
    scope_params = {k: v for k, v in _check_access(wh, name, params).items() if k in names}
    given = {**(people.parameters() if people is not None else {}), **scope_params}
    shared = set(params) & set(given)
    if shared:
        raise TypeError(f"{name}.sql: {sorted(shared)} come from the filters and the scope")
    params = {**given, **params}
    if set(params) != names:
        raise TypeError(
            f"{name}.sql binds {sorted(names)}; given {sorted(params)} "
            f"(missing {sorted(names - set(params))}, unknown {sorted(set(params) - names)})"
        )
    return query(wh, sql, params)


# --- the build and the framework ------------------------------------------------------------


def framework(wh: Warehouse) -> FrameworkView:
    return FrameworkView(
        levels=tuple(_run(wh, "framework_levels")["level"]),
        categories=tuple(_run(wh, "framework_categories")["category"]),
        bars=_run(wh, "framework_bars"),
        expectations=_run(wh, "framework_expectations"),
        settings=_run(wh, "framework_settings"),
    )


def latest_build(wh: Warehouse) -> dict:
    """The record of the build `wh` has open."""
    return _run(wh, "build", build_id=wh.build_id).to_dict("records")[0]


def builds(wh: Warehouse) -> pd.DataFrame:
    return _run(wh, "builds")


def build_files(wh: Warehouse, build_id: str) -> pd.DataFrame:
    return _run(wh, "build_files", build_id=build_id)


def rejected_rows(wh: Warehouse, build_id: str) -> pd.DataFrame:
    return _run(wh, "rejected_rows", build_id=build_id)


def as_of_months(wh: Warehouse) -> list[date]:
    """Months a view can be set to, newest first: the months the readiness engine judged."""
    return [pd.Timestamp(m).date() for m in _run(wh, "as_of_months")["month"]]


def build_as_of(wh: Warehouse) -> date | None:
    value = latest_build(wh).get("as_of_month")
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def filter_options(wh: Warehouse, month: date) -> dict[str, pd.DataFrame]:
    """The sidebar's choices: the teams, regions and managers of the people the viewer may see
    at the month (managers only when they are in view themselves)."""
    everyone_then = Filters(month=month)
    return {
        "teams": _run(wh, "teams", everyone_then),
        "regions": _run(wh, "regions", everyone_then),
        "managers": _run(wh, "managers", everyone_then),
    }


# --- the people in view ---------------------------------------------------------------------


def _at(f: Filters, month: date | None) -> Filters:
    return f if month is None else dataclasses.replace(f, month=month)


def roster(wh: Warehouse, f: Filters, month: date | None = None) -> pd.DataFrame:
    """The people in view at the month (the filters' unless given), by name: team, region,
    manager, team_lead, the level held at the month's end, level_since (when that stint began)
    and whole_months_at_level (assessed_months)."""
    return _run(wh, "people_in_view", _at(f, month))


def team_kpis(wh: Warehouse, f: Filters, month: date) -> dict:
    """Headline numbers for one month over the people in view then: headcount,
    sla_adherence, median_open_hours, csat (None when nobody was rated) with csat_sample, and
    the flag counts ready, near, in_band, at_risk."""
    return _run(wh, "team_kpis", _at(f, month)).to_dict("records")[0]


def team_measures(wh: Warehouse, f: Filters) -> pd.DataFrame:
    """One row per team in view at the month, the team that needs attention first
    (attention_rank 1: furthest below the bars of its own people): headcount, sla_adherence and
    sla_sample, sla_expected (its people's own SLA bars weighted by their SLA tickets) and
    sla_gap, median_open_hours and open_time_gap (the middle of each person's open time less
    their own bar), how many are below their own bar (below_sla_bar, below_open_time_bar,
    below_own_bar), csat and csat_sample, tickets_solved and the flag counts ready, near,
    in_band, at_risk. See sql/team_measures.sql."""
    return _run(wh, "team_measures", f)


def team_level_mix(wh: Warehouse, f: Filters) -> pd.DataFrame:
    """team, level, level_rank, engineers: how many in view hold each level, per team."""
    return _run(wh, "team_level_mix", f)


def team_people(wh: Warehouse, f: Filters) -> pd.DataFrame:
    """The people in view (narrow `f` to a team for its people) with their SLA and open time
    against their own bar on each (sla_bar, below_sla_bar, open_time_bar,
    below_open_time_bar), those below a bar first."""
    return _run(wh, "team_people", f)


def level_distribution(wh: Warehouse, f: Filters) -> pd.DataFrame:
    """level, engineers: how many in view hold each level, in framework order."""
    return _run(wh, "level_distribution", f)


def team_trends(wh: Warehouse, f: Filters, months: int) -> pd.DataFrame:
    """SLA adherence (with sla_expected and sla_gap against the team's own bars, as in
    team_measures) and median open time per team and month, over the people in view."""
    return _run(wh, "team_trends", f, months=months)


def readiness_at(wh: Warehouse, f: Filters, flag: Flag = Flag.ANY) -> pd.DataFrame:
    """Readiness rows of the people in view at the as-of month that carry `flag`, closest to
    the next level first; with the person's name, team, region, manager and team_lead."""
    return _run(wh, "readiness_at", f, flag=Flag(flag).value, min_team_people=_min_team_people(wh))


def attainment_at(wh: Warehouse, f: Filters) -> pd.DataFrame:
    """Demonstrated level and status per category for the people in view at the as-of month."""
    return _run(wh, "attainment_at", f)


def attainment_months(wh: Warehouse, f: Filters, months: int) -> pd.DataFrame:
    """engineer_id, month, category, current_level, demonstrated_level, status and
    not_judged_because of the people in view over the `months` months up to the as-of month."""
    return _run(wh, "attainment_months", f, months=months)


def not_judged_at(wh: Warehouse, f: Filters) -> pd.DataFrame:
    """The people in view at the as-of month without a readiness row for it (engineer_id, name,
    team, manager_id, manager_name, level), with not_judged_because and onboarding_ends_on
    from assessed_months."""
    return _run(wh, "not_judged_at", f)


def still_short_in(wh: Warehouse, f: Filters) -> pd.DataFrame:
    """engineer_id, next_level, still_short_in: the categories (framework order, comma
    separated; NULL when none) where each person in view below the top level demonstrated
    less than the next level at the as-of month."""
    return _run(wh, "still_short_in", f)


def trajectories(wh: Warehouse, engineer_ids: list[str], month: date, months: int) -> pd.DataFrame:
    """Monthly SLA adherence, sample, judged and not_judged_because of the given people over
    `months` months to `month`, as the rule judged each month."""
    return _run(wh, "trajectories", engineer_ids=list(engineer_ids), month=month, months=months)


# --- evidence -------------------------------------------------------------------------------


def evidence_coverage(wh: Warehouse, f: Filters) -> pd.DataFrame:
    """Months since each person's latest example per category at (or above) their level and
    at (or above) the next, as of the month. NULL when there is none."""
    return _run(wh, "evidence_coverage", f)


def evidence_per_manager(wh: Warehouse, f: Filters, months: int) -> pd.DataFrame:
    """Evidence items per engineer over the last `months` months, per manager and per team."""
    return _run(wh, "evidence_per_manager", f, months=months)


def evidence_search(wh: Warehouse, f: Filters, text: str, limit: int = 500) -> pd.DataFrame:
    """Evidence about the people in view up to the month whose summary, name, category or
    source contains `text` (any case), newest first, at most `limit` items."""
    found = _run(wh, "evidence_search", f, text=text, max_rows=limit)
    return _scrubbed(wh, found, "summary", "link", "source", "recorded_by")


# --- one engineer ---------------------------------------------------------------------------


def engineer_months_judged(
    wh: Warehouse, engineer_id: str, month: date, months: int
) -> pd.DataFrame:
    """assessed_months rows of one engineer over the last `months` months up to `month`."""
    return _run(
        wh,
        "engineer_months_judged",
        engineer_id=engineer_id,
        month=month,
        months=months,
        min_team_people=_min_team_people(wh),
    )


def engineer_bar_checks(
    wh: Warehouse, engineer_id: str, metric: str, month: date, months: int
) -> pd.DataFrame:
    """bar_checks rows of one engineer for `metric` over the last `months` months up to
    `month`: month, bar_level, bar_rank, category, metric, op, framework_value, bar_value,
    adjustment, observed, sample, judged, not_judged_because, meets."""
    return _run(
        wh,
        "engineer_bar_checks",
        engineer_id=engineer_id,
        metric=metric,
        month=month,
        months=months,
        min_team_people=_min_team_people(wh),
    )


def engineer_csat(wh: Warehouse, engineer_id: str, month: date, months: int) -> dict:
    """csat_good, csat_bad, csat_sample and csat (good over good + bad; None without ratings)
    of one engineer over the last `months` months up to `month`."""
    row = _run(wh, "engineer_csat", engineer_id=engineer_id, month=month, months=months)
    return row.to_dict("records")[0]


def engineer_stints(wh: Warehouse, engineer_id: str, month: date) -> pd.DataFrame:
    """level_stints rows of one engineer begun by the end of `month`, oldest first; a stint
    still running then has no end."""
    return _run(wh, "engineer_stints", engineer_id=engineer_id, month=month)


def engineer_readiness(wh: Warehouse, engineer_id: str, month: date) -> pd.DataFrame:
    """readiness rows of one engineer up to `month`, oldest first."""
    return _run(
        wh,
        "engineer_readiness",
        engineer_id=engineer_id,
        month=month,
        min_team_people=_min_team_people(wh),
    )


def engineer_attainment(wh: Warehouse, engineer_id: str, month: date, months: int) -> pd.DataFrame:
    """category_attainment rows of one engineer over the last `months` months up to `month`,
    by month and framework category."""
    return _run(
        wh,
        "engineer_attainment",
        engineer_id=engineer_id,
        month=month,
        months=months,
        min_team_people=_min_team_people(wh),
    )


HIDDEN_NAME = "someone outside your view"


def _scrubbed(wh: Warehouse, df: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """`df` with the names, emails and ids of people outside the viewer's scope blanked out
    of free-text `columns` (a summary or note may mention a colleague; an item may have been
    recorded by a mover's former manager)."""
    if scope_of(wh).everyone or df.empty:
        return df
    names = tuple(_run(wh, "names_outside_view")["name"])
    if not names:
        return df
    pattern = _any_of(names)
    out = df.copy()
    for column in columns:
        out[column] = out[column].map(
            lambda v: pattern.sub(HIDDEN_NAME, v) if isinstance(v, str) else v
        )
    return out


def scrubbed_of_outsiders(wh: Warehouse, df: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Rows read elsewhere (the journal's entries, not yet in a build) scrubbed exactly as
    the evidence queries scrub theirs, so one rule decides whom a viewer may read about."""
    return _scrubbed(wh, df, *columns)


@functools.lru_cache(maxsize=64)
def _any_of(names: tuple[str, ...]) -> re.Pattern:
    """One pattern matching any of `names` as a whole word, longest first (so "Ann Lee-Park"
    wins over "Ann Lee"); compiled once per viewer's set, not on every rerun."""
    longest_first = sorted(names, key=len, reverse=True)
    return re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(n) for n in longest_first) + r")(?!\w)",
        re.IGNORECASE,
    )


def _min_team_people(wh: Warehouse) -> int:
    """The fewest people a team median may be over to be shown: the team holds people the
    viewer may not see, so a median over a handful of them would say too much about them."""
    scope = scope_of(wh)
    return 0 if scope.everyone else scope.min_aggregate_people


def engineer_evidence(wh: Warehouse, engineer_id: str, month: date) -> pd.DataFrame:
    """Evidence about one engineer up to the end of `month`, newest first."""
    evidence = _run(wh, "engineer_evidence", engineer_id=engineer_id, month=month)
    return _scrubbed(wh, evidence, "summary", "link", "source", "recorded_by")


def engineer_decisions(wh: Warehouse, engineer_id: str, month: date) -> pd.DataFrame:
    """decided_on, decision, note, origin (file or 'app') and recorded_by of one engineer's
    decisions up to the end of `month`, newest first."""
    decisions = _run(wh, "engineer_decisions", engineer_id=engineer_id, month=month)
    return _scrubbed(wh, decisions, "note", "recorded_by")
