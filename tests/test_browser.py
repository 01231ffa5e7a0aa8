"""Real-browser smoke test: every registered page renders in headless Chromium without a
Streamlit exception box, and leaves a full-height screenshot in screenshots/ to look at.

Chromium is driven over the DevTools protocol (websockets ships with Streamlit) because a page
is only drawn after the app's own websocket delivers it, which a plain --screenshot run does
not wait for.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

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
def serve(warehouse: Path, log: Path):
    """The dashboard on a free localhost port, started the way `make run` starts it."""
    port = _free_port()
    env = {**os.environ, "RUNGS_WAREHOUSE": str(warehouse)}
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
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def app_url(fixture_warehouse, tmp_path_factory):
    with serve(fixture_warehouse, tmp_path_factory.mktemp("streamlit") / "streamlit.log") as url:
        yield url


class Browser:
    """Just enough of the DevTools protocol: navigate, evaluate, resize, screenshot."""

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

    def send(self, method: str, **params):
        call_id = next(self.ids)
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=60))
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

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


def load(browser: Browser, url: str, seconds: float = 40) -> None:
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        width=1600,
        height=1000,
        deviceScaleFactor=1,
        mobile=False,
    )
    browser.send("Page.navigate", url=url)
    time.sleep(1.0)  # let the new document replace the old before asking whether it settled
    deadline = time.monotonic() + seconds
    while not browser.evaluate(_SETTLED):
        if time.monotonic() > deadline:
            pytest.fail(f"{url} did not finish rendering within {seconds} s")
        time.sleep(0.3)
    time.sleep(0.8)  # charts animate in


def screenshot(browser: Browser, path: Path) -> None:
    height = min(int(browser.evaluate(_CONTENT_HEIGHT) or 1000) + 120, 7000)
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        width=1600,
        height=max(height, 1000),
        deviceScaleFactor=1,
        mobile=False,
    )
    time.sleep(1.0)
    data = browser.send("Page.captureScreenshot", format="png")["data"]
    path.write_bytes(base64.b64decode(data))


@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_page_renders_in_a_real_browser_without_an_exception(app_url, browser, spec):
    # The default page lives at the root; its url_path would be a "page not found".
    load(browser, f"{app_url}/{'' if spec.default else spec.url_path}")
    SHOTS.mkdir(exist_ok=True)
    screenshot(browser, SHOTS / f"{spec.url_path}.png")
    assert browser.evaluate(_EXCEPTIONS) == []
    body = browser.evaluate("document.querySelector('[data-testid=\"stMain\"]').innerText")
    assert spec.title in body


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


def test_shared_link_as_first_request_after_start_opens_its_page(
    fixture_warehouse, browser, tmp_path
):
    # A fresh server whose very first visitor follows a link to a page other than the default.
    with serve(fixture_warehouse, tmp_path / "streamlit.log") as url:
        load(browser, f"{url}/calibration?present=1")
        assert browser.evaluate(_EXCEPTIONS) == []
        text = browser.evaluate("document.body.innerText")
        assert "Page not found" not in text
        main = browser.evaluate("document.querySelector('[data-testid=\"stMain\"]').innerText")
        assert "Calibration" in main
