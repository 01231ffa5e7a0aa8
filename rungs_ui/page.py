"""What every page does the same way: its context, header, charts, downloads and the messages
shown when the warehouse cannot answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

import altair as alt
import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from pipelines.access import Scope
from pipelines.spreadsheet import safe_csv
from rungs_ui import (
    access,
    downloads,
    formats,
    identity,
    navigation,
    queries,
    state,
    theme,
    workbook,
)
from rungs_ui.queries import Filters, FrameworkView
from rungs_ui.warehouse import Warehouse, WarehouseUnavailable, build_command

_CONTEXT_KEY = "_rungs_page_context"

# Flag column of `readiness` -> how the dashboard names it.
FLAGS = {
    "promotion_ready": "Promotion-ready",
    "near_window": "Near a promotion window",
    "in_band_candidate": "In-band raise candidate",
    "at_risk": "At risk",
}
# The same flags in a word or two, where a panel title has room for little more than a name.
FLAGS_SHORT = {
    "promotion_ready": "ready",
    "near_window": "near",
    "in_band_candidate": "in-band",
    "at_risk": "at risk",
}
_FLAG_COLOURS = {
    "promotion_ready": "green",
    "near_window": "blue",
    "in_band_candidate": "violet",
    "at_risk": "orange",
}


@dataclass(frozen=True)
class PageContext:
    wh: Warehouse
    fw: FrameworkView
    filters: Filters
    present: bool
    spec: navigation.PageSpec
    # Who is looking: pages read it to say so and for the audit trail; what they may see is
    # already bound into `wh`.
    scope: Scope


def set_context(ctx: PageContext) -> None:
    st.session_state[_CONTEXT_KEY] = ctx


def context() -> PageContext:
    """The warehouse, framework and filters dashboard.py prepared for this run."""
    ctx = st.session_state.get(_CONTEXT_KEY)
    if ctx is None:
        st.info("Open the dashboard with `streamlit run dashboard.py`; pages run inside it.")
        st.stop()
    return ctx


def header(ctx: PageContext) -> None:
    """The page's title and question, as registered in rungs_ui.navigation, and the switch in
    and out of presentation mode (`?present=1`), the same on every page."""
    st.html(_LAYOUT_CSS)
    # The switch takes the width of its words and the title the rest; in a narrow window the
    # switch wraps below the title rather than being cut off.
    with st.container(horizontal=True, vertical_alignment="center"):
        st.title(ctx.spec.title)
        presentation_switch(ctx.present)
    st.caption(ctx.spec.question)


def presentation_switch(present: bool) -> None:
    if present:
        if st.button("Leave presentation mode", icon=":material/close_fullscreen:"):
            del st.query_params[state.PRESENT]
            st.rerun()
    elif st.button(
        "Presentation mode",
        icon=":material/present_to_all:",
        help="Large type, full-width charts, every table row shown and no sidebar, for a "
        "shared screen (?present=1).",
    ):
        st.query_params[state.PRESENT] = "1"
        st.rerun()


def require(ctx: PageContext, *tables: str) -> None:
    """Stop the page with the command to run when this build lacks tables the page reads."""
    missing = [t for t in tables if t not in ctx.wh.tables]
    if missing:
        st.info(
            f"This build has no {', '.join(missing)} table yet, so this page has nothing to "
            f"show. Rebuild with `{build_command(ctx.wh.path)}` once the pipeline writes it."
        )
        st.stop()


def require_people(ctx: PageContext) -> None:
    """Stop the page when the filters leave nobody in view, saying so: "nobody is a candidate"
    would wrongly read as a finding about people who are simply filtered out."""
    if queries.roster(ctx.wh, ctx.filters).empty:
        st.info(
            f"No one matches these filters in {month_label(ctx.filters.month)}. Widen the "
            "team, region, manager or level filters in the sidebar, or pick another month."
        )
        st.stop()


def show_unavailable(exc: WarehouseUnavailable) -> None:
    st.warning(f"**The warehouse can't be read.** {text(exc.problem)}")
    st.markdown(exc.fix)


def chart(ctx: PageContext, figure: alt.TopLevelMixin, key: str | None = None, on_select="ignore"):
    """Draw with our own Altair theme (Streamlit's would replace the level colours). With
    `on_select` ("rerun" or a callback) the chart's selections come back, as from
    st.altair_chart."""
    if ctx.present:
        figure = theme.for_presentation(figure)
    return st.altair_chart(figure, theme=None, width="stretch", key=key, on_select=on_select)


def csv_bytes(df: pd.DataFrame) -> bytes:
    return safe_csv(df).encode("utf-8")


def evidence_columns() -> dict:
    """How every evidence table names its columns (the Engineer and Evidence pages)."""
    return {
        "observed_on": st.column_config.TextColumn("Observed")  # a month when anonymised
        if identity.current().anonymised
        else st.column_config.DateColumn("Observed", format="D MMM YYYY"),
        "category": "Category",
        "level": "Level",
        "kind": "Kind",
        "summary": st.column_config.TextColumn("Summary", width="large"),
        "link": st.column_config.LinkColumn("Link", display_text="open"),
        "source": "Source",
        "recorded_by": "Recorded by",
    }


def download(df: pd.DataFrame, label: str, what: str, key: str) -> None:
    """A CSV download of `df`, written only when clicked (see rungs_ui.downloads), and
    recorded in the audit log with who clicked and their scope before a byte is written.
    `what` names the page (and any choice of its own, such as a level); the file name adds
    the as-of month and the sidebar's filters, and the columns get their export headers."""
    who = identity.current()
    ctx = context()  # the click is answered outside this run
    # A copy (the page may go on changing its frame; the download is this view), with people
    # shown as the page shows them: letters, months and no ids when anonymised.
    frame = downloads.for_export(who.whole(df))
    file_name = downloads.file_name(what, ctx.filters, anonymised=who.anonymised)

    def make() -> bytes:
        access.record(ctx.scope, "download", file_name)
        return csv_bytes(frame)

    _download_button(label, make, file_name, "text/csv", key)


def download_workbook(ctx: PageContext, label: str, key: str) -> None:
    """The Promotions, In-band raises and At risk lists as one .xlsx (rungs_ui.workbook), in
    the filters and Anonymise mode of this view, audited like every download."""
    who = identity.current()
    tables = workbook.sheets(ctx.wh, ctx.filters, who)
    file_name = downloads.file_name(
        "flags", ctx.filters, anonymised=who.anonymised, extension="xlsx"
    )

    def make() -> bytes:
        access.record(ctx.scope, "download", file_name)
        return workbook.workbook_bytes(tables)

    _download_button(
        label,
        make,
        file_name,
        _XLSX,
        key,
        tip="One sheet each, with the reason for every flag, for everyone the sidebar's "
        "filters leave in view (the Find box narrows only this page's tables).",
    )


_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download_packet(ctx: PageContext, engineer_id: str, key: str) -> None:
    """One engineer's case packet as a PDF (rungs_ui.packet), typeset on click from the rows
    this page shows, in the viewer's scope, and audited like every download. The file is named
    by id and month only: sidebar filters do not change a packet."""
    from pipelines.access.scope import CALIBRATING_ROLES

    file_name = downloads.file_name(
        f"packet-{engineer_id}", Filters(month=ctx.filters.month), anonymised=False, extension="pdf"
    )
    # The fairness lens shows the whole org's figures: admins and leadership only (issue 15).
    fairness = ctx.scope.role in CALIBRATING_ROLES and st.checkbox(
        "Include the fairness appendix",
        key=f"{key}_fairness",
        help="Adds evidence documentation skew by manager and flag, decision and evidence "
        "rates by team, manager and other groupings over the last 12 months (small groups "
        "withheld).",
    )

    def make() -> bytes:
        # typst and vl-convert load with the first packet, not with every page.
        from rungs_ui import packet

        appendix = packet.Appendix(fairness=True) if fairness else None
        target = f"{file_name} (fairness appendix)" if fairness else file_name
        access.record(ctx.scope, "download", target)
        return packet.engineer_packet(ctx.wh, engineer_id, ctx.filters.month, appendix)

    _download_button(
        "Case packet (PDF)",
        make,
        file_name,
        "application/pdf",
        key,
        tip="Two to four printable pages: flags and reasons, counters, the level shown per "
        "category and month, the metric charts against the bars, evidence and decisions.",
    )


def _download_button(
    label: str, make, file_name: str, mime: str, key: str, tip: str | None = None
) -> None:
    st.download_button(
        label,
        downloads.made_on_click(make),
        file_name=file_name,
        mime=mime,
        key=key,
        icon=":material/download:",
        on_click="ignore",
        help=tip,
    )


def flags_of(row: pd.Series) -> list[str]:
    return [name for name in FLAGS if bool(row.get(name, False))]


def flag_badges(row: pd.Series) -> None:
    """Each raised flag as a badge, followed by the reason sentence that explains it."""
    raised = flags_of(row)
    if not raised:
        st.markdown(f":gray-badge[No flag] {_reason(row)}")
        return
    st.markdown(f"{_badges(raised)} {_reason(row)}")


def reason_lines(
    rows: pd.DataFrame, label_column: str = "name", detail_column: str | None = None
) -> None:
    """Each person's flags and reason sentence as a line of text: tables cut long sentences
    off, and these are meant to be read aloud. The label links to the person's Engineer page
    (by id, rungs_ui.identity), and the reason is scrubbed when anonymised. `detail_column`
    holds Markdown the caller made safe (page.text), put after the label.

    One Markdown block, a paragraph per person: the browser draws one element instead of one
    per person (100 lines: 0.75 s less to settle a reload, measured by benchmarks.browser)."""
    who = identity.current()
    lines = []
    for _, row in rows.iterrows():
        label = f"**{text(row[label_column])}**"
        if "engineer_id" in row:
            label = f"[{label}]({who.link(row['engineer_id'])})"
        if detail_column:
            label = f"{label} {row[detail_column]}"
        lines.append(f"{label} {_badges(flags_of(row))} {_reason(row)}")
    if lines:
        st.markdown("\n\n".join(lines))


def _badges(raised: list[str]) -> str:
    return " ".join(f":{_FLAG_COLOURS[f]}-badge[{FLAGS[f]}]" for f in raised)


def _reason(row: pd.Series) -> str:
    """The reason sentence as text: it quotes categories, levels and evidence ids from the
    data, scrubbed of names, ids and days when anonymised."""
    return text(identity.current().scrub(row.get("reason") or ""))


def linked_option(value: str | None, ids: list[str], labels: dict[str, str]) -> str | None:
    """The person a link names: by id, or by the label an older link carried; None when the
    link names nobody in view."""
    if value in ids:
        return value
    by_label = {label: eid for eid, label in labels.items()}
    return by_label.get(value)


def person_labels(ids: pd.Series) -> pd.Series:
    """How to draw each person (rungs_ui.identity decides: a name told apart from a namesake,
    or a letter when anonymised), so a chart never merges two people into one row."""
    who = identity.current()
    return ids.map(who.person)


def flag_text(row: pd.Series) -> str:
    return ", ".join(FLAGS[f] for f in flags_of(row)) or "—"


def plain(value) -> str:
    """A cell as short text for a tooltip: lists joined, numbers to a few digits, gaps as —."""
    if isinstance(value, list | tuple) or hasattr(value, "tolist"):
        items = list(value.tolist() if hasattr(value, "tolist") else value)
        return ", ".join(map(str, items)) or "—"
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


# Characters that Markdown, LaTeX ($), HTML (< and &, entities included) or Streamlit's
# :colour[...] / :material/...: directives would interpret, and = (a line of them turns the line
# above into a heading); escaped, a value from the data is shown exactly as written.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~$<:&=])")
# Line breaks and other control characters would start a new Markdown block (a heading, a list,
# a code block) in the middle of a sentence: a value is one line of text, so they become spaces.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Bidirectional overrides and isolates reverse or reorder the text around them, our own words
# after the value included (a name could make the reason that follows it read backwards).
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Some rendering reads the text after the escapes are gone, so escaping cannot stop it: GitHub-
# flavoured Markdown turns http://..., www.... and name@host into links, and Streamlit turns
# :material/home: into an icon. An invisible word joiner (U+2060) after "http:", "www", "@" and
# a colon before a letter leaves the text looking the same, and no longer a link or an icon.
_REREAD_TRIGGERS = re.compile(
    r"(?i)(?:(?<=http:)|(?<=https:))(?=//)|(?<=\bwww)(?=\.)|(?<=@)|(?<=:)(?=[a-z])"
)
_WORD_JOINER = "\u2060"


def text(value) -> str:
    """A value from the data, made safe to place inside Markdown: shown as plain text.

    The one way a page puts data into anything Streamlit renders as Markdown: st.markdown,
    captions, headers, alerts, metric labels and values, help tooltips and st.table cells."""
    plain_line = _BIDI_CONTROLS.sub("", _CONTROL.sub(" ", str(value)))
    inert = _REREAD_TRIGGERS.sub(_WORD_JOINER, plain_line)
    return _MARKDOWN_SPECIALS.sub(r"\\\1", inert)


def text_table(df: pd.DataFrame) -> pd.DataFrame:
    """A frame for st.table, which renders every cell, index value and header as Markdown:
    each text in it passed through `text`."""

    def shown(value):
        return text(value) if isinstance(value, str) else value

    escaped = df.map(shown)
    escaped.index = escaped.index.map(shown)
    escaped.columns = escaped.columns.map(shown)
    return escaped


def day_label(value) -> str:
    return formats.day(value)


def not_judged_badge(month_row: pd.Series | None, month) -> None:
    """Why the as-of month raises no flag, as a badge: "Onboarding until 1 Feb 2027", or the
    reason assessed_months recorded."""
    if month_row is None or bool(month_row["judged"]):
        return
    reason = month_row["not_judged_because"]
    if reason == "onboarding":
        label = f"Onboarding until {day_label(month_row['onboarding_ends_on'])}"
    else:
        label = f"Not judged in {month_label(month)}: {reason}"
    st.markdown(f":gray-badge[{text(label)}]")


def month_label(value) -> str:
    return formats.month(value)


# Layouts that hold from 1024 px to 1920 px, on every page (tests/test_layouts_browser.py).
_LAYOUT_CSS = (
    "<style>"
    # Tiles wrap to another row before their words are cut off with an ellipsis.
    "[data-testid='stHorizontalBlock'] {flex-wrap: wrap;}"
    "[data-testid='stColumn']:has([data-testid='stMetric']) {min-width: 12rem;}"
    "[data-testid='stMetric'] [data-testid='stMarkdownContainer'], "
    "[data-testid='stMetric'] [data-testid='stMarkdownContainer'] p "
    "{white-space: normal; overflow: visible; text-overflow: clip; overflow-wrap: break-word;}"
    # A chart drawn at a fixed size (small multiples, grids) shrinks to fit instead of being
    # clipped at the edge of its column.
    "[data-testid='stVegaLiteChart'] {max-width: 100%;}"
    "[data-testid='stVegaLiteChart'] > canvas, [data-testid='stVegaLiteChart'] > svg "
    "{max-width: 100%; height: auto !important;}"
    "</style>"
)

# A shared screen read from the back of the room: big numbers, big table type, every chart the
# full width (columns that hold a chart are stacked), tables with every row and no sidebar.
_PRESENTATION_CSS = (
    "<style>"
    "section[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'], "
    "[data-testid='stExpandSidebarButton'] {display: none;}"
    "[data-testid='stMainBlockContainer'] {max-width: 100%; padding-left: 3rem; "
    "padding-right: 3rem;}"
    "[data-testid='stMarkdownContainer'] p, [data-testid='stMarkdownContainer'] li, "
    "[data-testid='stCaptionContainer'] {font-size: 1.35rem;}"
    "[data-testid='stMainBlockContainer'] h1 {font-size: 3.2rem;}"
    "[data-testid='stMainBlockContainer'] h2 {font-size: 2.2rem;}"
    "[data-testid='stMainBlockContainer'] h3 {font-size: 1.8rem;}"
    # As specific as the paragraph rule above, and after it, so tile numbers win.
    "[data-testid='stMetricValue'] [data-testid='stMarkdownContainer'] p {font-size: 3.5rem;}"
    "[data-testid='stMetricLabel'] [data-testid='stMarkdownContainer'] p {font-size: 1.35rem;}"
    "[data-testid='stMetricDelta'] div {font-size: 1.2rem;}"
    "[data-testid='stTable'] th, [data-testid='stTable'] td {font-size: 1.35rem;}"
    # A long unbroken value (a file's SHA-256, a path) wraps inside its cell, not cut off.
    # (more specific than Streamlit's own rule for a cell's paragraph, which forbids it)
    "[data-testid='stTable'] td [data-testid='stMarkdownContainer'] p "
    "{overflow-wrap: anywhere;}"
    "[data-testid='stWidgetLabel'] p, [data-baseweb='select'] div {font-size: 1.2rem;}"
    # A select shows its value in an input: the value the room reads, as large as its label.
    "[data-testid='stSelectbox'] input, [data-testid='stMultiSelect'] input, "
    "[data-testid='stTextInput'] input, "
    "[data-testid='stNumberInput'] input, [data-testid='stCheckbox'] label p, "
    "[data-testid='stButtonGroup'] button p {font-size: 1.2rem;}"
    "[data-testid='stHorizontalBlock']:has(.vega-embed) {flex-direction: column;}"
    "[data-testid='stHorizontalBlock']:has(.vega-embed) > [data-testid='stColumn'] "
    "{width: 100% !important; flex: 1 1 100% !important;}"
    "</style>"
)


def presentation_style() -> None:
    """Presentation mode (`?present=1`): see _PRESENTATION_CSS."""
    st.html(_PRESENTATION_CSS)


def table_height(ctx: PageContext) -> str:
    """A table's height: every row in presentation mode (nothing hidden behind a scroll bar
    on a shared screen), otherwise Streamlit's ten rows and a scroll bar."""
    return "content" if ctx.present else "auto"


def table(
    ctx: PageContext,
    df: pd.DataFrame | Styler,
    column_config: dict | None = None,
    flagged: list[bool] | pd.Series | None = None,
    height: str | int = "auto",
    column_order: list[str] | None = None,
) -> None:
    """Every table of the dashboard. Normally an interactive table (sorting, search, scroll);
    in presentation mode a static table in large type with every row, links kept as links and
    `flagged` rows tinted: a scrolling table in small type hides its last rows from the room.
    `column_config` is Streamlit's, read in both modes (labels, hidden columns, date, number,
    list and link formats) so both say the same thing; `column_order` picks and orders the
    columns shown."""
    config = column_config or {}
    if not ctx.present:
        st.dataframe(
            df,
            hide_index=True,
            width="stretch",
            height=height,
            column_config=config or None,
            column_order=column_order,
            # A missing value reads as a dash, as in the static tables, never as "None".
            placeholder="—",
        )
        return
    if column_order is not None and not isinstance(df, Styler):
        df = df[list(column_order)]
    if isinstance(df, Styler):
        cells, css = _styled_cells(df, config)
    else:
        shown = [c for c in df.columns if not (c in config and config[c] is None)]
        cells = _static_cells(df[shown], config)
        css = pd.DataFrame("", index=cells.index, columns=cells.columns)
    if flagged is not None:
        tint = f"background-color: {theme.FLAGGED_ROW}"
        css.loc[[bool(hit) for hit in flagged], :] = tint
    # Named before styling: st.table heads columns with the frame's names, not Styler labels.
    labels = [text(_label(config.get(c), c)) for c in cells.columns]
    cells.columns = css.columns = labels
    st.table(cells.style.apply(lambda _: css, axis=None), hide_index=True)


def _styled_cells(styler: Styler, config: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A table the page formatted and coloured itself, as the text of each cell (its formats
    kept, escaped for Markdown, link columns drawn as links) and the CSS of each cell (its
    colours kept). Styler offers no public way to read either, so its computed per-cell
    formatters and styles are read. st.table draws every column of a Styler: a column to
    hide is left out of the frame by the page."""
    styler._compute()
    data = styler.data.reset_index(drop=True)
    cells = data.astype(object).copy()
    css = pd.DataFrame("", index=data.index, columns=data.columns)
    for j, column in enumerate(data.columns):
        entry = config.get(column)
        for i, value in enumerate(data[column]):
            if _kind(entry) == "link":
                cells.iat[i, j] = _cell(value, entry)
            else:
                cells.iat[i, j] = text(styler._display_funcs[(i, j)](value))
            css.iat[i, j] = "; ".join(f"{k}: {v}" for k, v in styler.ctx.get((i, j), []))
    return cells, css


def _type_config(entry) -> dict:
    return (entry.get("type_config") or {}) if isinstance(entry, dict) else {}


def _kind(entry) -> str | None:
    return _type_config(entry).get("type")


def _label(entry, column: str) -> str:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict) and entry.get("label"):
        return entry["label"]
    return column


# Streamlit's day.js formats the pages use, as the one dashboard format (rungs_ui.formats).
_DATE_FORMATS = {"MMM YYYY": formats.month, "D MMM YYYY": formats.day}


def _cell(value, entry) -> object:
    """One cell as the interactive table would show it, as Markdown: text escaped, a link as a
    link with the words its column shows."""
    kind, how = _kind(entry), _type_config(entry).get("format")
    if kind == "link":
        if formats.missing(value) or value == "":  # evidence queries write "" for no link
            return formats.BLANK
        return f"[{text(_type_config(entry).get('display_text') or 'open')}]({value})"
    if pd.api.types.is_list_like(value):
        return text(plain(value))
    if formats.missing(value):
        return formats.BLANK
    if kind in ("date", "datetime"):
        shown = _DATE_FORMATS.get(how)
        if shown:
            return text(shown(value))
        stamp = "%-d %b %Y %H:%M" if kind == "datetime" else "%-d %b %Y"
        return text(pd.Timestamp(value).strftime(stamp))
    if kind == "number" and how and how.startswith("%"):
        return text(how % value)
    if kind == "number" and how == "localized":
        return text(f"{value:,}")
    return text(value) if isinstance(value, str) else text(plain(value))


def _static_cells(df: pd.DataFrame, config: dict) -> pd.DataFrame:
    return pd.DataFrame(
        {c: [_cell(v, config.get(c)) for v in df[c]] for c in df.columns}, index=df.index
    ).reset_index(drop=True)
