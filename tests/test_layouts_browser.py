"""Layouts that hold: every registered page, at the widths people open it at, measured in a real
browser. Nothing may stick out of its container or the window sideways, no chart may be drawn
wider than the box it sits in (it would be clipped), no tile text may be cut off with an
ellipsis; and in presentation mode at 1920 px numbers are large, every table is a static one
whose text (headers and links too) is 20 px or more, and no table scrolls inside itself.
Screenshots land in screenshots/layout-<page>-<width>.png to look at.

Lean on purpose: one server and one browser for the file, each page loaded once and then
resized through the widths (layouts are CSS and Vega's own resizing, so a resize is all a
width change needs), and the whole walk is one test so the cost is paid once.
"""

from __future__ import annotations

import base64
import time

import pytest

from rungs_ui.navigation import PAGES
from tests.test_browser import _EXCEPTIONS, SHOTS, Browser, serve, settle

WIDTHS = (1024, 1280, 1366, 1600, 1920)
HEIGHT = 1000
PRESENT_WIDTH = 1920

# Every way an element can stick out, as {what, by} records (px); a pixel of rounding allowed.
_OVERFLOWS = """(() => {
  const out = [];
  const tag = e => (e.dataset.testid || e.className || e.tagName).toString().slice(0, 60);
  const wider = (e, what) => {
    if (e.scrollWidth > e.clientWidth + 1)
      out.push({what: what + ' ' + tag(e), by: e.scrollWidth - e.clientWidth});
  };
  const vw = document.documentElement.clientWidth;
  wider(document.documentElement, 'page');
  document.querySelectorAll('[data-testid="stMain"], [data-testid="stMainBlockContainer"]')
    .forEach(e => wider(e, 'main'));
  const main = document.querySelector('[data-testid="stMainBlockContainer"]');
  const edge = main.getBoundingClientRect().right + 1;
  // A chart's drawing (canvas or svg) against the chart element and the window.
  document.querySelectorAll('.vega-embed').forEach((embed, i) => {
    const box = embed.parentElement.getBoundingClientRect();
    wider(embed, 'chart ' + i);
    embed.querySelectorAll('canvas, svg.marks').forEach(d => {
      const r = d.getBoundingClientRect();
      const room = Math.min(box.right, edge, vw);
      if (r.right > room + 1) out.push({what: 'chart ' + i + ' drawing', by: r.right - room});
    });
  });
  // Tiles: the number, its label and its delta each fit (no ellipsis, nothing outside).
  document.querySelectorAll('[data-testid="stMetric"]').forEach(m => {
    const label = (m.innerText.split('\\n')[0] || '').slice(0, 30);
    m.querySelectorAll('*').forEach(e => {
      if (e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1)
        out.push({what: 'tile text "' + label + '"', by: e.scrollWidth - e.clientWidth});
    });
    if (m.getBoundingClientRect().right > edge) out.push({what: 'tile "' + label + '"', by: -1});
  });
  // Anything else in the page that ends right of the main block.
  main.querySelectorAll('[data-testid]').forEach(e => {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > edge)
      out.push({what: 'element ' + tag(e), by: Math.round(r.right - edge)});
  });
  return out;
})()"""

# Presentation mode: the big numbers and the table type, and any table that scrolls inside.
_PRESENTATION = """(() => {
  const px = s => parseFloat(getComputedStyle(s).fontSize);
  // The size the number is drawn at: that of the innermost element holding its text.
  const values = [...document.querySelectorAll('[data-testid="stMetricValue"]')]
    .map(v => px([...v.querySelectorAll('*')].filter(e => e.innerText).pop() || v));
  // Every text of a static table, headers and links included, at the size it is drawn.
  const cells = [...document.querySelectorAll('[data-testid="stTable"] :is(th, td)')]
    .flatMap(c => [c, ...c.querySelectorAll('*')].filter(e => e.innerText).map(px));
  // An interactive table draws its cells on a canvas in small type whatever the CSS says.
  const interactive = document.querySelectorAll('[data-testid="stDataFrame"]').length;
  // A table that scrolls inside itself hides rows: the interactive one's scroller, or any
  // box around or in a static table.
  const scrolling = [...document.querySelectorAll(
      '[data-testid="stDataFrame"] .dvn-scroller, [data-testid="stTable"], ' +
      '[data-testid="stTable"] *')]
    .filter(s => s.scrollHeight > s.clientHeight + 1).length;
  const main = document.querySelector('[data-testid="stMainBlockContainer"]').clientWidth;
  // The room each chart is given (a chart of three panels may draw narrower than that).
  const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
    .map(c => c.closest('[data-testid="stVerticalBlock"]').clientWidth / main);
  return {values, cells, interactive, scrolling, charts};
})()"""

