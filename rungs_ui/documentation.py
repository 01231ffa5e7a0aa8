"""Evidence documentation by manager, as a line the calibration worksheet opens with.

The Fairness page draws the whole comparison; the worksheet only needs to say, before anyone
calibrates, how many managers recorded fewer examples per report than the org over the last
twelve months, and where to look. Counts only: no manager is named here, so the line reads the
same anonymised and on a shared screen.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from pipelines.fairness import documentation_skew, fairness_min_group_size
from pipelines.fairness.period import months_before
from pipelines.fairness.words import direction
from rungs_ui.warehouse import Warehouse, reading

# The period the line looks back over, the Fairness page's default too.
LOOKBACK_MONTHS = 12


@st.cache_data(max_entries=16, show_spinner=False)
def managers_below(_wh: Warehouse, build_id: str, month: date, at_least: int) -> tuple[int, int]:
    """(managers whose rate of examples per report sits below the org's beyond its interval,
    managers compared) over the twelve months up to `month`; withheld managers count in
    neither."""
    del build_id
    with reading(_wh) as con:
        minimum = fairness_min_group_size(con, at_least)
        skew = documentation_skew(con, months_before(month, LOOKBACK_MONTHS - 1), month, minimum)
    below = int((skew["words"].map(direction) == "lower").sum()) if not skew.empty else 0
    return below, len(skew)


def sentence(below: int, compared: int) -> str:
    """What the worksheet says before the table."""
    if compared == 0:
        return ""
    period = f"the last {LOOKBACK_MONTHS} months"
    if below == 0:
        return (
            f"Before you calibrate: over {period}, every one of the {compared} managers compared "
            "recorded examples at a rate in line with or above the org's."
        )
    managers = "manager" if below == 1 else "managers"
    return (
        f"Before you calibrate: over {period}, {below} of {compared} {managers} recorded fewer "
        "examples per report than the org. Their reports had fewer chances to show a level; "
        "read those cases with that in mind."
    )
