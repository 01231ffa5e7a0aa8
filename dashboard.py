"""Rungs: the career framework as numbers leadership can act on.

Entry point for `streamlit run dashboard.py`: page config, the page list from
rungs_ui.navigation, the sign-in gate, the shared sidebar, then the chosen page. Pages only
read the warehouse.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from rungs_ui import anonymise, gate, navigation, page, queries, sidebar, state, warehouse

# Served by the app itself: a ":material/...:" page icon makes every browser fetch it from a
# font CDN on every load, before sign-in.
PAGE_ICON = Path(__file__).resolve().parent / "rungs_ui" / "assets" / "icon.png"


def _presenting() -> bool:
    return st.query_params.get(state.PRESENT, "") in ("1", "true", "yes")


def _manager_label(wh: warehouse.Warehouse, on_calibration: bool):
    """On the calibration page with anonymise on, managers are named by letter too."""
    if not (on_calibration and st.session_state.get(state.ANONYMISE)):
        return None
    options = queries.filter_options(wh)["managers"]
    masks = anonymise.Anonymiser.for_people(
        zip(options["manager_id"], options["manager_name"], strict=True), wh.build_id, "Manager"
    )
    return masks.alias


def _sections() -> dict[str, list]:
    return {
        group: [
            st.Page(p.script, title=p.title, icon=p.icon, url_path=p.url_path, default=p.default)
            for p in navigation.PAGES
            if p.group == group
        ]
        for group in navigation.GROUPS
    }


def main() -> None:
    present = _presenting()
    st.set_page_config(
        page_title="Rungs",
        page_icon=str(PAGE_ICON),
        layout="wide",
        initial_sidebar_state="collapsed" if present else "auto",
    )
    allowed = gate.signed_in()
    # The page is resolved from the URL before the sign-in form, so a link such as
    # /calibration?present=1 still names the page after signing in; without it the run that
    # signs in would fall back to the default page. Signed out, the page list stays hidden.
    current = st.navigation(
        _sections(), position="sidebar" if allowed and not present else "hidden"
    )
    if not allowed:
        gate.show_sign_in()
        st.stop()
    if present:
        page.presentation_style()
    try:
        wh = warehouse.current()
        fw = queries.framework(wh)
        on_calibration = current.url_path == "calibration"
        filters = sidebar.render(wh, fw, _manager_label(wh, on_calibration))
        spec = navigation.spec_for_url(current.url_path)
        page.set_context(
            page.PageContext(wh=wh, fw=fw, filters=filters, present=present, spec=spec)
        )
        current.run()
    except warehouse.WarehouseUnavailable as exc:
        page.show_unavailable(exc)


main()