_CONTENT_HEIGHT = """Math.max(...[...document.querySelectorAll(
  '[data-testid="stMain"], [data-testid="stMainBlockContainer"]')].map(e => e.scrollHeight))"""


@pytest.fixture(scope="module")
def app_url(fixture_warehouse, tmp_path_factory):
    with serve(fixture_warehouse, tmp_path_factory.mktemp("layouts") / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    b = Browser(tmp_path_factory.mktemp("chromium-layouts"))
    yield b
    b.close()


def _size(browser: Browser, width: int, height: int = HEIGHT) -> None:
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        width=width,
        height=height,
        deviceScaleFactor=1,
        mobile=False,
    )


def _open(browser: Browser, url: str, width: int) -> None:
    _size(browser, width)
    browser.evaluate("window.__rungsPrevious = true")
    browser.send("Page.navigate", url=url)
    deadline = time.monotonic() + 40
    while browser.evaluate("window.__rungsPrevious === true"):
        assert time.monotonic() < deadline, f"{url} did not start loading"
        time.sleep(0.1)
    settle(browser, url, started=True, animate=False)


def _at_width(browser: Browser, width: int, shot: str) -> list[dict]:
    """Resize to `width`, let charts re-lay out, photograph the whole page and measure it."""
    _size(browser, width)
    time.sleep(0.6)  # Vega re-renders on the resize observer; columns are plain CSS
    height = min(int(browser.evaluate(_CONTENT_HEIGHT) or HEIGHT) + 120, 7000)
    _size(browser, width, max(height, HEIGHT))
    time.sleep(0.4)
    data = browser.send("Page.captureScreenshot", format="png")["data"]
    (SHOTS / f"{shot}.png").write_bytes(base64.b64decode(data))
    return browser.evaluate(_OVERFLOWS)


def _url(app_url: str, spec, query: str = "") -> str:
    # The default page lives at the root; its url_path would be a "page not found".
    return f"{app_url}/{'' if spec.default else spec.url_path}{query}"


def _listed(problems: dict) -> str:
    return "\n".join(f"{where}: {found}" for where, found in problems.items())


def test_every_page_holds_its_layout_at_every_width(app_url, browser):
    SHOTS.mkdir(exist_ok=True)
    problems = {}
    for spec in PAGES:
        _open(browser, _url(app_url, spec), WIDTHS[0])
        if failed := browser.evaluate(_EXCEPTIONS):
            problems[spec.url_path] = failed
        for width in WIDTHS:
            found = _at_width(browser, width, f"layout-{spec.url_path}-{width}")
            if found:
                problems[f"{spec.url_path} @ {width}"] = found
    assert problems == {}, _listed(problems)


def test_presentation_mode_is_large_full_width_and_never_scrolls_inside(app_url, browser):
    SHOTS.mkdir(exist_ok=True)
    problems, seen = {}, {}
    for spec in PAGES:
        _open(browser, _url(app_url, spec, "?present=1"), PRESENT_WIDTH)
        found = browser.evaluate(_EXCEPTIONS)
        found += _at_width(browser, PRESENT_WIDTH, f"layout-{spec.url_path}-present")
        if found:
            problems[spec.url_path] = found
        seen[spec.url_path] = browser.evaluate(_PRESENTATION)
    assert problems == {}, _listed(problems)
    for where, page in seen.items():
        small = sorted({c for c in page["cells"] if c < 20})
        found = [
            page["scrolling"] and f"{page['scrolling']} boxes of a table scroll inside",
            page["interactive"] and f"{page['interactive']} interactive tables (small type)",
            small and f"table text at {small} px",
            any(v < 48 for v in page["values"]) and f"tile numbers {page['values']}",
            any(w <= 0.9 for w in page["charts"]) and f"chart widths {page['charts']}",
        ]
        if found := [f for f in found if f]:
            problems[where] = found
    assert problems == {}, _listed(problems)
    # The calibration room's grid: one chart, the whole width (every person is a row of it;
    # tests/test_calibration_page.py checks who is in it).
    assert seen["calibration"]["charts"], "the calibration grid is drawn"
