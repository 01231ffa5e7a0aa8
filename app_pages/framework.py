"""Framework: what each level asks for, the metric bars, and every rule setting.

Read from the framework_* tables the build wrote, so this is the framework the numbers on the
other pages were computed with.
"""

import streamlit as st

from rungs_ui import page, queries

ctx = page.context()
page.header("app_pages/framework.py")
fw, wh = ctx.fw, ctx.wh
build = queries.latest_build(wh)
st.caption(f"Framework version {build.get('framework_version')} · digest "
           f"{build.get('framework_digest')} · as used by build {build['build_id']}")

st.subheader("What each level asks for")
expectations = fw.expectations.assign(label="• " + fw.expectations["label"])
grid = (expectations.groupby(["level", "category"], sort=False)["label"]
        .agg("\n".join).unstack("category")
        .reindex(index=list(fw.levels), columns=list(fw.categories)).fillna(""))
st.dataframe(grid, width="stretch", row_height=150, column_config={
    "level": st.column_config.TextColumn("Level", pinned=True),
    **{c: st.column_config.TextColumn(c, width="large") for c in fw.categories},
})

st.subheader("Metric bars")
st.caption("A level carries its own bars and those of every level below it.")
bars = fw.bars.assign(level=fw.bars["level"].map(lambda lv: f"{lv}"))
bars = bars.iloc[bars["level"].map(fw.levels.index).argsort(kind="stable")]
st.dataframe(bars[["level", "category", "label", "metric", "op", "value"]], hide_index=True,
             width="stretch", column_config={"label": st.column_config.TextColumn(
                 "Bar", width="large")})

st.subheader("Rule settings")
settings = fw.settings.assign(changed=fw.settings["value"] != fw.settings["default_value"])
st.dataframe(settings[["name", "value", "default_value", "changed", "help"]], hide_index=True,
             width="stretch", column_config={
                 "name": "Setting", "value": st.column_config.NumberColumn("Value", format="%g"),
                 "default_value": st.column_config.NumberColumn("Default", format="%g"),
                 "changed": st.column_config.CheckboxColumn("Changed"),
                 "help": st.column_config.TextColumn("Meaning", width="large")})
st.caption("Change them in `data/framework.toml` under `[rules]` and rebuild.")
