"""rungs_ui.theme's shortcuts through Altair's repeated work change nothing Altair returns or
raises: a spec that breaks the schema raises on every run, not only the first."""

import altair as alt
import pandas as pd
import pytest
from jsonschema import ValidationError

from rungs_ui import theme  # noqa: F401 - importing it installs the shortcuts

DATA = pd.DataFrame({"month": ["2026-01-01", "2026-02-01"], "figure": [0.9, 0.95]})


def _line() -> alt.Chart:
    return alt.Chart(DATA).mark_line().encode(x="month:T", y=alt.Y("figure:Q", title="SLA"))


def test_the_same_chart_gives_the_same_spec_every_run():
    first, second = _line().to_dict(), _line().to_dict()
    assert first == second
    assert first["encoding"]["x"] == {"field": "month", "type": "temporal"}
    assert first["encoding"]["y"]["title"] == "SLA"


def test_a_spec_that_breaks_the_schema_raises_on_every_run():
    for _ in range(3):
        with pytest.raises((alt.utils.schemapi.SchemaValidationError, ValidationError)):
            _line().properties(width="very wide").to_dict()


def test_an_encoding_given_as_text_becomes_its_channel_class_every_run():
    for _ in range(2):
        chart = alt.Chart(DATA).mark_point().encode(x="month:T", color="figure:Q")
        assert isinstance(chart.encoding.x, alt.X)
        assert isinstance(chart.encoding.color, alt.Color)
