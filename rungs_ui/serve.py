"""`python -m rungs_ui.serve [--allow-unauthenticated] [streamlit options]`: start the
dashboard (what `make run` does).

The same as `streamlit run dashboard.py`, with two differences:
- it refuses to start on an address other than localhost when no sign-in ([auth] in the
  secrets) is configured, since everyone who could reach it would see everyone; an explicit
  `--allow-unauthenticated` says somebody decided otherwise (dashboard.py checks the same, for
  whoever starts it with `streamlit run`);
- Streamlit is told before its first session that the pages are registered with st.navigation.
  The design keeps page scripts under pages/, and Streamlit takes a pages/ folder as a sign of
  its legacy routing until the entry script has run once: the first visitor after a start who
  follows a shared link such as /calibration?present=1 would get a "Page not found" box.
"""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

from streamlit import config
from streamlit.web import cli

from rungs_ui.auth import ALLOW_ENV, is_local_address

DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard.py"
ALLOW_FLAG = "--allow-unauthenticated"
REFUSED = 2


def use_navigation_only() -> None:
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the legacy flag has nothing to switch off
        return
    PagesManager.uses_pages_directory = False


def _flag_value(args: list[str], name: str) -> str | None:
    """The value of a Streamlit option given as `--name value` or `--name=value`."""
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def serving_address(args: list[str]) -> str | None:
    """The address Streamlit will listen on: the command line, then its environment variable,
    then the config files Streamlit reads (.streamlit/config.toml here)."""
    given = _flag_value(args, "--server.address")
    if given is None:
        given = os.environ.get("STREAMLIT_SERVER_ADDRESS")
    return given if given is not None else config.get_option("server.address")


def auth_configured(args: list[str]) -> bool:
    """Whether any secrets file Streamlit will read has an [auth] section."""
    given = _flag_value(args, "--secrets.files")
    for name in [given] if given else config.get_option("secrets.files"):
        path = Path(name)
        try:
            if "auth" in tomllib.loads(path.read_text(encoding="utf-8")):
                return True
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue  # Streamlit reports an unreadable secrets file itself
    return False


def refusal(args: list[str], allow: bool) -> str | None:
    address = serving_address(args)
    if allow or auth_configured(args) or is_local_address(address):
        return None
    return (
        f"Rungs will not start on {address or 'every address'} without sign-in: anyone who "
        "can reach it would see everyone's career data. Fix: configure [auth] in "
        ".streamlit/secrets.toml (README, “Sign-in and roles”), or serve on localhost, or, if "
        f"that is really intended, add {ALLOW_FLAG}."
    )


def main() -> int:
    args = sys.argv[1:]
    allow = ALLOW_FLAG in args
    args = [a for a in args if a != ALLOW_FLAG]
    reason = refusal(args, allow)
    if reason:
        print(reason, file=sys.stderr)
        return REFUSED
    if allow:
        os.environ[ALLOW_ENV] = "1"  # dashboard.py checks again, in the server's process
    use_navigation_only()
    sys.argv = ["streamlit", "run", str(DASHBOARD), *args]
    cli.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
