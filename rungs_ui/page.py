"""What every page does the same way: its context, header, charts, downloads and the messages
shown when the warehouse cannot answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

import altair as alt
import pandas as pd
import streamlit as st

from pipelines.access import Scope
from pipelines.spreadsheet import safe_csv
from rungs_ui import access, downloads, navigation, theme
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
    """The page's title and question, as registered in rungs_ui.navigation."""
    st.title(ctx.spec.title)
    st.caption(ctx.spec.question)


def require(ctx: PageContext, *tables: str) -> None:
    """Stop the page with the command to run when this build lacks tables the page reads."""
    missing = [t for t in tables if t not in ctx.wh.tables]
    if missing:
        st.info(
            f"This build has no {', '.join(missing)} table yet, so this page has nothing to "
            f"show. Rebuild with `{build_command(ctx.wh.path)}` once the pipeline writes it."
        )
        st.stop()


def show_unavailable(exc: WarehouseUnavailable) -> None:
    st.warning(f"**The warehouse can't be read.** {text(exc.problem)}")
    st.markdown(exc.fix)


def chart(ctx: PageContext, figure: alt.TopLevelMixin, key: str | None = None) -> None:
    """Draw with our own Altair theme (Streamlit's would replace the level colours)."""
    if ctx.present:
        figure = theme.for_presentation(figure)
    st.altair_chart(figure, theme=None, width="stretch", key=key)


def csv_bytes(df: pd.DataFrame) -> bytes:
    return safe_csv(df).encode("utf-8")


def evidence_columns() -> dict:
    """How every evidence table names its columns (the Engineer and Evidence pages)."""
    return {
        "observed_on": st.column_config.DateColumn("Observed"),
        "category": "Category",
        "level": "Level",
        "kind": "Kind",
        "summary": st.column_config.TextColumn("Summary", width="large"),
        "link": st.column_config.LinkColumn("Link", display_text="open"),
        "source": "Source",
        "recorded_by": "Recorded by",
    }


def download(df: pd.DataFrame, label: str, file_name: str, key: str) -> None:
    """A CSV download of `df`, written only when clicked (see rungs_ui.downloads), and
    recorded in the audit log with who clicked and their scope before a byte is written."""
    frame = df.copy()  # the page may go on changing its frame; the download is this view
    scope = context().scope  # the click is answered outside this run

    def make() -> bytes:
        access.record(scope, "download", file_name)
        return csv_bytes(frame)

    st.download_button(
        label,
        downloads.made_on_click(make),
        file_name=file_name,
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click="ignore",
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


def reason_lines(rows: pd.DataFrame, label_column: str = "name") -> None:
    """Each person's flags and reason sentence as a line of text: tables cut long sentences
    off, and these are meant to be read aloud."""
    for _, row in rows.iterrows():
        st.markdown(f"**{text(row[label_column])}** {_badges(flags_of(row))} {_reason(row)}")


def _badges(raised: list[str]) -> str:
    return " ".join(f":{_FLAG_COLOURS[f]}-badge[{FLAGS[f]}]" for f in raised)


def _reason(row: pd.Series) -> str:
    """The reason sentence as text: it quotes categories, levels and evidence ids from the
    data."""
    return text(row.get("reason") or "")


def linked_option(value: str | None, ids: list[str], labels: dict[str, str]) -> str | None:
    """The person a link names: by id, or by the label an older link carried; None when the
    link names nobody in view."""
    if value in ids:
        return value
    by_label = {label: eid for eid, label in labels.items()}
    return by_label.get(value)


def person_labels(ids: pd.Series, names: pd.Series) -> pd.Series:
    """Names to draw people by; two people with one name get their ids added, so a chart
    never merges them into one row."""
    repeated = names.map(names.value_counts()) > 1
    return names.where(~repeated, names + " (" + ids + ")")


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
    return "—" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%-d %b %Y")


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
    return "—" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%b %Y")


def presentation_style() -> None:
    """Larger type and no sidebar for a shared screen (`?present=1`)."""
    st.html(
        "<style>"
        "section[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'], "
        "[data-testid='stExpandSidebarButton'] {display: none;}"
        "[data-testid='stMainBlockContainer'] {max-width: 100%;}"
        "[data-testid='stMarkdownContainer'] p, [data-testid='stMarkdownContainer'] li, "
        "[data-testid='stCaptionContainer'] {font-size: 1.35rem;}"
        "[data-testid='stMainBlockContainer'] h1 {font-size: 3.2rem;}"
        "[data-testid='stMainBlockContainer'] h2 {font-size: 2.2rem;}"
        "</style>"
    )
