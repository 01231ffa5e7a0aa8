"""Text from the data is shown as text, on every page (issue 9, case 5), and downloads are not
published when a page draws (case 9).

A demo org goes through the real pipeline with an injection corpus in its names, teams,
regions, a manager's id, evidence ids and summaries and a column header. Every registered page
(the Engineer page once per person) is then run with AppTest, and every string Streamlit would
render as Markdown must hold the corpus only in escaped form; in a real browser, no page may
draw an image, a formula or a link from it, or request anything but the app itself.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path
from urllib.parse import urlencode

import duckdb
import pyarrow as pa
import pytest
from google.protobuf.message import Message

from pipelines.schemas import FORMULA_START
from rungs_ui import page, state
from rungs_ui.navigation import PAGES
from tests import test_browser
from tests.test_pages import no_errors, on_page, open_app
from tests.ui_fixtures import build_warehouse

# Loopback, but not the app: a browser that fetched one of these would show up as a request off
# the app's host and port.
PIXEL = "http://127.0.0.1:9"
CORPUS: tuple[str, ...] = (
    f"![x]({PIXEL}/pixel.png)",
    "[link](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    f'<img src="{PIXEL}/img.png">',
    "$x^2$",
    "$$\\int_0^1 f(x)\\,dx$$",
    "**bold**",
    "__under__",
    ":red[colour]",
    ":material/home:",
    ":blue-badge[badge]",
    "`code`",
    "# heading",
    "<script>alert(1)</script>",
    "&lt;b&gt;entity&lt;/b&gt;",
    "&#x3C;i&#x3E;",
    "~~strike~~",
    "> quote",
    "| a | b |",
    "- item",
    "1. item",
    "\u202eevil\u202c",  # right-to-left override: reverses what follows
    ":smile:",
    f"<{PIXEL}/auto>",
    "www.example.org",
    f"[ref]: {PIXEL}/ref.png",
    "![ref-img][ref]",
    "C:\\path\\*",
    "===",
    "long " * 400 + "**end**",
)
MANAGER_ID = f"![m]({PIXEL}/m.png)"
EXTRA_COLUMN = f"![col]({PIXEL}/col.png) $x^2$ **header**"
ID_COLUMNS = (
    "engineer_id",
    "manager_id",
    "assignee_id",
    "recorded_by",
    "from_manager_id",
    "to_manager_id",
)
# Markdown that only data could have put there: an image or link, LaTeX, HTML, an entity, a
# Streamlit colour directive, unless escaped by a backslash. (The pages' own Markdown uses
# bold, badges and :material/ icons, so those are looked for as corpus entries instead.)
# The pages' own links to the Engineer page are the one `](` allowed: their URL is built by
# rungs_ui.identity with every value percent-encoded, so no data can close it; and a link to a
# heading on the same page (`](#at-risk)`), whose anchor the page's code names.
UNESCAPED = re.compile(
    r"(?<!\\)(!\[|\]\((?!/engineer\?engineer=[\w%+.-]*[&)]|#[a-z-]+\))|\$|<|&|:red\[)"
)


def _rewrite(path: Path, change) -> None:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rows, header = change(rows)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def _people(rows: list[dict]) -> tuple[list[dict], list[str]]:
    """The whole corpus spread over the names of the people the Engineer page lists (those
    with a level, still on the team), managers named from it too; a corpus entry per team and
    per region; an extra column whose header is from the corpus."""
    listed = [r for r in rows if r["engineer_id"].startswith("E") and not r["left_on"]]
    teams = {team: CORPUS[i] for i, team in enumerate(dict.fromkeys(r["team"] for r in rows))}
    regions = {r: CORPUS[-1 - i] for i, r in enumerate(dict.fromkeys(r["region"] for r in rows))}
    for n, row in enumerate(rows):
        if row in listed:
            name = " ".join(CORPUS[listed.index(row) :: len(listed)])
        else:
            name = f"{CORPUS[n % len(CORPUS)]} Manager"
        row.update(name=name, team=teams[row["team"]], region=regions[row["region"]])
        row[EXTRA_COLUMN] = ""
    return rows, [*rows[0].keys()]


def _rename_manager(rows: list[dict]) -> tuple[list[dict], list[str]]:
    for row in rows:
        for column in ID_COLUMNS:
            if row.get(column) == "M001":
                row[column] = MANAGER_ID
    return rows, [*rows[0].keys()]


def _evidence(rows: list[dict]) -> tuple[list[dict], list[str]]:
    for n, row in enumerate(rows):
        summary = CORPUS[n % len(CORPUS)]
        # A summary that starts like a spreadsheet formula is refused at the door (its own
        # test); after a word it is text like any other, and must stay inert on the pages.
        if re.match(FORMULA_START, summary):
            summary = f"said {summary}"
        row.update(evidence_id=f"![e{n}]({PIXEL}/e{n}.png)", summary=summary)
    return _rename_manager(rows)


def make_corpus_source(demo: Path, folder: Path) -> Path:
    shutil.copytree(demo, folder)
    for path in folder.glob("*.csv"):
        _rewrite(path, _rename_manager)
    _rewrite(folder / "engineers.csv", _people)
    _rewrite(folder / "evidence.csv", _evidence)
    return folder


@pytest.fixture(scope="module")
def corpus_warehouse(demo_source, tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("corpus")
    warehouse = build_warehouse(make_corpus_source(demo_source, base / "source"), base / "wh.db")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        names = " ".join(n for (n,) in con.execute("select name from engineers").fetchall())
        managers = {m for (m,) in con.execute("select manager_id from engineers").fetchall()}
        rejected = con.execute("select count(*) from rejected_rows").fetchone()[0]
    finally:
        con.close()
    # The corpus must reach the warehouse whole, or the pages would have nothing to escape.
    assert [entry for entry in CORPUS if entry not in names] == []
    assert MANAGER_ID in managers and rejected == 0
    return warehouse


def _markdown_fields(message, found: list[str]) -> None:
    """Every string of a proto that Streamlit renders as Markdown: bodies, labels, help
    tooltips, metric deltas (options and values of a select box are plain text)."""
    for field, value in message.ListFields():
        if field.type == field.TYPE_MESSAGE:
            for item in [value] if isinstance(value, Message) else value:
                _markdown_fields(item, found)
        elif field.name in ("body", "label", "help", "delta") and isinstance(value, str):
            found.append(value)


def _table_cells(element) -> list[str]:
    """st.table renders every cell, index value and header as Markdown."""
    frame = pa.ipc.open_stream(element.proto.arrow_data.data).read_all().to_pandas()
    texts = [*map(str, frame.columns), *map(str, frame.index)]
    return texts + [v for v in frame.to_numpy().ravel() if isinstance(v, str)]


def _walk(node):
    for child in getattr(node, "children", {}).values():
        yield child
        yield from _walk(child)


def markdown_sources(at) -> list[str]:
    found: list[str] = []
    for element in [*_walk(at.main), *_walk(at.sidebar)]:
        if element.type in ("vega_lite_chart", "arrow_data_frame", "dataframe"):
            continue  # drawn as canvas and SVG text, never as Markdown
        if element.type == "table":
            found.extend(_table_cells(element))
        elif getattr(element, "proto", None) is not None:
            _markdown_fields(element.proto, found)
    return found


def people_listed(warehouse: Path) -> dict[str, str]:
    """Everyone the Engineer page lists in the latest month (with a level, still on the team):
    engineer id -> name."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return dict(
            con.execute(
                "select distinct engineer_id, name from levels join engineers using (engineer_id) "
                "where left_on is null order by 1"
            ).fetchall()
        )
    finally:
        con.close()


