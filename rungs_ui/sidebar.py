"""The shared sidebar: as-of month and the team / region / manager / level filters.

dashboard.py draws it on every run, before the page, so its widgets live as long as the session
and survive page switches; each is bound to a URL query parameter so a view can be shared as a
link. Values that a new build no longer offers are dropped rather than raising.
"""

from __future__ import annotations

import os
from datetime import date

import pandas as pd
import streamlit as st

from pipelines.refresh import describe_age
from rungs_ui import identity, page, queries, state
from rungs_ui.queries import Filters
from rungs_ui.warehouse import (
    DEFAULT_WAREHOUSE,
    Warehouse,
    WarehouseUnavailable,
    build_command,
)

# A build older than this many hours is flagged on every page: a daily refresh plus the slack
# of one late run.
STALE_ENV = "RUNGS_STALE_AFTER_HOURS"
STALE_AFTER_HOURS = 36.0


def _keep_known(key: str, options: list, many: bool) -> None:
    """Drop a remembered value the current options no longer contain (e.g. after a rebuild)."""
    if key not in st.session_state:
        return
    value = st.session_state[key]
    if many:
        kept = [v for v in (value or []) if v in options]
        if kept != value:
            st.session_state[key] = kept
    elif value not in options:
        del st.session_state[key]


def _no_months(wh: Warehouse) -> WarehouseUnavailable:
    """Why nothing was judged, and what to do: a build of the user's own exports that judged no
    month most often holds a single month, which is the month in progress at its newest
    ticket and so not judged; the demo's command is advice only for a warehouse without data."""
    build = queries.latest_build(wh)
    loaded = int(build.get("rows_loaded") or 0)
    as_of = build.get("as_of_month")
    if loaded and as_of:
        return WarehouseUnavailable(
            f"The last build loaded {loaded:,} rows but judged no month: the newest whole "
            f"month before its newest ticket is {as_of}, and nobody has a month judged by then.",
            "Export a longer history (a month is judged once a later ticket shows it has ended), "
            "or rebuild naming the month to judge, e.g. `python -m pipelines build … "
            "--as-of YYYY-MM`.",
        )
    return WarehouseUnavailable(
        "The warehouse holds no months of metrics yet.",
        f"Load tickets or monthly metrics and rebuild with `{build_command(wh.path)}`.",
    )


def _month_labels(wh: Warehouse) -> tuple[list[str], str]:
    """The as-of months offered (newest first) and the default one."""
    months = queries.as_of_months(wh)
    if not months:
        raise _no_months(wh)
    labels = [m.strftime("%Y-%m") for m in months]
    built = queries.build_as_of(wh)
    default = built.strftime("%Y-%m") if built and built.strftime("%Y-%m") in labels else labels[0]
    return labels, default


def chosen_month(wh: Warehouse) -> date:
    """The as-of month this run will show, known before the sidebar is drawn: who a viewer may
    see depends on it (a move between managers moves visibility with it)."""
    labels, default = _month_labels(wh)
    wanted = st.session_state.get(state.MONTH) or st.query_params.get(state.MONTH)
    return pd.Timestamp((wanted if wanted in labels else default) + "-01").date()


