"""Who is looking: Streamlit's own OpenID Connect sign-in (st.login / st.user / st.logout).

Two modes, chosen by .streamlit/secrets.toml:
- no [auth] section: local mode. One person on their own machine; the server binds to
  localhost and everyone is visible, which the sidebar says. Serving such an app on another
  address is refused (here and in rungs_ui.serve) unless RUNGS_ALLOW_UNAUTHENTICATED=1 says
  somebody decided so (`python -m rungs_ui.serve --allow-unauthenticated`).
- [auth] configured: nothing but the sign-in page renders until the identity provider has
  signed the person in; their identity is st.user.email.

The shared password of earlier versions is retired: left configured, it keeps the dashboard
closed with the way to sign-in instead, rather than silently stop protecting anything.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import streamlit as st

ALLOW_ENV = "RUNGS_ALLOW_UNAUTHENTICATED"
LOCAL_ADDRESSES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
SECRETS_FILE = ".streamlit/secrets.toml"
# Settings of the retired shared-password gate: [rungs] keys in secrets.toml and variables.
RETIRED_SECRETS = ("password_hash", "password_sha256")
RETIRED_ENV = ("RUNGS_PASSWORD_HASH", "RUNGS_PASSWORD_SHA256")
SIGN_IN_HELP = "README.md, section “Sign-in and roles”"


@dataclass(frozen=True)
class Identity:
    """A signed-in person as the identity provider vouches for them."""

    email: str
    name: str
    groups: tuple[str, ...] = ()


def _secrets_section(name: str) -> dict:
    try:
        section = st.secrets.get(name)
    except Exception:  # no secrets file, or one Streamlit cannot parse: nothing set there
        return {}
    return dict(section) if section else {}


def auth_settings() -> dict:
    """The [auth] section of the secrets; empty in local mode."""
    return _secrets_section("auth")


def providers(settings: dict) -> list[str | None]:
    """The providers to offer: None for a single unnamed one ([auth] holds client_id), else
    the names of the [auth.NAME] sections."""
    if "client_id" in settings or "server_metadata_url" in settings:
        return [None]
    return sorted(k for k, v in settings.items() if isinstance(v, dict) and "client_id" in v)


def is_local_address(address: str | None) -> bool:
    # An empty server.address makes Streamlit listen on every interface.
    return bool(address) and address.strip().lower() in LOCAL_ADDRESSES


def unauthenticated_allowed() -> bool:
    return os.environ.get(ALLOW_ENV, "").strip().lower() in ("1", "true", "yes")


def refusal(auth_on: bool, address: str | None) -> str | None:
    """Why the dashboard must stay closed, with the fix; None when it may open."""
    retired = [f"{k} under [rungs] in {SECRETS_FILE}" for k in RETIRED_SECRETS if _retired(k)]
    retired += [f"the {v} environment variable" for v in RETIRED_ENV if os.environ.get(v)]
    if retired:
        return (
            f"The dashboard stays closed: the shared password is retired, but {retired[0]} is "
            "still set. Sign-in now goes through your company's identity provider: configure "
            f"[auth] in {SECRETS_FILE} ({SIGN_IN_HELP}), remove the password setting and "
            "restart."
        )
    if not auth_on and not is_local_address(address) and not unauthenticated_allowed():
        return (
            f"The dashboard stays closed: it is served on {address or 'every address'} without "
            f"sign-in, so anyone who can reach it would see everyone. Fix: configure [auth] in "
            f"{SECRETS_FILE} ({SIGN_IN_HELP}), or serve on localhost, or, if that is really "
            "intended, start it with `python -m rungs_ui.serve --allow-unauthenticated`."
        )
    return None


def _retired(key: str) -> bool:
    return bool(str(_secrets_section("rungs").get(key, "") or "").strip())


def identity(groups_claim: str) -> Identity | None:
    """The signed-in person, or None when nobody is signed in."""
    user = st.user
    if not user.get("is_logged_in"):
        return None
    # A provider that says it has not verified the address vouches for nobody: with roster
    # sign-in on, an unverified address could claim someone's view.
    verified = user.get("email_verified") is not False
    email = str(user.get("email") or "").strip().lower() if verified else ""
    raw_groups = user.get(groups_claim) or ()
    if isinstance(raw_groups, str):
        raw_groups = (raw_groups,)
    return Identity(
        email=email,
        name=str(user.get("name") or email),
        groups=tuple(str(g) for g in raw_groups),
    )


def show_sign_in(settings: dict) -> None:
    """The only thing a signed-out visitor sees."""
    st.title("Rungs")
    st.write(
        "This dashboard shows career data about people. Sign in with your company account; "
        "you will see the people your role allows."
    )
    for provider in providers(settings):
        label = "Sign in" if provider is None else f"Sign in with {provider.title()}"
        if st.button(label, type="primary", key=f"sign_in_{provider or 'default'}"):
            st.login(provider) if provider else st.login()


def show_no_access(who: Identity) -> None:
    st.title("Rungs")
    if not who.email:
        st.warning(
            "Your identity provider has not verified an email address for you, so Rungs cannot "
            "tell whose view is yours. Ask an admin of Rungs or of your sign-in."
        )
    else:
        st.warning(
            f"You are signed in as {who.email}, but you have no access yet. Ask an admin of "
            "Rungs to give this address a role in the access file."
        )
    st.button("Sign out", on_click=st.logout)


def show_refusal(reason: str) -> None:
    st.title("Rungs")
    st.error(reason)
