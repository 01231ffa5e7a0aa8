"""The whole sign-in round trip in a real browser, against a real OpenID Connect provider on
localhost (oidc-provider-mock, started here): signed out nothing shows; a manager signs in at
the provider, lands back in Rungs and sees their subtree and nobody else; signing out leaves
nothing but the sign-in page again.
"""

from __future__ import annotations

import contextlib
import secrets
import subprocess
import sys
import tomllib

import duckdb
import pytest

from pipelines.access import load_policy, resolve_scope
from tests.test_browser import (
    CHROMIUM,
    SHOTS,
    Browser,
    _free_port,
    _wait_for,
    load,
    off_the_app,
    screenshot,
    serve,
    settle,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed; `.ci/run` installs it"),
]

_MAIN = "document.querySelector('[data-testid=\"stMain\"]').innerText"
_SIDEBAR = "(document.querySelector('[data-testid=\"stSidebar\"]') || {innerText: ''}).innerText"


@contextlib.contextmanager
def identity_provider(log):
    """oidc-provider-mock on a free port: any subject typed at its form signs in, with that
    subject as the email claim."""
    port = _free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(f"{base}/.well-known/openid-configuration", 30)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def click(browser: Browser, text: str) -> None:
    found = browser.evaluate(
        "(() => { const b = [...document.querySelectorAll('button')]"
        f".find(b => b.innerText.trim().endsWith({text!r})); if (b) b.click(); return !!b; }})()"
    )
    assert found, f"no button {text!r} on the page"


def wait_for_text(browser: Browser, text: str, seconds: float = 40) -> str:
    import time

    deadline = time.monotonic() + seconds
    while True:
        body = browser.evaluate("document.body.innerText") or ""
        if text in body:
            return body
        if time.monotonic() > deadline:
            pytest.fail(f"{text!r} never appeared; the page says: {body[:500]!r}")
        time.sleep(0.2)


def names_and_ids(warehouse) -> dict[str, tuple[str, str, str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select engineer_id, name, lower(email) from engineers").fetchall()
    return {r[0]: r for r in rows}


def test_a_manager_signs_in_sees_their_subtree_only_and_signs_out(
    fixture_warehouse, demo_source, tmp_path
):
    access_file = demo_source / "access.toml"
    roles = tomllib.loads(access_file.read_text())["roles"]
    manager = roles["manager"][0]
    with duckdb.connect(str(fixture_warehouse), read_only=True) as con:
        month = con.execute("select max(month) from readiness").fetchone()[0]
        scope = resolve_scope(con, load_policy(access_file), manager, month=month)
    people = names_and_ids(fixture_warehouse)
    seen = {pid for pid in people if scope.may_name(pid)}
    seen_names = {people[p][1] for p in seen}
    hidden = [row for pid, row in people.items() if pid not in seen]
    assert scope.role == "manager" and hidden, "the demo manager must not see everyone"

    app_port = _free_port()
    app = f"http://127.0.0.1:{app_port}"
    with identity_provider(tmp_path / "provider.log") as provider:
        secrets_file = tmp_path / "secrets.toml"
        secrets_file.write_text(
            "[auth]\n"
            f'redirect_uri = "{app}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
            'client_id = "rungs-test"\n'
            'client_secret = "not-a-secret"\n'
            f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
        )
        env = {
            "RUNGS_ACCESS_FILE": str(access_file),
            "RUNGS_JOURNAL_URL": str(tmp_path / "journal.sqlite"),
        }
        args = ("--secrets.files", str(secrets_file))
        with serve(fixture_warehouse, tmp_path / "app.log", env, args, port=app_port) as url:
            assert url == app
            browser = Browser(tmp_path / "profile")
            try:
                # Signed out: the sign-in page and nothing else.
                load(browser, f"{app}/engineer")
                body = wait_for_text(browser, "Sign in")
                assert not [r for r in people.values() if r[1] in body or r[0] in body]
                SHOTS.mkdir(exist_ok=True)
                screenshot(browser, SHOTS / "sign-in.png")

                click(browser, "Sign in")
                wait_for_text(browser, "Authorize")  # the provider's own page
                assert browser.evaluate("location.href").startswith(provider)
                browser.type_into("input[name=sub]", manager)
                browser.evaluate("document.querySelector('form button[type=submit]').click()")

                # Back in Rungs, signed in as the manager.
                body = wait_for_text(browser, "Signed in as")
                # The address is shown with a word joiner after the @ (no mail link).
                assert manager.split("@")[0] in body
                settle(browser, "the first page after signing in")
                screenshot(browser, SHOTS / "signed-in-manager.png")
                # The mock provider's own page asks a CDN for its stylesheet; from here on only
                # Rungs' pages are open, and they must ask nothing of anywhere else.
                browser.requested.clear()
                for path in ("", "engineer", "promotions", "calibration", "evidence"):
                    load(browser, f"{app}/{path}", animate=False)
                    shown = browser.evaluate(_MAIN) + browser.evaluate(_SIDEBAR)
                    leaked = [
                        r[0]
                        for r in hidden
                        if r[0] in shown
                        or r[2] in shown
                        or (r[1] in shown and r[1] not in seen_names)
                    ]
                    assert leaked == [], f"/{path} shows people outside the subtree"
                assert off_the_app(browser.requests(), app) == []
                # A person in view opens by link; someone outside it does not, even by link.
                with duckdb.connect(str(fixture_warehouse), read_only=True) as con:
                    levelled = {
                        r[0]
                        for r in con.execute(
                            "select engineer_id from level_stints where ended_on is null"
                        ).fetchall()
                    }
                mine = sorted(scope.people & levelled)[-1]
                load(browser, f"{app}/engineer?engineer={mine}", animate=False)
                assert people[mine][1] in browser.evaluate(_MAIN)
                stranger = sorted(r[0] for r in hidden if r[0] in levelled)[0]
                load(browser, f"{app}/engineer?engineer={stranger}", animate=False)
                shown = browser.evaluate(_MAIN)
                assert people[stranger][1] not in shown or people[stranger][1] in seen_names
                assert stranger not in browser.evaluate("location.href")

                click(browser, "Sign out")
                # Streamlit ends the session at the provider too; the mock asks to confirm.
                wait_for_text(browser, "End session")
                browser.evaluate("document.querySelector('form button').click()")
                body = wait_for_text(browser, "Sign in")
                assert "Signed in as" not in body
                assert not [r for r in people.values() if r[1] in body or r[2] in body]
                load(browser, f"{app}/engineer", animate=False)
                body = wait_for_text(browser, "Sign in")
                assert not [r for r in people.values() if r[1] in body]
            finally:
                browser.close()