def render(
    wh: Warehouse,
    fw: queries.FrameworkView,
    people_filters: bool = True,
) -> Filters:
    """Draw the Anonymise toggle and the filters, set the run's identity.Identity (how people
    are shown) and return what the filters select. Without `people_filters` (a viewer who sees
    only themselves) only the as-of month is offered."""
    labels, default = _month_labels(wh)
    month_now = chosen_month(wh)
    options = queries.filter_options(wh, month_now)
    teams = options["teams"]["team"].tolist()
    regions = options["regions"]["region"].tolist()
    managers = options["managers"]
    manager_ids = managers["manager_id"].tolist()
    levels = list(fw.levels)

    _keep_known(state.MONTH, labels, many=False)
    for key, values in (
        (state.TEAMS, teams),
        (state.REGIONS, regions),
        (state.MANAGERS, manager_ids),
        (state.LEVELS, levels),
    ):
        _keep_known(key, values, many=True)

    bar = st.sidebar
    hide = bar.toggle(
        "Anonymise",
        key=state.ANONYMISE,
        bind="query-params",
        help="For a shared screen: on every page, people and managers become stable letters, "
        "evidence ids neutral items, dates months and tenure a range.",
    )
    who = _identity(queries.roster(wh, Filters(month=month_now)), managers, wh.build_id, hide)
    who.link_params = identity.view_params(st.query_params)
    identity.set_current(who)
    month = bar.selectbox(
        "As-of month",
        labels,
        index=labels.index(default),
        key=state.MONTH,
        bind="query-params",
        help="Flags and levels as they stood at the end of this month. The default is the "
        "latest month the last build could judge.",
    )
    if not people_filters:
        _show_freshness(bar, wh)
        return Filters(month=pd.Timestamp(month + "-01").date())
    picked_teams = bar.multiselect(
        "Team", teams, key=state.TEAMS, bind="query-params", placeholder="All teams"
    )
    picked_regions = bar.multiselect(
        "Region", regions, key=state.REGIONS, bind="query-params", placeholder="All regions"
    )
    _managers_from_url(manager_ids)
    picked_managers = bar.multiselect(
        "Manager",
        manager_ids,
        key=state.MANAGERS,
        format_func=who.manager,
        placeholder="All managers",
        on_change=_managers_to_url,
    )
    # Kept in the URL by hand, by id: a widget bound to the URL writes the label it shows,
    # which is a name (or a letter that changes meaning when Anonymise is switched).
    if picked_managers:
        st.query_params[state.MANAGERS] = picked_managers
    elif state.MANAGERS in st.query_params:
        del st.query_params[state.MANAGERS]
    picked_levels = bar.multiselect(
        "Level",
        levels,
        key=state.LEVELS,
        bind="query-params",
        placeholder="All levels",
        help="The level each person held in the as-of month.",
    )
    _show_freshness(bar, wh)
    return Filters(
        month=pd.Timestamp(month + "-01").date(),
        teams=tuple(picked_teams),
        regions=tuple(picked_regions),
        managers=tuple(picked_managers),
        levels=tuple(picked_levels),
    )


# Keyed on the rows it is built from (everyone the viewer may see that month, the managers) and
# the build: the same people are shown the same way on every run, and each run gets its own copy.
@st.cache_data(max_entries=64, show_spinner=False)
def _identity(
    roster: pd.DataFrame, managers: pd.DataFrame, build_id: str, anonymised: bool
) -> identity.Identity:
    return identity.Identity.build(roster, managers, build_id, anonymised)


def _managers_from_url(manager_ids: list[str]) -> None:
    """A link, reload or Back names managers by id: those the URL holds win over the session."""
    linked = [m for m in st.query_params.get_all(state.MANAGERS) if m in manager_ids]
    if linked and linked != st.session_state.get(state.MANAGERS):
        st.session_state[state.MANAGERS] = linked


def _managers_to_url() -> None:
    # Runs before the script, so the URL already names the new choice when it is read.
    st.query_params[state.MANAGERS] = st.session_state.get(state.MANAGERS) or []


def _show_freshness(bar, wh: Warehouse) -> None:
    """The build line, and a warning on every page when that build is older than
    RUNGS_STALE_AFTER_HOURS: a refresh that stopped running should not go unnoticed."""
    build = queries.latest_build(wh)
    built_at = pd.Timestamp(build["built_at"])
    when = built_at.strftime("%d %b %Y %H:%M %Z").strip() if not pd.isna(built_at) else "unknown"
    bar.caption(f"Build {page.text(build['build_id'])} · {when}")
    if pd.isna(built_at):
        return
    age = pd.Timestamp.now(tz="UTC") - built_at.tz_convert("UTC")
    limit = stale_after_hours()
    if age > pd.Timedelta(hours=limit):
        target = "" if wh.path == DEFAULT_WAREHOUSE else f" --warehouse {wh.path}"
        bar.warning(
            f"The data is {describe_age(age.to_pytimedelta())} old (built {when}), older than "
            f"{limit:g} hours ({STALE_ENV}). Refresh: `python -m pipelines refresh "
            f"--mapping FILE{target}` (or `--source DIR`).",
            icon="⏰",
        )


def stale_after_hours() -> float:
    """RUNGS_STALE_AFTER_HOURS, or the default when unset, negative or not a number."""
    try:
        hours = float(os.environ.get(STALE_ENV, STALE_AFTER_HOURS))
    except ValueError:
        return STALE_AFTER_HOURS
    return hours if hours >= 0 else STALE_AFTER_HOURS
