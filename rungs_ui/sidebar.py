"""The shared sidebar: as-of month and the team / region / manager / level filters.

dashboard.py draws it on every run, before the page, so its widgets live as long as the session
and survive page switches; each is bound to a URL query parameter so a view can be shared as a
link. Values that a new build no longer offers are dropped rather than raising.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
import streamlit as st

from rungs_ui import page, queries, state
from rungs_ui.queries import Filters
from rungs_ui.warehouse import Warehouse, WarehouseUnavailable, build_command


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


def _month_labels(wh: Warehouse) -> tuple[list[str], str]:
    """The as-of months offered (newest first) and the default one."""
    months = queries.as_of_months(wh)
    if not months:
        raise WarehouseUnavailable(
            "The warehouse holds no months of metrics yet.",
            f"Load tickets or monthly metrics and rebuild with `{build_command(wh.path)}`.",
        )
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
    manager_label: Callable[[str], str] | None = None,
    people_filters: bool = True,
) -> Filters:
    """Draw the filters and return what they select. `manager_label` replaces manager names
    (the calibration page passes its anonymiser). Without `people_filters` (a viewer who sees
    only themselves) only the as-of month is offered."""
    labels, default = _month_labels(wh)
    month_now = chosen_month(wh)
    options = queries.filter_options(wh, month_now)
    teams = options["teams"]["team"].tolist()
    regions = options["regions"]["region"].tolist()
    managers = options["managers"]
    manager_ids = managers["manager_id"].tolist()
    manager_names = dict(zip(manager_ids, managers["manager_name"], strict=True))
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
        bar.caption(_freshness(wh))
        return Filters(month=pd.Timestamp(month + "-01").date())
    picked_teams = bar.multiselect(
        "Team", teams, key=state.TEAMS, bind="query-params", placeholder="All teams"
    )
    picked_regions = bar.multiselect(
        "Region", regions, key=state.REGIONS, bind="query-params", placeholder="All regions"
    )
    label = manager_label or (lambda mid: str(manager_names.get(mid, mid)))
    picked_managers = bar.multiselect(
        "Manager",
        manager_ids,
        key=state.MANAGERS,
        format_func=label,
        bind="query-params",
        placeholder="All managers",
    )
    picked_levels = bar.multiselect(
        "Level",
        levels,
        key=state.LEVELS,
        bind="query-params",
        placeholder="All levels",
        help="The level each person held in the as-of month.",
    )
    bar.caption(_freshness(wh))
    return Filters(
        month=pd.Timestamp(month + "-01").date(),
        teams=tuple(picked_teams),
        regions=tuple(picked_regions),
        managers=tuple(picked_managers),
        levels=tuple(picked_levels),
    )


def _freshness(wh: Warehouse) -> str:
    build = queries.latest_build(wh)
    built_at = pd.Timestamp(build["built_at"])
    when = built_at.strftime("%d %b %Y %H:%M %Z").strip() if not pd.isna(built_at) else "unknown"
    return f"Build {page.text(build['build_id'])} · {when}"
