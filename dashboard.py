"""Rungs: the career framework as numbers leadership can act on.

Entry point for `streamlit run dashboard.py`: page config, sign-in (rungs_ui.auth), the
viewer's scope (rungs_ui.access), the pages their role sees (rungs_ui.navigation), the shared
sidebar, then the chosen page. Pages only read the warehouse, through a handle that carries
the scope.
"""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from pipelines.access import AccessFileError, Scope
from pipelines.access.policy import DEFAULT_GROUPS_CLAIM
from rungs_ui import access, auth, identity, navigation, page, queries, sidebar, state, warehouse

# Served by the app itself: a ":material/...:" page icon makes every browser fetch it from a
# font CDN on every load, before sign-in.
PAGE_ICON = Path(__file__).resolve().parent / "rungs_ui" / "assets" / "icon.png"
# What one viewer had open and the next must not inherit (rungs_ui.state).
VIEW_KEYS = (
    state.ENGINEER,
    state.TEAMS,
    state.REGIONS,
    state.MANAGERS,
    state.LEVELS,
    state.CALIBRATION_LEVEL,
    state.CALIBRATION_SHOW,
    state.CALIBRATION_TEAM,
    state.CALIBRATION_SORT,
    state.EVIDENCE_SEARCH,
)


def _presenting() -> bool:
    return st.query_params.get(state.PRESENT, "") in ("1", "true", "yes")


def _sections(pages: tuple[navigation.PageSpec, ...]) -> dict[str, list]:
    # A role without the registered default page (an engineer has no Team health) opens on
    # the first page it has.
    default = next((p for p in pages if p.default), pages[0])
    return {
        group: [
            st.Page(p.script, title=p.title, icon=p.icon, url_path=p.url_path, default=p is default)
            for p in pages
            if p.group == group
        ]
        for group in navigation.GROUPS
        if any(p.group == group for p in pages)
    }


def _closed(message_page) -> None:
    """Nothing but `message_page`: the page list stays hidden, the URL keeps naming its page."""
    st.navigation(_sections(navigation.PAGES), position="hidden")
    message_page()
    st.stop()


def _who_is_looking(settings: dict) -> auth.Identity | None:
    """The signed-in person (None in local mode); stops the run at the sign-in page."""
    if not settings:
        return None
    try:
        claim = access.policy().groups_claim
    except AccessFileError:
        claim = DEFAULT_GROUPS_CLAIM  # what is wrong with the file is for signed-in eyes only
    who = auth.identity(claim)
    if who is None:
        st.query_params.clear()  # a link's view is not kept for whoever signs in next
        _closed(lambda: auth.show_sign_in(settings))
    return who


def _viewer_box(scope: Scope, local: bool) -> None:
    box = st.sidebar.container(border=True)
    if local:
        box.caption(
            ":material/lock_open: **Local mode: everyone visible.** Sign-in is off because no "
            "[auth] is configured; see the README to serve Rungs to others."
        )
        return
    box.caption(f"Signed in as {page.text(scope.viewer)} · {scope.role.replace('_', ' ')}")
    if box.button("Sign out", key="sign_out", icon=":material/logout:"):
        access.record(scope, "sign_out")
        st.logout()


def main() -> None:
    present = _presenting()
    st.set_page_config(
        page_title="Rungs",
        page_icon=str(PAGE_ICON),
        layout="wide",
        initial_sidebar_state="collapsed" if present else "auto",
    )
    settings = auth.auth_settings()
    reason = auth.refusal(bool(settings), st.get_option("server.address"))
    if reason:
        _closed(lambda: auth.show_refusal(reason))
    navigated = False  # st.navigation runs once per run: after it, a message is the page
    try:
        who = _who_is_looking(settings)
        wh = warehouse.current()
        month = sidebar.chosen_month(wh)
        scope = access.scope_for(wh, who, month)
        if scope is None:
            access.record_no_access_once(who)
            st.query_params.clear()
            _closed(lambda: auth.show_no_access(who))
        if who is not None:
            access.forget_previous_viewer(scope, VIEW_KEYS)
            access.record_sign_in_once(scope)
        wh = wh.scoped(scope)
        pages = navigation.pages_for(scope.role)
        current = st.navigation(_sections(pages), position="hidden" if present else "sidebar")
        navigated = True
        if present:
            page.presentation_style()
        fw = queries.framework(wh)
        spec = navigation.spec_titled(current.title)
        _viewer_box(scope, local=who is None)
        filters = sidebar.render(
            wh,
            fw,
            people_filters=scope.role != "engineer",
        )
        page.set_context(
            page.PageContext(wh=wh, fw=fw, filters=filters, present=present, spec=spec, scope=scope)
        )
        if filters.teams or filters.regions or filters.managers or filters.levels:
            identity.current().small_group(len(queries.roster(wh, filters)))
        current.run()
    except warehouse.WarehouseUnavailable as exc:
        unavailable = exc
        if navigated:
            page.show_unavailable(unavailable)
        else:
            _closed(lambda: page.show_unavailable(unavailable))
    except AccessFileError as exc:
        # The file's entries are email addresses: they go to the server's log, not the page.
        logging.getLogger("rungs").error("access file: %s", exc)
        problem = (
            "The dashboard stays closed: its access file cannot be used. Whoever runs Rungs "
            "finds what is wrong, and the fix, in the server's log."
        )
        if navigated:
            auth.show_refusal(problem)
        else:
            _closed(lambda: auth.show_refusal(problem))


main()
