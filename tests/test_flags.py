"""The flags listing: the as-of month's rows, flagged first, in table, CSV and JSON."""

from __future__ import annotations

import io
import json
from datetime import date

import pandas as pd
import pytest

from pipelines.errors import FlagsError
from pipelines.rules.flags import flags_frame, render_flags
from tests.test_readiness import MEETS_IC2, SHOWS_IC3, Org


@pytest.fixture(scope="module")
def warehouse():
    """Three engineers in October 2024: one ready, one at risk, one unflagged."""
    org = Org()
    org.hire("ready", "IC2", date(2023, 6, 1))
    org.perform("ready", "2023-06", "2024-10", **SHOWS_IC3)
    org.observe("ready", date(2024, 8, 5), "IC3").observe("ready", date(2024, 10, 5), "IC3")
    org.hire("steady", "IC2", date(2023, 6, 1))
    org.perform("steady", "2023-06", "2024-10", **MEETS_IC2)
    org.hire("slipping", "IC2", date(2023, 6, 1))
    org.perform("slipping", "2023-06", "2024-08", **MEETS_IC2)
    org.perform("slipping", "2024-09", "2024-10", sla=0.91, open_hours=15.0, volume=1.0)
    org.manager("boss", date(2020, 1, 1))
    return org.build("2024-10")


def test_flags_list_every_assessed_engineer_with_flagged_first(warehouse):
    frame = flags_frame(warehouse)
    assert list(frame.columns) == ["engineer", "name", "team", "level", "flags", "reason"]
    assert frame.attrs["as_of"] == date(2024, 10, 1)
    assert list(zip(frame.engineer, frame["flags"], strict=True)) == [
        ("ready", "ready"),
        ("slipping", "at-risk"),
        ("steady", ""),
    ]
    assert frame.reason.iloc[1] == (
        "Below IC2 in the last 2 months: Scope SLA adherence 91.0% (bar 94%, 100 tickets) in "
        "October 2024."
    )


def test_flags_for_an_earlier_month(warehouse):
    frame = flags_frame(warehouse, "2024-08")
    assert frame.attrs["as_of"] == date(2024, 8, 1)
    assert dict(zip(frame.engineer, frame["flags"], strict=True)) == {
        "ready": "near",
        "slipping": "",
        "steady": "",
    }


@pytest.mark.parametrize("bad", ["2024/10", "2024-13", "October"])
def test_a_malformed_month_says_how_to_write_it(warehouse, bad):
    with pytest.raises(FlagsError, match="YYYY-MM"):
        flags_frame(warehouse, bad)


def test_a_warehouse_without_readiness_says_to_build_first():
    with pytest.raises(FlagsError, match="pipelines build"):
        flags_frame(Org().connect())


def test_csv_round_trips(warehouse):
    frame = flags_frame(warehouse)
    back = pd.read_csv(io.StringIO(render_flags(frame, "csv")), keep_default_na=False)
    assert back.to_dict(orient="records") == frame.to_dict(orient="records")


def test_json_is_a_list_of_records(warehouse):
    records = json.loads(render_flags(flags_frame(warehouse), "json"))
    assert [r["engineer"] for r in records] == ["ready", "slipping", "steady"]
    assert records[0]["name"] == "Person ready"
    assert records[0]["reason"].startswith("Promotion-ready: 17 whole months at IC2 (14 judged)")


def test_table_shows_the_month_names_and_reasons(warehouse):
    text = render_flags(flags_frame(warehouse), "table")
    assert "Readiness flags, October 2024" in text
    assert "Person slipping" in text
    assert "Promotion-ready" in text


def test_table_for_a_month_nobody_was_assessed(warehouse):
    assert render_flags(flags_frame(warehouse, "2019-01"), "table") == (
        "No engineers were assessed in January 2019.\n"
    )
