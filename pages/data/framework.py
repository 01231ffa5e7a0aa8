"""Framework: what each level asks for, the metric bars, and every rule setting.

Read from the framework_* tables the build wrote, so this is the framework the numbers on the
other pages were computed with.
"""

import pandas as pd
import streamlit as st

from rungs_ui import charts, page, queries

ctx = page.context()
page.header(ctx)
fw, wh = ctx.fw, ctx.wh
build = queries.latest_build(wh)
st.caption(
    f"Framework version {page.text(build.get('framework_version'))} · digest "
    f"{page.text(build.get('framework_digest'))} · as used by build "
    f"{page.text(build['build_id'])}"
)

st.subheader("What each level asks for")
# Rows of columns rather than a table: expectations are lists, and a table cell cuts them off.
header = st.columns([1] + [3] * len(fw.categories))
for column, category in zip(header[1:], fw.categories, strict=True):
    column.markdown(f"**{page.text(category)}**")
for level in fw.levels:
    with st.container(border=True):
        cells = st.columns([1] + [3] * len(fw.categories))
        cells[0].markdown(f"### {page.text(level)}")
        for column, category in zip(cells[1:], fw.categories, strict=True):
            mine = fw.expectations.loc[
                (fw.expectations["level"] == level) & (fw.expectations["category"] == category),
                "label",
            ]
            column.markdown("\n".join(f"- {page.text(label)}" for label in mine) or "—")

st.subheader("Metric bars")
st.caption("A level carries its own bars and those of every level below it.")
bars = fw.bars.iloc[fw.bars["level"].map(fw.levels.index).argsort(kind="stable")]
# Each bar as people write it (90%, 20 h, 0.5), and the metric by the name the charts use.
bars = bars.assign(
    value=[charts.bar_text(m, v) for m, v in zip(bars["metric"], bars["value"], strict=True)],
    metric=bars["metric"].map(lambda m: charts.METRIC_VIEWS[m].title),
)
st.table(
    page.text_table(
        bars[["level", "category", "label", "metric", "op", "value"]]
        .rename(
            columns={
                "level": "Level",
                "category": "Category",
                "label": "Bar",
                "metric": "Metric",
                "op": "Test",
                "value": "Value",
            }
        )
        .set_index("Level")
    )
)

st.subheader("Rule settings")
settings = fw.settings.assign(
    value=fw.settings["value"].map("{:g}".format),
    # A setting with no default (the optional calibration guideline) shows a dash, not "nan".
    default_value=fw.settings["default_value"].map(lambda v: "—" if pd.isna(v) else f"{v:g}"),
)
st.table(
    page.text_table(
        settings[["name", "value", "default_value", "help"]]
        .rename(
            columns={
                "name": "Setting",
                "value": "Value",
                "default_value": "Default",
                "help": "Meaning",
            }
        )
        .set_index("Setting")
    )
)
st.caption(
    "Change them in `data/framework.toml` under `[rules]` (the guideline `promotion_share` "
    "under `[calibration]`) and rebuild."
)
