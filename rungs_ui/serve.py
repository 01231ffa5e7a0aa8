"""`python -m rungs_ui.serve [streamlit options]`: start the dashboard (what `make run` does).

The same as `streamlit run dashboard.py`, except that Streamlit is told before its first
session that the pages are registered with st.navigation. The design keeps page scripts under
pages/, and Streamlit takes a pages/ folder as a sign of its legacy routing until the entry
script has run once: the first visitor after a start who follows a shared link such as
/calibration?present=1 would get a "Page not found" box over the page.
"""

from __future__ import annotations

import sys
from pathlib import Path

from streamlit.web import cli

DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard.py"


def use_navigation_only() -> None:
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the legacy flag has nothing to switch off
        return
    PagesManager.uses_pages_directory = False


def main() -> None:
    use_navigation_only()
    sys.argv = ["streamlit", "run", str(DASHBOARD), *sys.argv[1:]]
    cli.main()


if __name__ == "__main__":
    main()