def every_page_run(monkeypatch, warehouse):
    """An AppTest run of every registered page, and of the Engineer page for every person."""
    for spec in PAGES:
        at = on_page(open_app(monkeypatch, warehouse), spec.script)
        no_errors(at)
        yield at
        if spec.url_path == "engineer":
            for person in people_listed(warehouse):
                at.selectbox(key=state.ENGINEER).set_value(person).run()
                no_errors(at)
                yield at


def test_text_escapes_every_markdown_construct_in_the_corpus():
    assert len(CORPUS) >= 20
    for entry in CORPUS:
        shown = page.text(entry)
        assert UNESCAPED.search(shown) is None, entry
        assert shown != entry, f"{entry!r} passes unchanged"


def test_text_keeps_a_value_on_one_line_and_drops_direction_overrides():
    assert page.text("Sam\n===\nLee\t\x1b[31m") == "Sam \\=\\=\\= Lee  \\[31m"
    assert page.text("Bo \u202eneeL\u202c Chen") == "Bo neeL Chen"


def test_text_leaves_nothing_to_link_or_turn_into_an_icon_after_the_escapes_are_read():
    # Autolinks and Streamlit's icons are found in the text once escapes are gone; an invisible
    # word joiner inside each trigger keeps the characters and breaks the pattern.
    joiner = "\u2060"
    assert page.text("see http://127.0.0.1:9/x") == f"see http\\:{joiner}//127\\.0\\.0\\.1\\:9/x"
    assert page.text("www.example.org") == f"www{joiner}\\.example\\.org"
    assert page.text("sam@example.com") == f"sam@{joiner}example\\.com"
    assert page.text(":material/home:") == f"\\:{joiner}material/home\\:"
    assert page.text("12:30") == "12\\:30", "a colon before a digit triggers nothing"


