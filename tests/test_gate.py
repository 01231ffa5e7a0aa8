"""The optional sign-in gate: off by default, and when a password is set nothing of the
warehouse is shown until it is given."""

from __future__ import annotations

import hashlib

from tests.test_pages import open_app

PASSWORD = "correct horse battery staple"


def page_text(at) -> str:
    return " ".join(str(e.value) for e in [*at.markdown, *at.title, *at.caption, *at.metric])


def test_without_a_password_the_dashboard_opens(monkeypatch, fixture_warehouse):
    monkeypatch.delenv("RUNGS_PASSWORD_SHA256", raising=False)
    at = open_app(monkeypatch, fixture_warehouse)
    assert not at.exception
    assert "Team health" in page_text(at)


def test_with_a_password_only_the_form_shows_until_it_is_given(monkeypatch, fixture_warehouse):
    monkeypatch.setenv("RUNGS_PASSWORD_SHA256", hashlib.sha256(PASSWORD.encode()).hexdigest())
    at = open_app(monkeypatch, fixture_warehouse)
    assert "Team health" not in page_text(at)
    assert len(at.metric) == 0

    # A form sends what was typed together with the click, as in the browser.
    at.text_input(key="password").input("guess")
    at.button[0].click().run()
    assert [e.value for e in at.error] == [
        "That is not the password. Ask whoever runs Rungs for your team."
    ]
    assert "Team health" not in page_text(at)

    at.text_input(key="password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert "Team health" in page_text(at)
