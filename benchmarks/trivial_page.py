"""The yardstick of `benchmarks.browser`: a title, a line and one Altair chart, served by the
same interpreter with the same server flags as the dashboard, so a page's time in the browser is
read as a ratio against what Streamlit itself costs on this machine."""

import altair as alt
import pandas as pd
import streamlit as st

st.title("Trivial page")
st.write("A line of text, and one chart.")
data = pd.DataFrame({"x": range(12), "y": [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8]})
st.altair_chart(alt.Chart(data).mark_line().encode(x="x:Q", y="y:Q"), width="stretch")