def test_every_page_shows_the_corpus_as_text(monkeypatch, corpus_warehouse):
    sources = [
        s for at in every_page_run(monkeypatch, corpus_warehouse) for s in markdown_sources(at)
    ]
    leaks = sorted({m.group(0) for s in sources for m in UNESCAPED.finditer(s)})
    assert leaks == []
    # An escaped "\# heading" still holds "# heading": look past the escaped copies.
    raw = sorted({e[:40] for e in CORPUS for s in sources if e in s.replace(page.text(e), "")})
    assert raw == [], "a corpus entry reached Markdown unescaped"
    shown = "\n".join(sources)
    assert [e[:40] for e in CORPUS if page.text(e) not in shown] == [], "every entry was shown"
    assert page.text(EXTRA_COLUMN) in shown  # the build's note on Data health names it


def test_downloads_are_made_on_click_not_published_when_the_page_draws(
    monkeypatch, fixture_warehouse
):
    at = on_page(open_app(monkeypatch, fixture_warehouse), "pages/calibration/calibration.py")
    no_errors(at)
    buttons = at.get("download_button")
    assert buttons, "the calibration page offers its download"
    assert [b.proto.url for b in buttons] == [""] * len(buttons)
    assert all(b.proto.deferred_file_id for b in buttons)


@pytest.fixture(scope="module")
def corpus_app(corpus_warehouse, tmp_path_factory):
    if test_browser.CHROMIUM is None:
        pytest.skip("no Chromium installed; `.ci/run` installs it (apt-get install chromium)")
    log = tmp_path_factory.mktemp("corpus-streamlit") / "streamlit.log"
    with test_browser.serve(corpus_warehouse, log) as url:
        yield url


@pytest.fixture(scope="module")
def corpus_browser(corpus_app, tmp_path_factory):
    b = test_browser.Browser(tmp_path_factory.mktemp("corpus-chromium"))
    yield b
    b.close()


def _corpus_urls(corpus_warehouse) -> list[str]:
    """Every page, and the Engineer page for each person, linked by id."""
    pages = ["" if p.default else p.url_path for p in PAGES]
    ids = people_listed(corpus_warehouse)
    return [*pages, *(f"engineer?{urlencode({state.ENGINEER: eid})}" for eid in ids)]


# What the corpus would turn into if rendered: images and links off the app, formulas, and
# elements (bold, heading, list item, quote, code, coloured text) holding just a corpus word.
_RENDERED_WORDS = (
    *("bold", "under", "strike", "heading", "quote", "code", "item", "colour", "badge"),
    "home",  # :material/home: drawn as an icon
)
_DRAWN_FROM_DATA = """((words) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const own = location.origin + '/';
  const tags = 'strong, em, del, h1, h2, h3, h4, h5, h6, blockquote, code, li, span';
  return {
    images: [...app.querySelectorAll('img')].map(i => i.src)
      .filter(s => !s.startsWith(own) && !s.startsWith('data:')),
    links: [...app.querySelectorAll('a')].map(a => a.href).filter(h => !h.startsWith(own)),
    formulas: app.querySelectorAll('.katex, math').length,
    rendered: [...app.querySelectorAll(tags)].map(e => e.innerText.trim())
      .filter(t => words.includes(t)),
  };
})"""


_MARKDOWN_TEXT = """[...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
  .map(e => e.textContent).join('\\n')"""


@pytest.mark.browser
def test_no_page_draws_or_fetches_anything_the_corpus_names(
    corpus_app, corpus_browser, corpus_warehouse
):
    read = ""
    for path in _corpus_urls(corpus_warehouse):
        corpus_browser.requested.clear()
        test_browser.load(corpus_browser, f"{corpus_app}/{path}", animate=False)
        assert corpus_browser.evaluate(test_browser._EXCEPTIONS) == [], path
        drawn = corpus_browser.evaluate(f"{_DRAWN_FROM_DATA}({json.dumps(_RENDERED_WORDS)})")
        assert drawn == {"images": [], "links": [], "formulas": 0, "rendered": []}, path
        off = test_browser.off_the_app(corpus_browser.requests(), corpus_app)
        assert off == [], path
        read += corpus_browser.evaluate(_MARKDOWN_TEXT)
    # Shown as written: where the corpus went through Markdown, a reader sees its characters
    # (direction overrides dropped; the word joiners that stop autolinks are invisible).
    read = read.replace("\u2060", "")
    expected = [re.sub("[\u202a-\u202e]", "", entry) for entry in CORPUS]
    assert [e[:40] for e in expected if e not in read] == []
