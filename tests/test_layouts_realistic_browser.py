"""Layouts at an org's real size: every registered page on a demo org of 200 engineers (20
teams, about 60 people at the busiest level), at 1366x768 and 1920x1080 and in presentation
mode, measured in a real browser (Playwright driving the system Chromium).

On each page and size:
- nothing sticks out of its container or the window (the checks of test_layouts_browser.py);
- no chart label is cut short with an ellipsis (axis, legend and text marks), no text of a chart
  is drawn over another text of it (bar labels printed over each other, crowded axis labels),
  and every legend is readable: at most MAX_LEGEND_ENTRIES entries, labels of
  MIN_LEGEND_PX px or more at 1920;
- no cell of a static table is cut with an ellipsis.

The charts are read from Vega's own scenegraph (the marks it drew, their roles, text, font size,
width limit and bounds), whatever the renderer, canvas or svg. Vega keeps its views inside the
page's bundle; a script run before the page's own records each one as it is made (a view is
the only object that sets `_scenegraph`).

Screenshots land in screenshots/realistic-<page>-<1366|1920|present>.png to look at. One
server and one browser for the file; each page is a test of its own so a failure names it.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from rungs_ui.navigation import PAGES
from tests.test_browser import _EXCEPTIONS, CHROMIUM, SHOTS, serve
from tests.test_layouts_browser import _CONTENT_HEIGHT, _OVERFLOWS
from tests.ui_fixtures import build_warehouse, make_demo_source

pytestmark = pytest.mark.browser

ENGINEERS = 200
MONTHS = 24
SIZES = {"1366": (1366, 768, ""), "1920": (1920, 1080, ""), "present": (1920, 1080, "?present=1")}
MIN_LEGEND_PX = 12
MAX_LEGEND_ENTRIES = 12
# Two texts closer than this (px, both ways) are not "over" each other: Vega's text bounds
# include a little room around the glyphs.
OVERLAP_PX = 2

# Run before the page's scripts: note every Vega view as it is constructed.
_RECORD_VIEWS = """(() => {
  const views = window.__rungsVegaViews = [];
  Object.defineProperty(Object.prototype, '_scenegraph', {
    configurable: true,
    set(value) {
      Object.defineProperty(this, '_scenegraph',
        {value, writable: true, configurable: true, enumerable: true});
      views.push(this);
    },
  });
})();"""

# Done when the page's title is drawn, the script has finished, nothing is loading, and every
# Vega chart has drawn.
_SETTLED = """(title) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid="stSkeleton"], [data-testid="stAppSkeleton"]'))
    return false;
  const main = document.querySelector('[data-testid="stMain"]');
  if (!main || !main.innerText.includes(title)) return false;
  return [...document.querySelectorAll('.vega-embed')].every(c => c.querySelector('canvas, svg'));
}"""

# Every chart's texts from its scenegraph: truncated ones, ones drawn over another, and legends.
_CHART_TEXT = """(overlapPx) => {
  const latest = new Map();  // the chart element -> its newest live view
  for (const v of window.__rungsVegaViews || []) {
    const el = v._el && v._el.isConnected && (v._el.closest('.vega-embed') || v._el);
    if (el) latest.set(el, v);
  }
  const measure = document.createElement('canvas').getContext('2d');
  const width = (item, text) => {
    measure.font = [item.fontStyle, item.fontVariant, item.fontWeight].filter(Boolean).join(' ')
      + ' ' + (item.fontSize ?? 11) + 'px ' + (item.font || 'sans-serif');
    return measure.measureText(text).width;
  };
  const charts = [];
  [...latest.entries()].forEach(([el, view], chart) => {
    const texts = [], legends = [];
    const walk = (mark, ox, oy, legend) => {
      if (mark.role === 'legend') legend = null;
      for (const item of mark.items || []) {
        if (mark.marktype === 'group') {
          let own = legend;
          if (mark.role === 'legend') { own = {labels: [], sizes: []}; legends.push(own); }
          for (const child of item.items || [])
            walk(child, ox + (item.x || 0), oy + (item.y || 0), own);
        } else if (mark.marktype === 'text') {
          const text = [].concat(item.text ?? '').join(' ').trim();
          if (!text || item.opacity === 0 || item.fillOpacity === 0 || !item.bounds) continue;
          const b = item.bounds;
          const cut = item.limit > 0 && width(item, text) > item.limit + 0.5;
          texts.push({role: mark.role, text, cut, size: item.fontSize ?? 11,
            x1: ox + b.x1, y1: oy + b.y1, x2: ox + b.x2, y2: oy + b.y2});
          if (legend && mark.role === 'legend-label') {
            legend.labels.push(text); legend.sizes.push(item.fontSize ?? 11);
          }
        }
      }
    };
    walk(view._scenegraph.root, 0, 0, null);
    const over = [];
    for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
      const a = texts[i], b = texts[j];
      const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
      const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
      const same = a.text === b.text && Math.abs(a.x1 - b.x1) < 1 && Math.abs(a.y1 - b.y1) < 1;
      if (w > overlapPx && h > overlapPx && !same)
        over.push(`"${a.text}" (${a.role}) over "${b.text}" (${b.role})`);
    }
    const title = (el.closest('[data-testid="stVegaLiteChart"]') || el).getAttribute('aria-label')
      || (view.description && view.description()) || '';
    charts.push({chart, title: String(title).slice(0, 60), texts: texts.length,
      cut: texts.filter(t => t.cut).map(t => `${t.role}: ${t.text}`),
      over, legends});
  });
  return {charts, views: latest.size, embeds: document.querySelectorAll('.vega-embed').length};
}"""

# Static-table cells (or anything in them) cut short.
_TABLE_CUTS = """[...document.querySelectorAll('[data-testid="stTable"] :is(th, td)')]
  .filter(c => [c, ...c.querySelectorAll('*')].some(e => e.clientWidth > 0
     && e.scrollWidth > e.clientWidth + 1
     && getComputedStyle(e).overflowX !== 'visible'))
  .map(c => c.innerText.slice(0, 60))"""


@pytest.fixture(scope="module")
def realistic_warehouse(tmp_path_factory):
    folder = tmp_path_factory.mktemp("realistic")
    source = make_demo_source(folder / "demo", engineers=ENGINEERS, months=MONTHS)
    return build_warehouse(source, folder / "warehouse.duckdb")


@pytest.fixture(scope="module")
def app_url(realistic_warehouse, tmp_path_factory):
    log = tmp_path_factory.mktemp("realistic-serve") / "streamlit.log"
    with serve(realistic_warehouse, log) as url:
        yield url


@pytest.fixture(scope="module")
def page():
    if CHROMIUM is None:
        pytest.skip("no Chromium installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        context.add_init_script(_RECORD_VIEWS)
        yield context.new_page()
        browser.close()


_STATE = """() => ({
  script: document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state'),
  loading: document.querySelectorAll('[data-testid="stSkeleton"], [data-testid="stAppSkeleton"]')
    .length,
  main: (document.querySelector('[data-testid="stMain"]')?.innerText || '').slice(0, 120),
  undrawn: [...document.querySelectorAll('.vega-embed')]
    .filter(c => !c.querySelector('canvas, svg')).length,
})"""


def _settle(page, title: str) -> None:
    try:
        page.wait_for_function(_SETTLED, arg=title, timeout=90_000, polling=200)
    except PlaywrightTimeout:
        pytest.fail(f"{page.url} did not settle: {page.evaluate(_STATE)}")
    page.wait_for_timeout(700)  # Vega lays out again on a resize; charts animate in


def _look(page, spec, size: str) -> list[str]:
    """Everything wrong with the page as drawn now, and a full-height screenshot of it."""
    width, height, _ = SIZES[size]
    found = [f"exception: {e}" for e in page.evaluate(_EXCEPTIONS)]
    found += [f"overflow: {o['what']} by {o['by']} px" for o in page.evaluate(_OVERFLOWS)]
    found += [f"table cell cut: {c}" for c in page.evaluate(_TABLE_CUTS)]
    drawn = page.evaluate(_CHART_TEXT, OVERLAP_PX)
    if drawn["views"] != drawn["embeds"]:
        found.append(f"{drawn['embeds']} charts but {drawn['views']} Vega views read")
    for c in drawn["charts"]:
        name = f"chart {c['chart']} {c['title']}".strip()
        if not c["texts"]:  # every chart has axis or legend labels: the reader is broken
            found.append(f"{name}: no text read from its scenegraph")
        found += [f"{name}: label cut: {t}" for t in c["cut"]]
        found += [f"{name}: text over text: {o}" for o in c["over"][:5]]
        for legend in c["legends"]:
            if len(legend["labels"]) > MAX_LEGEND_ENTRIES:
                found.append(f"{name}: legend of {len(legend['labels'])} entries")
            small = sorted({s for s in legend["sizes"] if s < MIN_LEGEND_PX})
            if width >= 1920 and small:
                found.append(f"{name}: legend labels at {small} px")
    tall = min(int(page.evaluate(_CONTENT_HEIGHT) or height) + 120, 9000)
    page.set_viewport_size({"width": width, "height": max(tall, height)})
    page.wait_for_timeout(400)
    page.screenshot(path=SHOTS / f"realistic-{spec.url_path}-{size}.png")
    return found


@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_page_holds_at_an_orgs_real_size(app_url, page, spec):
    SHOTS.mkdir(exist_ok=True)
    # The default page lives at the root; its url_path would be a "page not found".
    url = f"{app_url}/{'' if spec.default else spec.url_path}"
    problems = {}
    for size, (width, height, query) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        if size != "1920":  # 1920 is the 1366 page resized: layouts are CSS and Vega's resizing
            page.goto(url + query)
        _settle(page, spec.title)
        if found := _look(page, spec, size):
            problems[size] = found
    assert problems == {}, "\n".join(
        f"{spec.url_path} @ {size}: {line}" for size, lines in problems.items() for line in lines
    )
