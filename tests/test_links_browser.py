"""Links by id in a real browser: `?engineer=<id>` opens that person, picking someone puts
their id (never their name) in the address bar, Back and reload return to the same person, and
with Anonymise on neither the page nor the address bar holds a real name, email or id.
"""

from __future__ import annotations

import json
import time

import duckdb
import pytest

from tests.test_browser import CHROMIUM, SHOTS, Browser, load, screenshot, serve, settle

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed; `.ci/run` installs it"),
]

_MAIN = "document.querySelector('[data-testid=\"stMain\"]').innerText"
_HEADING = (
    "[...document.querySelectorAll('[data-testid=\"stMain\"] h3')].map(h => h.innerText)"
    ".join(' | ')"
)


@pytest.fixture(scope="module")
def people(fixture_warehouse):
    """id -> (name, email, on the Engineer picker today) of everyone on the roster."""
    with duckdb.connect(str(fixture_warehouse), read_only=True) as con:
        rows = con.execute(
            "select e.engineer_id, e.name, lower(e.email), "
            "s.engineer_id is not null and e.left_on is null "
            "from engineers e left join level_stints s on s.engineer_id = e.engineer_id "
            "and s.ended_on is null order by e.engineer_id"
        ).fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


@pytest.fixture(scope="module")
def app_url(fixture_warehouse, tmp_path_factory):
    log = tmp_path_factory.mktemp("links-app") / "streamlit.log"
    with serve(fixture_warehouse, log) as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    b = Browser(tmp_path_factory.mktemp("links-profile"))
    yield b
    b.close()


def href(browser: Browser) -> str:
    return browser.evaluate("location.href")


def wait_for_heading(browser: Browser, name: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while name not in (browser.evaluate(_HEADING) or ""):
        if time.monotonic() > deadline:
            pytest.fail(f"{name!r} never became the heading: {browser.evaluate(_HEADING)!r}")
        time.sleep(0.2)


def pick(browser: Browser, name: str) -> None:
    """Choose `name` in the Engineer picker as a person would: click it, type, press Enter."""
    box = browser.evaluate(
        '(() => { const r = document.querySelector(\'[data-testid="stMain"] '
        '[data-testid="stSelectbox"] input\').getBoundingClientRect();'
        " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
    )
    for kind in ("mousePressed", "mouseReleased"):
        browser.send(
            "Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1
        )
    time.sleep(0.3)
    browser.send("Input.insertText", text=name)
    time.sleep(0.5)
    for kind in ("keyDown", "keyUp"):
        browser.send(
            "Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter", windowsVirtualKeyCode=13
        )


def test_links_by_id_survive_picking_back_and_reload(app_url, browser, people):
    levelled = [pid for pid, (_, _, has_level) in people.items() if has_level]
    first, second = levelled[0], levelled[-1]
    load(browser, f"{app_url}/engineer?engineer={first}", animate=False)
    wait_for_heading(browser, people[first][0])
    assert f"engineer={first}" in href(browser)

    pick(browser, people[second][0])
    wait_for_heading(browser, people[second][0])
    settle(browser, "picking someone", animate=False)
    assert f"engineer={second}" in href(browser)
    assert people[second][0].split()[0] not in href(browser)  # an id, never a name

    browser.evaluate("history.back()")
    wait_for_heading(browser, people[first][0])
    assert f"engineer={first}" in href(browser)

    browser.evaluate("location.reload()")
    time.sleep(1)
    settle(browser, "reloading", animate=False)
    wait_for_heading(browser, people[first][0])
    assert f"engineer={first}" in href(browser)


@pytest.mark.parametrize("path", ["", "engineer", "promotions", "calibration", "evidence"])
def test_anonymised_pages_and_their_address_name_nobody(app_url, browser, people, path):
    load(browser, f"{app_url}/{path}?anonymise=true")
    SHOTS.mkdir(exist_ok=True)
    screenshot(browser, SHOTS / f"anonymised-{path or 'team-health'}.png")
    text = browser.evaluate("document.body.innerText") + " " + href(browser)
    shown = [
        pid
        for pid, (name, email, _) in people.items()
        if pid in text or name in text or email in text
    ]
    assert shown == [], json.dumps(shown)
