"""Real-browser smoke test: every registered page renders in headless Chromium without a
Streamlit exception box and without a request to anywhere but the app itself, and leaves a
full-height screenshot in screenshots/ to look at. Also in a real browser: a download exists
only from its click until seconds later (checked with a plain HTTP client, no session), and
the whole OpenID Connect round trip against a real provider on localhost: sign in as a
manager, see only their subtree, sign out, see nothing.

Chromium is driven over the DevTools protocol (websockets ships with Streamlit) because a page
is only drawn after the app's own websocket delivers it, which a plain --screenshot run does
not wait for. The protocol's Network domain records every URL the page asks for.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from pipelines import audit
from rungs_ui.navigation import PAGES

REPO = Path(__file__).resolve().parent.parent
SHOTS = REPO / "screenshots"
CHROMIUM = next(
    (
        p
        for p in (
            os.environ.get("CHROMIUM"),
            shutil.which("chromium"),
            shutil.which("chromium-browser"),
            "/usr/bin/chromium",
        )
        if p and Path(p).exists()
    ),
    None,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no Chromium installed; `.ci/run` installs it "
        "from Debian (apt-get install chromium)",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


@contextlib.contextmanager
def serve(
    warehouse: Path,
    log: Path,
    env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
    port: int | None = None,
):
    """The dashboard on a free localhost port, started the way `make run` starts it."""
    port = port or _free_port()
    env = {**os.environ, **(env or {}), "RUNGS_WAREHOUSE": str(warehouse)}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rungs_ui.serve",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
                *args,
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(f"http://127.0.0.1:{port}/_stcore/health", 30)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a loaded machine: Streamlit's shutdown can lag
            proc.kill()
            proc.wait(timeout=10)


# How long a clicked download stays served on the test server (rungs_ui/downloads.py): short,
# so the test that waits for it to go does not wait long.
DOWNLOAD_SECONDS = 1.0


@pytest.fixture(scope="module")
def app_url(fixture_warehouse, tmp_path_factory):
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    with serve(fixture_warehouse, log, {"RUNGS_DOWNLOAD_SECONDS": str(DOWNLOAD_SECONDS)}) as url:
        yield url


class Browser:
    """Just enough of the DevTools protocol: navigate, evaluate, resize, screenshot, type, and
    the URL of every request the page makes (`requested`)."""

    def __init__(self, profile: Path) -> None:
        from websockets.sync.client import connect

        port = _free_port()
        self.proc = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                f"--user-data-dir={profile}",
                f"--remote-debugging-port={port}",
                "--window-size=1600,1000",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for(f"http://127.0.0.1:{port}/json/version", 20)
        target = next(
            t for t in httpx.get(f"http://127.0.0.1:{port}/json/list").json() if t["type"] == "page"
        )
        self.stack = contextlib.ExitStack()
        self.ws = self.stack.enter_context(connect(target["webSocketDebuggerUrl"], max_size=None))
        self.ids = itertools.count(1)
        self.requested: list[str] = []
        self.send("Network.enable")

    def send(self, method: str, **params):
        call_id = next(self.ids)
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=60))
            if message.get("method") == "Network.requestWillBeSent":
                self.requested.append(message["params"]["request"]["url"])
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def requests(self) -> list[str]:
        """Every URL requested so far: a round trip first, which delivers the events the
        browser sent before answering it."""
        self.evaluate("0")
        return list(self.requested)

    def type_into(self, selector: str, text: str) -> None:
        """Focus the element and type, as a person would (React sees the input events)."""
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        self.send("Input.insertText", text=text)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.stack.close()
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    b = Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


# Done when the script has finished, nothing is loading, and every Vega chart has drawn.
_SETTLED = """(() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid="stSkeleton"], [data-testid="stAppSkeleton"]'))
    return false;
  const charts = [...document.querySelectorAll('.vega-embed')];
  return charts.every(c => c.querySelector('canvas, svg'));
})()"""
_EXCEPTIONS = """[...document.querySelectorAll('[data-testid="stException"]')]
  .map(e => e.innerText.slice(0, 800))"""
_CONTENT_HEIGHT = """Math.max(...[...document.querySelectorAll(
  '[data-testid="stMain"], [data-testid="stMainBlockContainer"]')].map(e => e.scrollHeight))"""


def load(browser: Browser, url: str, seconds: float = 40, animate: bool = True) -> None:
    """Open `url` and wait until it has drawn; `animate=False` skips the wait for charts to
    finish animating (for checks that read the page rather than photograph it)."""
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        width=1600,
        height=1000,
        deviceScaleFactor=1,
        mobile=False,
    )
    # Mark the current document, so the wait below knows when the new one has replaced it.
    browser.evaluate("window.__rungsPrevious = true")
    browser.send("Page.navigate", url=url)
    deadline = time.monotonic() + seconds
    while browser.evaluate("window.__rungsPrevious === true"):
        if time.monotonic() > deadline:
            pytest.fail(f"{url} did not start loading within {seconds} s")
        time.sleep(0.1)
    settle(browser, url, seconds, started=True, animate=animate)


def settle(
    browser: Browser, what: str, seconds: float = 40, started: bool = False, animate: bool = True
) -> None:
    """Wait until the app has drawn what it was asked for (a new page, or a rerun)."""
    if not started:
        time.sleep(1.0)  # let the rerun start before asking whether it settled
    deadline = time.monotonic() + seconds
    while not browser.evaluate(_SETTLED):
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not finish rendering within {seconds} s")
        time.sleep(0.1)
    if animate:
        time.sleep(0.8)  # charts animate in


def off_the_app(urls: list[str], app_url: str) -> list[str]:
    """Requests to anywhere but the app's own host and port (data: and blob: stay inside the
    page); a loopback address on another port counts as elsewhere."""
    app = urlsplit(app_url).netloc
    return [
        u for u in urls if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).netloc != app
    ]


def screenshot(browser: Browser, path: Path) -> None:
    height = min(int(browser.evaluate(_CONTENT_HEIGHT) or 1000) + 120, 7000)
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        width=1600,
        height=max(height, 1000),
        deviceScaleFactor=1,
        mobile=False,
    )
    time.sleep(0.5)  # the resized page re-lays out its charts
    data = browser.send("Page.captureScreenshot", format="png")["data"]
    path.write_bytes(base64.b64decode(data))


@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_page_renders_in_a_real_browser_without_an_exception(app_url, browser, spec):
    browser.requested.clear()
    # The default page lives at the root; its url_path would be a "page not found".
    load(browser, f"{app_url}/{'' if spec.default else spec.url_path}")
    SHOTS.mkdir(exist_ok=True)
    screenshot(browser, SHOTS / f"{spec.url_path}.png")
    assert browser.evaluate(_EXCEPTIONS) == []
    body = browser.evaluate("document.querySelector('[data-testid=\"stMain\"]').innerText")
    assert spec.title in body
    # The page icon and fonts come from the app itself, never from a CDN.
    assert browser.requested, "the Network domain records the page's requests"
    assert off_the_app(browser.requested, app_url) == []


def test_calibration_presentation_mode_hides_the_sidebar(app_url, browser):
    load(browser, f"{app_url}/calibration?present=1&anonymise=true")
    SHOTS.mkdir(exist_ok=True)
    screenshot(browser, SHOTS / "calibration-present.png")
    assert browser.evaluate(_EXCEPTIONS) == []
    sidebar_shown = browser.evaluate(
        "(() => { const s = document.querySelector('[data-testid=\"stSidebar\"]');"
        " return !!s && s.offsetWidth > 0; })()"
    )
    assert not sidebar_shown


def _csv_files(urls: list[str]) -> list[str]:
    """The CSV files among requests: Streamlit serves each at /media/<hash>.csv (the page
    icon is a /media/ file too)."""
    return [u for u in urls if re.fullmatch(r"/media/\w+\.csv", urlsplit(u).path)]


def _wait_until(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {seconds} s")
        time.sleep(0.2)
    return result


def test_a_download_exists_only_from_its_click_for_seconds(app_url, browser, tmp_path):
    browser.send("Page.setDownloadBehavior", behavior="allow", downloadPath=str(tmp_path))
    browser.requested.clear()
    load(browser, f"{app_url}/calibration")
    assert _csv_files(browser.requested) == [], "drawing the page publishes no file"

    browser.evaluate("document.querySelector('[data-testid=\"stDownloadButton\"] button').click()")
    url = _wait_until(
        lambda: _csv_files(browser.requests()),
        10,
        "the click fetched no CSV file",
    )[0]
    saved = _wait_until(
        lambda: [f for f in tmp_path.glob("*.csv") if f.stat().st_size], 10, "nothing downloaded"
    )
    # Plain export headers, ids first: the whole level, not judged people included.
    assert saved[0].read_text().startswith("Engineer id,Engineer,Team,Manager,")
    # Recorded before a byte was written: who (local mode), what, and in what scope.
    downloads = audit.recent()
    downloads = downloads.loc[downloads["action"] == "download"]
    assert downloads["target"].iloc[0].endswith(".csv")
    assert downloads[["who", "scope"]].iloc[0].tolist() == ["local", "admin: everyone"]

    # The browser leaves (its session ends); a client with no session never gets the file
    # once its seconds are up.
    browser.send("Page.navigate", url="about:blank")
    _wait_until(
        lambda: httpx.get(url).status_code == 404,
        2 * DOWNLOAD_SECONDS + 5,
        f"{url} was still served",
    )
    # Drawing the same view again, with the same rows, publishes nothing either.
    browser.requested.clear()
    load(browser, f"{app_url}/calibration")
    assert _csv_files(browser.requested) == []
    assert httpx.get(url).status_code == 404
