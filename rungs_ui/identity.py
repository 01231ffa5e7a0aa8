"""Who is shown how: the one place that decides how a person appears on any page.

Two modes. Normally people are shown by name, and two people who share a name (managers
included) are told apart by their team and id. With Anonymise on (a sidebar toggle that holds
for the whole session, `?anonymise=true`), everything that could identify someone on a shared
screen is replaced: engineer and manager names by stable letters, evidence ids by "Item 1",
exact dates by their month, tenure by a range, and names and ids inside free text.

dashboard.py builds one Identity per run (after the sidebar's toggle) and pages read it with
`current()`; no page masks anything on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from rungs_ui import state
from rungs_ui.anonymise import Anonymiser

_KEY = "_rungs_identity"
# A group this small is recognisable even by letter: who else is in that team at that level?
SMALL_GROUP = 3
ENGINEER_PAGE = "/engineer"
# The query parameters a link to the Engineer page carries over: the view, not the person.
_KEPT_PARAMS = (
    state.MONTH,
    state.TEAMS,
    state.REGIONS,
    state.MANAGERS,
    state.LEVELS,
    state.PRESENT,
    state.ANONYMISE,
)
_EVIDENCE_ID = re.compile(r"\bEV\d+\b")
_PERSON_ID = re.compile(r"\b[EM]\d{3,}\b")
_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-\d{2}(?:[ T][\d:.]+)?\b")
_WRITTEN_DAY = re.compile(r"\b\d{1,2} ([A-Z][a-z]{2,8} \d{4})\b")


def distinct_labels(ids: pd.Series, names: pd.Series, teams: pd.Series | None = None) -> pd.Series:
    """Names to show people by, one per id: a name two ids share gets the team and the id
    added ("Brian Romero (Billing · E0012)"), so no list, filter or chart merges them."""
    ids = ids.astype(str).reset_index(drop=True)
    # Text throughout: a column of only missing values arrives as floats, which do not join.
    names = names.reset_index(drop=True).astype(object).where(names.notna().values, ids)
    names = names.astype(str)
    shared = names.map(pd.DataFrame({"i": ids, "n": names}).groupby("n")["i"].nunique()) > 1
    if teams is None:
        extra = ids
    else:
        team = teams.reset_index(drop=True).astype(object)
        extra = team.where(team.notna().values, "no team").astype(str) + " · " + ids
    return names.where(~shared, names + " (" + extra + ")")


def tenure_range(months) -> str:
    """Whole months as a range that does not point at one hire date."""
    if months is None or pd.isna(months):
        return "—"
    months = int(months)
    if months < 12:
        return "under 1 year"
    if months < 24:
        return "1–2 years"
    if months < 60:
        return "2–5 years"
    return "5+ years"


@dataclass
class Identity:
    anonymised: bool
    people: dict[str, str]  # engineer id -> how they are shown
    managers: dict[str, str]  # manager id -> how they are shown
    masks: Anonymiser  # real names -> letters, to scrub free text
    link_params: dict[str, list[str]] = field(default_factory=dict)
    _items: dict[str, str] = field(default_factory=dict)  # evidence id -> "Item n"

    @classmethod
    def build(
        cls,
        roster: pd.DataFrame,
        managers: pd.DataFrame,
        salt: str,
        anonymised: bool,
        link_params: dict[str, list[str]] | None = None,
    ) -> Identity:
        """`roster`: everyone the viewer may see this month (engineer_id, name, team,
        manager_id); `managers`: the sidebar's managers (manager_id, manager_name)."""
        engineers = Anonymiser.for_people(
            zip(roster["engineer_id"], roster["name"], strict=True), salt
        )
        bosses = Anonymiser.for_people(
            zip(managers["manager_id"], managers["manager_name"], strict=True), salt, "Manager"
        )
        if anonymised:
            people, heads = engineers.aliases, bosses.aliases
        else:
            people = dict(
                zip(
                    roster["engineer_id"],
                    distinct_labels(roster["engineer_id"], roster["name"], roster["team"]),
                    strict=True,
                )
            )
            # A manager's team is the team most of their reports are in.
            teams = roster.dropna(subset=["manager_id"]).groupby("manager_id")["team"]
            team_of = teams.agg(lambda t: t.mode().iat[0]) if len(roster) else pd.Series()
            heads = dict(
                zip(
                    managers["manager_id"],
                    distinct_labels(
                        managers["manager_id"],
                        managers["manager_name"],
                        managers["manager_id"].map(team_of),
                    ),
                    strict=True,
                )
            )
        return cls(anonymised, people, heads, bosses.merged(engineers), link_params or {})

    # --- one person ---------------------------------------------------------------------

    def person(self, engineer_id: str, name: str | None = None) -> str:
        shown = self.people.get(engineer_id)
        if shown is None:
            return "Someone" if self.anonymised or name is None else name
        return shown

    def manager(self, manager_id: str | None, name: str | None = None) -> str:
        if manager_id is None or pd.isna(manager_id):
            return "no manager" if name is None or pd.isna(name) else name
        return self.managers.get(manager_id) or (
            "a manager" if self.anonymised else (name or manager_id)
        )

    def url_key(self, engineer_id: str) -> str:
        """How a URL names a person: their id, or when anonymised their letter ("C"), which
        this build maps back to them, so the shared screen's address bar shows no id."""
        if self.anonymised and engineer_id in self.people:
            return self.people[engineer_id].removeprefix("Engineer ")
        return engineer_id

    def from_url_key(self, value: str | None) -> str | None:
        if not self.anonymised:
            return value
        return next((e for e in self.people if self.url_key(e) == value), value)

    def link(self, engineer_id: str) -> str:
        """The Engineer page of this person in the current view: by id, never by name."""
        return f"{ENGINEER_PAGE}?" + urlencode(
            {state.ENGINEER: self.url_key(engineer_id), **self.link_params}, doseq=True
        )

    # --- values -------------------------------------------------------------------------

    def item(self, evidence_id: str) -> str:
        return self._items.setdefault(evidence_id, f"Item {len(self._items) + 1}")

    def date(self, value) -> str:
        """A day as shown: the day normally, the month alone when anonymised."""
        if value is None or pd.isna(value):
            return "—"
        when = pd.Timestamp(value)
        return when.strftime("%b %Y") if self.anonymised else when.strftime("%-d %b %Y")

    def tenure(self, months) -> str | int:
        return tenure_range(months) if self.anonymised else int(months)

    def scrub(self, value: object) -> object:
        """Free text (a reason, a summary, a note) with nothing in it that names someone."""
        if not self.anonymised or not isinstance(value, str):
            return value
        out = self.masks.scrub(value)
        out = _EVIDENCE_ID.sub(lambda m: self.item(m.group()), out)
        out = _PERSON_ID.sub(lambda m: self.people.get(m.group()) or self.manager(m.group()), out)
        out = _ISO_DAY.sub(lambda m: pd.Timestamp(f"{m[1]}-{m[2]}-01").strftime("%b %Y"), out)
        return _WRITTEN_DAY.sub(r"\1", out)

    def frame(
        self,
        df: pd.DataFrame,
        dates: Iterable[str] = (),
        text: Iterable[str] = (),
    ) -> pd.DataFrame:
        """A table or download as it may be shown: `name` and `manager_name` by their ids'
        labels, evidence ids as items; when anonymised also ids and emails dropped, `dates` by
        month and `text` columns scrubbed."""
        out = df.copy()
        if "name" in out.columns and "engineer_id" in out.columns:
            out["name"] = [
                self.person(e, n) for e, n in zip(out["engineer_id"], out["name"], strict=True)
            ]
        if "manager_name" in out.columns and "manager_id" in out.columns:
            out["manager_name"] = [
                self.manager(m, n)
                for m, n in zip(out["manager_id"], out["manager_name"], strict=True)
            ]
        if not self.anonymised:
            return out
        if "evidence_id" in out.columns:
            out["evidence_id"] = out["evidence_id"].map(self.item)
        if "recorded_by" in out.columns:
            # A recorder no longer on the roster is not among the names scrub knows.
            out["recorded_by"] = out["recorded_by"].map(
                lambda v: self.scrub(v) if self.scrub(v) != v else "a colleague"
            )
        for column in dates:
            if column in out.columns:
                out[column] = out[column].map(
                    lambda v: "—" if v is None or pd.isna(v) else pd.Timestamp(v).strftime("%b %Y")
                )
        for column in text:
            if column in out.columns:
                out[column] = out[column].map(self.scrub)
        private = ("engineer_id", "manager_id", "email", "link")
        return out.drop(columns=[c for c in private if c in out.columns])

    def for_chart(self, df: pd.DataFrame) -> pd.DataFrame:
        """`df` for a chart that needs real dates: when anonymised, each date moved to the first
        of its month, ids dropped, evidence ids as items and text scrubbed, so no tooltip or
        data set of the chart gives a person or a day away."""
        if not self.anonymised:
            return df
        out = df.drop(columns=[c for c in ("engineer_id", "manager_id", "email") if c in df])
        for column in [c for c in out.columns if _is_day(out[c])]:
            out[column] = pd.to_datetime(out[column]).dt.to_period("M").dt.to_timestamp()
        if "evidence_id" in out.columns:
            out["evidence_id"] = out["evidence_id"].map(self.item)
        for column in out.columns:
            if pd.api.types.is_object_dtype(out[column]) or pd.api.types.is_string_dtype(
                out[column]
            ):
                out[column] = out[column].map(self._scrub_any)
        return out

    def _scrub_any(self, value: object) -> object:
        if isinstance(value, list | tuple) or hasattr(value, "tolist"):
            return [self.scrub(str(v)) for v in list(value)]
        return self.scrub(value)

    def date_column(self, label: str):
        """How a table shows a day column: a date normally, the month text `frame` left when
        anonymised."""
        if self.anonymised:
            return st.column_config.TextColumn(label)
        return st.column_config.DateColumn(label, format="D MMM YYYY")

    def whole(self, df: pd.DataFrame) -> pd.DataFrame:
        """`frame` over every column: each day-valued column by month, every text scrubbed (a
        download, where no page decides column by column)."""
        days = [c for c in df.columns if _is_day(df[c])]
        words = [c for c in df.columns if df[c].dtype == object and c not in days]
        return self.frame(df, dates=days, text=words)

    def small_group(self, people: int) -> None:
        """Warn, on a shared screen, that a handful of people is recognisable even by letter."""
        if self.anonymised and 0 < people <= SMALL_GROUP:
            st.warning(
                f"Small group: {people} {'person' if people == 1 else 'people'} shown; people "
                "may be recognisable even by letter.",
                icon=":material/visibility:",
            )


def _is_day(column: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(column):
        return True
    first = column.dropna().head(1).tolist()
    return bool(first) and isinstance(first[0], date | pd.Timestamp)


def set_current(who: Identity) -> None:
    st.session_state[_KEY] = who


def current() -> Identity:
    return st.session_state[_KEY]


def anonymised() -> bool:
    return bool(st.session_state.get(state.ANONYMISE))


def view_params(params) -> dict[str, list[str]]:
    """The query parameters of the view a link keeps (month, filters, present, anonymise)."""
    return {k: params.get_all(k) for k in _KEPT_PARAMS if params.get_all(k)}


def of_month(wh, month, anonymise: bool) -> Identity:
    """How people are shown outside a page (case packets, pre-reads): as the sidebar builds it
    for that month, with no URL to keep."""
    from rungs_ui import queries  # queries import nothing of this module; pages import both

    return Identity.build(
        queries.roster(wh, queries.Filters(month=month)),
        queries.filter_options(wh, month)["managers"],
        wh.build_id,
        anonymise,
    )
