"""Data health: what did each build load and reject, and how do you load your own data?"""

import pandas as pd
import streamlit as st

from pipelines import audit
from pipelines.dictionary import data_dictionary
from pipelines.journal.store import open_journal
from rungs_ui import formats, identity, page, queries, state

AUDIT_ROWS = 500

ctx = page.context()
page.header(ctx)
wh = ctx.wh

builds = queries.builds(wh)
latest = builds.iloc[0]
tiles = st.columns(4)
tiles[0].metric(
    "Last build",
    pd.Timestamp(latest["built_at"]).strftime("%d %b %H:%M"),
    border=True,
    help=pd.Timestamp(latest["built_at"]).strftime("%d %B %Y %H:%M %Z"),
)
tiles[1].metric("As-of month", page.month_label(latest["as_of_month"]), border=True)
tiles[2].metric("Rows loaded", f"{int(latest['rows_loaded']):,}", border=True)
tiles[3].metric(
    "Rows rejected", f"{int(latest['rows_rejected']):,}", border=True, delta_color="inverse"
)

st.subheader("Builds")
page.table(
    ctx,
    builds,
    column_order=[
        "built_at",
        "as_of_month",
        "rows_loaded",
        "rows_rejected",
        "duration_s",
        "source_dir",
        "framework_version",
        "timezone",
        "build_id",
    ],
    column_config={
        "built_at": st.column_config.DatetimeColumn("Built", format="D MMM YYYY HH:mm"),
        "as_of_month": st.column_config.DateColumn("As of", format="MMM YYYY"),
        "rows_loaded": st.column_config.NumberColumn("Rows loaded", format="localized"),
        "rows_rejected": st.column_config.NumberColumn("Rejected", format="localized"),
        "duration_s": st.column_config.NumberColumn("Seconds", format="%.1f"),
        "source_dir": "Source folder",
        "framework_version": "Framework",
        "timezone": "Time zone",
        "build_id": "Build id",
    },
)
for note in latest["notes"] if latest["notes"] is not None else []:
    st.caption(f"Note from the last build: {page.text(note)}")

ids = builds["build_id"].tolist()
if st.session_state.get(state.BUILD) not in ids:
    st.session_state.pop(state.BUILD, None)
build_id = st.selectbox(
    "Build", ids, key=state.BUILD, help="The warehouse keeps the record of earlier builds."
)
st.subheader("Files read")
files = queries.build_files(wh, build_id)
# The entries recorded in the app come as one source per table they feed: a name, but no
# fingerprint (a file always has one).
from_app = files["file"].notna() & files["sha256"].isna()
by_source = [
    f"{table}: "
    + ", ".join(
        f"{int(r.rows_loaded):,} from {r.file}"
        if pd.notna(r.sha256)
        else f"{int(r.rows_loaded):,} recorded in the app"
        for r in group.itertuples()
        if pd.notna(r.file)
    )
    for table, group in files.groupby("table_name", sort=False)
    if from_app[group.index].any()
]
if by_source:
    st.caption("Loaded by source · " + " · ".join(by_source))
page.table(
    ctx,
    # An absent optional file has no name or fingerprint: a dash, not "None".
    files.fillna({"file": formats.BLANK, "sha256": formats.BLANK}),
    column_order=[
        "table_name",
        "file",
        "rows_read",
        "rows_loaded",
        "rows_rejected",
        "extra_columns",
        "bytes",
        "sha256",
    ],
    column_config={
        "table_name": "Table",
        "file": st.column_config.TextColumn("File", help="—: the optional file was absent"),
        "rows_read": st.column_config.NumberColumn("Rows read", format="localized"),
        "rows_loaded": st.column_config.NumberColumn("Loaded", format="localized"),
        "rows_rejected": st.column_config.NumberColumn("Rejected", format="localized"),
        "extra_columns": st.column_config.ListColumn("Ignored columns"),
        "bytes": st.column_config.NumberColumn("Bytes", format="localized"),
        "sha256": st.column_config.TextColumn("SHA-256", help="fingerprint of the file read"),
    },
)

rejected = queries.rejected_rows(wh, build_id)
who = identity.current()
if who.anonymised:
    # A rejected value can be anyone's name, email or id: not for a shared screen.
    rejected = who.whole(rejected.drop(columns=["value"]))
st.subheader(f"Rejected rows ({len(rejected)})")
cascaded = int(rejected["caused_by"].notna().sum()) if not rejected.empty else 0
if cascaded:
    st.caption(
        f"{len(rejected) - cascaded:,} rejected in their own right, listed first; "
        f"{cascaded:,} went with them because a row they refer to was rejected."
    )
if rejected.empty:
    st.caption("Every row passed validation.")
else:
    # Blank, not "None": most rows have no key (a contract file) and were rejected on their own.
    shown = rejected.fillna({c: "" for c in ("key", "caused_by") if c in rejected.columns})
    page.table(
        ctx,
        shown,
        column_config={
            "table_name": "Table",
            "file": "File",
            "line": st.column_config.NumberColumn(
                "Line",
                help="1-based; the header is line 1. For the journal (entries recorded in the "
                "app), the entry's number; the reason names the item or person.",
            ),
            "key": st.column_config.TextColumn(
                "Key",
                help="For an export converted by a mapping: the ticket or incident number "
                "(or person id) of the row, as in your export.",
            ),
            "column": "Column",
            "value": "Value",
            "reason": st.column_config.TextColumn("What is wrong and how to fix it", width="large"),
            "caused_by": st.column_config.TextColumn(
                "Rejected with",
                help="The row whose rejection took this one along: fix that row first. Empty "
                "for a row rejected in its own right (those are listed first).",
            ),
        },
    )
    page.download(
        rejected,
        "Download rejected rows as CSV",
        f"rejected-rows-build-{build_id}",
        key="download_rejected",
    )

st.subheader("Load your own data")
st.markdown(
    "Put your exports in a folder, one file per table named as in the data dictionary below "
    "(or convert other exports with a mapping file, or pull from Zendesk: see "
    "`docs/mappings/`), check them, then build:\n\n"
    # Inline code, not a fenced block: a block loads the syntax highlighter in the browser,
    # about 1 s more before the page settles (benchmarks.browser).
    "`python -m pipelines check --source data/private`  \n"
    "`python -m pipelines build --source data/private --warehouse data/warehouse.duckdb`\n\n"
    "A rejected row does not stop the build: each is listed here with the line to fix. The "
    "tables "
    "this dashboard reads are described in `docs/warehouse.md`."
)
with st.expander("Data dictionary: the columns each file needs"):
    st.markdown(data_dictionary())

if ctx.scope.role == "admin" and who.anonymised:
    st.subheader("Audit log")
    st.caption("Hidden while Anonymise is on: it names who opened whose page.")
elif ctx.scope.role == "admin":
    st.subheader("Audit log")
    st.caption(
        "Sign-ins, Engineer pages opened, downloads and exports: who, when and in what scope, "
        f"newest first. Kept in the journal ({page.text(open_journal().describe())}), which no "
        "build replaces; it never holds a metric value."
    )
    # A sign-in names no engineer or file: an empty "Which", not "None".
    log = audit.recent(AUDIT_ROWS).fillna({"target": "—"})
    log["action"] = log["action"].map(audit.ACTION_WORDS)
    if log.empty:
        st.info("Nothing recorded yet.")
    else:
        page.table(
            ctx,
            log,  # page.table escapes what it renders as Markdown
            column_config={
                "at": "When (UTC)",
                "who": "Who",
                "role": "Role",
                "action": "What",
                "target": "Which",
                "scope": "Scope",
            },
        )
