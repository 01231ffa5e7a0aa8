"""An optional shared password in front of the dashboard.

Rungs binds to localhost, so on a laptop nobody else can reach it. Whoever serves it to others
(by changing server.address) should set a password, as the SHA-256 of it, either in
.streamlit/secrets.toml:

    [rungs]
    password_sha256 = "..."

(.streamlit/secrets.toml.example shows how to compute it)
or in the RUNGS_PASSWORD_SHA256 environment variable. With neither, there is no gate.
"""

from __future__ import annotations

import hashlib
import hmac
import os

import streamlit as st

from rungs_ui import state


def expected_digest() -> str | None:
    from_env = os.environ.get("RUNGS_PASSWORD_SHA256", "").strip()
    if from_env:
        return from_env.lower()
    try:
        section = st.secrets.get("rungs", {})
    except Exception:  # no secrets file, or one Streamlit cannot parse: no password set here
        return None
    digest = str(section.get("password_sha256", "")).strip()
    return digest.lower() or None


def signed_in() -> bool:
    """True when no password is set or this session has given it; otherwise draw the form."""
    wanted = expected_digest()
    if wanted is None or st.session_state.get(state.SIGNED_IN):
        return True
    st.title("Rungs")
    st.caption("This dashboard shows people data. Sign in with the team's password.")
    with st.form("sign_in"):
        password = st.text_input("Password", type="password", key=state.PASSWORD)
        submitted = st.form_submit_button("Sign in")
    if submitted:
        given = hashlib.sha256(password.encode("utf-8")).hexdigest()
        if hmac.compare_digest(given, wanted):
            st.session_state[state.SIGNED_IN] = True
            st.rerun()
        st.error("That is not the password. Ask whoever runs Rungs for your team.")
    return False
