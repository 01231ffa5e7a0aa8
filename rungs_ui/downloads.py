"""Page downloads that exist only from the click until the browser has fetched them.

Streamlit serves every file a page hands it at `/media/<content hash>.<ext>` to whoever asks,
with no session, password or cookie check. Bytes given to `st.download_button` when the page
draws are published at once, stay while any session shows the button, and a file left behind
is only removed by the second of two later clean-ups (each run's end or a session's end),
which on a quiet server can be never. So no page hands over bytes: it hands over a function,
which Streamlit calls when the user clicks (a request over that session's websocket), and the
URL of the result goes to that session only. Streamlit keeps that result until two clean-ups
have run; each click runs one `LIFETIME_S` after it and another `LIFETIME_S` later, so a
download is gone at most 2 x `LIFETIME_S` after its click (its browser fetches it at once),
whether or not the session is still open, and no URL is published before a click or survives
a restart. Spacing the two clean-ups, rather than running both at once, leaves a download
another session generated a moment ago at least `LIFETIME_S` for its own fetch.

What Streamlit itself guarantees, and what we rely on: a deferred download is generated only
on a click from a session that was sent the button (its id is a random uuid), a generated file
is referenced by no session, and `remove_orphaned_files` deletes such a file on its second
call (the first marks it). What no one guarantees: within those seconds, someone who has the
URL could fetch it too; the URL is only ever sent to the clicking session.

What a download says it is: `file_name` names every file after its page, the as-of month and
the filters in effect (ids, never a person's name), and `for_export` gives its columns the plain
headers, with units, of `EXPORT_HEADERS`, the one list of them.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd
from streamlit import runtime

from rungs_ui.queries import Filters

# Long enough for a browser to fetch the file it was just told about (it does so at once), short
# enough that a copied URL is useless. RUNGS_DOWNLOAD_SECONDS may shorten it (the browser test
# does) or lengthen it for a slow network.
LIFETIME_S = float(os.environ.get("RUNGS_DOWNLOAD_SECONDS", "3"))


def made_on_click(make: Callable[[], bytes]) -> Callable[[], bytes]:
    """What to give st.download_button instead of bytes: `make`, called when the user clicks,
    with the file it returns cleaned up soon after."""

    def generate() -> bytes:
        data = make()
        # The first clean-up marks the file this returns, the second deletes it.
        _clean_up_after(LIFETIME_S)
        _clean_up_after(2 * LIFETIME_S)
        return data

    return generate


def _clean_up_after(seconds: float) -> None:
    timer = threading.Timer(seconds, clean_up_generated_files)
    timer.daemon = True  # never keeps a stopping server alive
    timer.start()


def clean_up_generated_files() -> None:
    """One Streamlit clean-up pass: a generated download (no session refers to one) is marked
    on its first pass and deleted on its second. Files a page is showing, such as the page
    icon, are referenced and stay."""
    if runtime.exists():
        runtime.get_instance().media_file_mgr.remove_orphaned_files()


# --- what a download is called ----------------------------------------------------------------

# More values than this in one filter are named by their count ("4-teams"): a name has to fit.
_VALUES_NAMED = 3
_VALUE_CHARS = 24


def file_name(what: str, filters: Filters, *, anonymised: bool, extension: str = "csv") -> str:
    """`rungs-<what>-<as-of month>[-team-…][-region-…][-manager-…][-level-…][-anonymised].<ext>`,
    e.g. rungs-promotions-2026-10-team-harbor.csv. Managers are named by id, and only by how
    many when anonymised; nothing else in a filter is a person."""
    parts = ["rungs", _slug(what), f"{filters.month:%Y-%m}"]
    for word, values in (("team", filters.teams), ("region", filters.regions)):
        parts += _named(word, values)
    if filters.managers:
        parts += (
            [f"{len(filters.managers)}-manager{'s' if len(filters.managers) > 1 else ''}"]
            if anonymised
            else _named("manager", filters.managers)
        )
    parts += _named("level", filters.levels)
    if anonymised:
        parts.append("anonymised")
    return "-".join(p for p in parts if p) + f".{extension}"


def _named(word: str, values: tuple[str, ...]) -> list[str]:
    if not values:
        return []
    if len(values) > _VALUES_NAMED:
        return [f"{len(values)}-{word}s"]
    return [word, "+".join(_slug(v)[:_VALUE_CHARS] for v in values)]


def _slug(value: str) -> str:
    """Lower case letters, digits and single hyphens: safe in a file name on any system."""
    return re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-") or "x"


# --- what its columns are called ----------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    label: str
    times: float = 1  # what a value is multiplied by to be in the label's unit
    month: bool = False  # a date that stands for its month, written 2026-10


# Column of a page's frame -> the header its export shows. A column not listed keeps its name
# (a category of the framework, already in words).
EXPORT_HEADERS = {
    "engineer_id": Header("Engineer id"),
    "manager_id": Header("Manager id"),
    "name": Header("Engineer"),
    "person": Header("Engineer"),
    "team": Header("Team"),
    "region": Header("Region"),
    "manager_name": Header("Manager"),
    "manager": Header("Manager"),  # as the page shows them: a letter when anonymised
    "team_lead": Header("Team lead"),
    "level": Header("Level"),
    "next_level": Header("Next level"),
    "overall_level": Header("Level shown"),
    "progress": Header("Progress (months at level · months showing the next)"),
    "months_at_level": Header("Months at level"),
    "months_at_next": Header("Months showing the next level"),
    "months_below_level": Header("Months below level"),
    "months_to_ready": Header("Months to ready"),
    "projected_window_month": Header("Window opens (month)", month=True),
    "blocking": Header("Still short in (categories)"),
    "still_short_in": Header("Still short in (categories)"),
    "above_categories": Header("Above level in (categories)"),
    "months_with_categories_above": Header("Months above level"),
    "last_raise": Header("Last raise or promotion"),
    "last_raise_on": Header("Last raise or promotion on"),
    "flags": Header("Flags"),
    "reason": Header("Reason"),
    "sla_adherence": Header("SLA adherence (%)", times=100),
    "median_open_hours": Header("Median open time (h)"),
    "tickets_solved": Header("Tickets solved"),
    "volume_ratio": Header("Volume (× team median)"),
    "table_name": Header("Table"),
    "file": Header("File"),
    "line": Header("Line"),
    "key": Header("Key"),
    "column": Header("Column"),
    "value": Header("Value"),
    "caused_by": Header("Rejected with"),
}


def for_export(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with its values in the units its headers name, and those headers."""
    out = df.copy()
    for column, header in EXPORT_HEADERS.items():
        if column not in out.columns:
            continue
        if header.times != 1:
            out[column] = pd.to_numeric(out[column], errors="coerce") * header.times
        if header.month:  # anonymised, it is already a month in words ("Oct 2026")
            out[column] = out[column].map(
                lambda v: pd.Timestamp(v).strftime("%Y-%m") if _is_day(v) else v
            )
    return out.rename(columns={c: h.label for c, h in EXPORT_HEADERS.items() if c in out})


def _is_day(value: object) -> bool:
    return isinstance(value, date) and not pd.isna(value)  # NaT is a datetime too
