"""The optional sign-in gate: off by default; when a password is set nothing of the warehouse is
shown until it is given, it is stored only as a salted scrypt hash, wrong tries slow the
session down, and signing in lands on the page and view the link named."""

from __future__ import annotations

import hashlib

import pytest
from streamlit.testing.v1 import AppTest

from rungs_ui import gate, password, state
from tests.test_pages import TIMEOUT, open_app, readiness_rows
from tests.ui_fixtures import REPO

PASSWORD = "correct horse battery staple"
# The settings' names and the message are the contract with whoever runs Rungs, so spelled out.
HASH_ENV = "RUNGS_PASSWORD_HASH"
RETIRED_ENV = "RUNGS_PASSWORD_SHA256"
RETIRED_SECRET = "password_sha256"
WRONG_PASSWORD = "That is not the password. Ask whoever runs Rungs for your team."


def page_text(at) -> str:
    return " ".join(str(e.value) for e in [*at.markdown, *at.title, *at.caption, *at.metric])


@pytest.fixture
def no_password_set(monkeypatch):
    for name in (HASH_ENV, RETIRED_ENV):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The seconds the gate waited before each try, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(gate, "_sleep", recorded.append)
    return recorded


@pytest.fixture
def password_set(monkeypatch, no_password_set) -> None:
    monkeypatch.setenv(HASH_ENV, str(password.hash_password(PASSWORD)))


def sign_in(at, given: str):
    # A form sends what was typed together with the click, as in the browser.
    at.text_input(key=state.PASSWORD).input(given)
    return at.button[0].click().run()


def open_app_with_secrets(monkeypatch, warehouse, rungs_secrets: dict) -> AppTest:
    monkeypatch.setenv("RUNGS_WAREHOUSE", str(warehouse))
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=TIMEOUT)
    if rungs_secrets:
        at.secrets["rungs"] = rungs_secrets
    return at.run()


def open_app_at(monkeypatch, warehouse, script: str, query_params: dict) -> AppTest:
    """The app as a first visit to a link to `script` with these query parameters: before the
    first run, AppTest names the page by its file, as the URL path does."""
    monkeypatch.setenv("RUNGS_WAREHOUSE", str(warehouse))
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=TIMEOUT)
    at.query_params.update(query_params)
    return at.switch_page(script).run()


def test_without_a_password_the_dashboard_opens(monkeypatch, fixture_warehouse, no_password_set):
    at = open_app(monkeypatch, fixture_warehouse)
    assert not at.exception
    assert "Team health" in page_text(at)


def test_with_a_password_only_the_form_shows_until_it_is_given(
    monkeypatch, fixture_warehouse, password_set, waits
):
    at = open_app(monkeypatch, fixture_warehouse)
    assert "Team health" not in page_text(at)
    assert len(at.metric) == 0

    sign_in(at, "guess")
    assert [e.value for e in at.error] == [WRONG_PASSWORD]
    assert "Team health" not in page_text(at)

    sign_in(at, PASSWORD)
    assert not at.exception
    assert "Team health" in page_text(at)
    assert state.PASSWORD not in at.session_state or not at.session_state[state.PASSWORD]


def test_the_password_is_stored_as_a_salted_slow_hash():
    first, second = password.hash_password(PASSWORD), password.hash_password(PASSWORD)
    assert str(first) != str(second), "each hash has its own random salt"
    assert str(first).startswith(f"scrypt:{password.COST_N}:{password.BLOCK_R}:")
    assert PASSWORD not in str(first)
    assert hashlib.sha256(PASSWORD.encode()).hexdigest() not in str(first)
    for stored in (first, second):
        assert password.parse(str(stored)).matches(PASSWORD)
        assert not password.parse(str(stored)).matches(PASSWORD + " ")


def test_the_hash_command_prints_a_hash_the_gate_accepts(monkeypatch, capsys):
    monkeypatch.setattr(password.getpass, "getpass", lambda prompt="": PASSWORD)
    assert password.main() == 0
    printed = capsys.readouterr().out.strip()
    assert password.parse(printed).matches(PASSWORD)


@pytest.mark.parametrize("where", ["environment", "secrets"])
def test_an_unsalted_sha256_keeps_the_dashboard_closed_and_says_how_to_replace_it(
    monkeypatch, fixture_warehouse, no_password_set, where
):
    old_style = hashlib.sha256(PASSWORD.encode()).hexdigest()
    in_secrets = {}
    if where == "environment":
        monkeypatch.setenv(RETIRED_ENV, old_style)
    else:
        in_secrets = {RETIRED_SECRET: old_style}
    at = open_app_with_secrets(monkeypatch, fixture_warehouse, in_secrets)
    assert "Team health" not in page_text(at)
    assert len(at.metric) == 0 and len(at.text_input) == 0, "no way in while it is set"
    message = at.error[0].value
    named = RETIRED_ENV if where == "environment" else RETIRED_SECRET
    assert named in message and "unsalted SHA-256" in message
    assert password.HOW_TO_MAKE in message and HASH_ENV in message


def test_a_malformed_hash_keeps_the_dashboard_closed(
    monkeypatch, fixture_warehouse, no_password_set
):
    monkeypatch.setenv(HASH_ENV, "scrypt:1024:8:1:00:00")
    at = open_app(monkeypatch, fixture_warehouse)
    assert len(at.metric) == 0 and len(at.text_input) == 0
    message = at.error[0].value
    assert HASH_ENV in message and "out of range" in message
    assert password.HOW_TO_MAKE in message


def test_each_wrong_password_makes_the_next_try_wait_longer_up_to_a_cap(
    monkeypatch, fixture_warehouse, password_set, waits
):
    at = open_app(monkeypatch, fixture_warehouse)
    for _ in range(8):
        sign_in(at, "guess")
    assert waits == [1, 2, 4, 8, 16, 30, 30]
    assert "30 s" in " ".join(c.value for c in at.caption)

    sign_in(at, PASSWORD)  # the right password waits its turn too, then opens the dashboard
    assert waits[-1] == gate.MAX_DELAY_S
    assert "Team health" in page_text(at)


def test_signing_in_through_a_link_lands_on_its_page_with_its_view(
    monkeypatch, fixture_warehouse, password_set
):
    team = readiness_rows(fixture_warehouse, "true")["team"].iloc[0]
    link = {
        state.PRESENT: "1",
        state.CALIBRATION_LEVEL: "IC3",
        state.MONTH: "2026-08",
        state.TEAMS: [team],
    }
    at = open_app_at(monkeypatch, fixture_warehouse, "pages/calibration/calibration.py", link)
    assert [t.value for t in at.title] == ["Rungs"], "signed out, only the form shows"

    sign_in(at, PASSWORD)
    assert not at.exception
    assert [t.value for t in at.title] == ["Calibration"]
    assert at.selectbox(key=state.CALIBRATION_LEVEL).value == "IC3"
    assert at.button[0].label == "Leave presentation mode"
    assert at.sidebar.selectbox(key=state.MONTH).value == "2026-08"
    assert at.sidebar.multiselect(key=state.TEAMS).value == [team]
    assert at.query_params[state.PRESENT] == "1"
