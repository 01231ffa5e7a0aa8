"""An optional shared password in front of the dashboard.

Rungs binds to localhost, so on a laptop nobody else can reach it. Whoever serves it to others
(by changing server.address) should set a password, stored as a salted scrypt hash made by
`python -m rungs_ui.password` (rungs_ui/password.py), either in .streamlit/secrets.toml:

    [rungs]
    password_hash = "scrypt:16384:8:1:..."

or in the RUNGS_PASSWORD_HASH environment variable. With neither, there is no gate.

The unsalted SHA-256 that earlier versions read (password_sha256, RUNGS_PASSWORD_SHA256) is
still looked for, only to keep the dashboard closed with the way out: left in place it would
otherwise open the dashboard to everyone, the gate silently gone. Each wrong password makes
the session's next try wait longer (1 s, doubling, at most 30 s), so guessing from one page
is slow; the wait is per session, like the sign-in itself.
"""

from __future__ import annotations

import os
import time

import streamlit as st

from rungs_ui import password, state

HASH_ENV = "RUNGS_PASSWORD_HASH"
HASH_SECRET = "password_hash"
RETIRED_ENV = "RUNGS_PASSWORD_SHA256"
RETIRED_SECRET = "password_sha256"
SECRETS_FILE = ".streamlit/secrets.toml"
FIRST_DELAY_S = 1.0
MAX_DELAY_S = 30.0
WRONG_PASSWORD = "That is not the password. Ask whoever runs Rungs for your team."

_sleep = time.sleep  # the tests count the waits instead of waiting


class GateMisconfigured(Exception):
    """A password is configured in a way the gate refuses; the message says how to fix it."""


def _secret(name: str) -> str:
    try:
        section = st.secrets.get("rungs", {})
    except Exception:  # no secrets file, or one Streamlit cannot parse: nothing set there
        return ""
    return str(section.get(name, "") or "").strip()


def _retired_setting() -> str | None:
    """Where a password is set the retired way (an unsalted SHA-256), if anywhere."""
    if os.environ.get(RETIRED_ENV, "").strip():
        return f"the {RETIRED_ENV} environment variable"
    if _secret(RETIRED_SECRET):
        return f"{RETIRED_SECRET} in {SECRETS_FILE}"
    return None


def _refuse_retired_setting() -> None:
    where = _retired_setting()
    if where:
        raise GateMisconfigured(
            f"The dashboard stays closed: its password is set as an unsalted SHA-256 in {where}, "
            "which is quick to reverse from a leaked copy and no longer accepted. Run "
            f"`{password.HOW_TO_MAKE}`, store what it prints as {HASH_ENV} (or {HASH_SECRET} "
            f"under [rungs] in {SECRETS_FILE}), remove the old setting and restart."
        )


def configured_hash() -> password.PasswordHash | None:
    """The password hash sign-ins are checked against; None when no password is set."""
    _refuse_retired_setting()
    from_env = os.environ.get(HASH_ENV, "").strip()
    stored = from_env or _secret(HASH_SECRET)
    if not stored:
        return None
    try:
        return password.parse(stored)
    except password.BadPasswordHash as exc:
        where = f"the {HASH_ENV} environment variable" if from_env else SECRETS_FILE
        raise GateMisconfigured(
            f"The dashboard stays closed: the password hash in {where} can't be used ({exc}). "
            f"Make one with `{password.HOW_TO_MAKE}` and restart."
        ) from None


def signed_in() -> bool:
    """True when no password is set or this session has given it. Draws nothing, so the
    dashboard can resolve the page a link points at before asking for the password."""
    if st.session_state.get(state.SIGNED_IN):
        return True
    try:
        return configured_hash() is None
    except GateMisconfigured:
        return False


def delay_before_try(failures: int) -> float:
    """Seconds a sign-in waits after `failures` wrong tries in this session."""
    if failures <= 0:
        return 0.0
    return min(FIRST_DELAY_S * 2 ** (failures - 1), MAX_DELAY_S)


def show_sign_in() -> None:
    """The sign-in form, or why the dashboard stays closed. A right password reruns the app,
    which then opens the page the URL names, with its query parameters."""
    st.title("Rungs")
    try:
        wanted = configured_hash()
    except GateMisconfigured as exc:
        st.error(str(exc))
        return
    if wanted is None:
        return
    st.caption("This dashboard shows people data. Sign in with the team's password.")
    # Cleared on submit: the password does not stay in the session's widget state.
    with st.form("sign_in", clear_on_submit=True):
        given = st.text_input("Password", type="password", key=state.PASSWORD)
        submitted = st.form_submit_button("Sign in")
    if not submitted:
        return
    failures = int(st.session_state.get(state.SIGN_IN_FAILURES, 0))
    delay = delay_before_try(failures)
    if delay:
        _sleep(delay)
    if wanted.matches(given):
        st.session_state.pop(state.SIGN_IN_FAILURES, None)
        st.session_state[state.SIGNED_IN] = True
        st.rerun()
    st.session_state[state.SIGN_IN_FAILURES] = failures + 1
    st.error(WRONG_PASSWORD)
    st.caption(
        f"Each wrong try makes the next one wait longer: {delay_before_try(failures + 1):g} s "
        f"now, at most {MAX_DELAY_S:g} s."
    )
