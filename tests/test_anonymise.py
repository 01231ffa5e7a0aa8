"""Anonymise as a mode of the whole session: with it on, no page the admin sees, and no download,
holds a real name, email, engineer or manager id, evidence id or the day of an item of
evidence; the URL names managers and engineers by id only; a small group is warned about."""

from __future__ import annotations

import re

import duckdb
import pytest

from rungs_ui import state
from rungs_ui.identity import distinct_labels, tenure_range
from rungs_ui.navigation import pages_for
from tests.test_pages import everything_shown, on_page, open_app
from tests.test_scope_pages import downloads  # noqa: F401 (fixture)


def _org(warehouse) -> dict[str, set[str]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:

        def column(sql: str) -> set[str]:
            return {str(v) for (v,) in con.execute(sql).fetchall() if v}

        return {
            "names": column("select name from engineers"),
            "emails": column("select email from engineers"),
            "ids": column("select engineer_id from engineers")
            | column("select distinct manager_id from reporting_lines"),
            "evidence": column("select evidence_id from evidence"),
            # A day that is not the first of its month cannot be a month shown as a date.
            "days": column(
                "select strftime(observed_on, '%Y-%m-%d') from evidence where day(observed_on) > 1"
            )
            | column(
                "select strftime(observed_on, '%-d %b %Y') from evidence where day(observed_on) > 1"
            ),
        }
    finally:
        con.close()


def _leaks(text: str, org: dict[str, set[str]]) -> list[str]:
    found = [n for n in org["names"] if n in text]
    found += [e for e in org["emails"] if e in text]
    found += [i for i in org["ids"] | org["evidence"] if re.search(rf"\b{i}\b", text)]
    return sorted(found + [d for d in org["days"] if d in text])


@pytest.fixture(scope="module")
def org(fixture_warehouse):
    return _org(fixture_warehouse)


def test_no_page_or_download_identifies_anyone_when_anonymised(
    monkeypatch,
    fixture_warehouse,
    downloads,  # noqa: F811
    org,
):
    at = open_app(monkeypatch, fixture_warehouse, {state.ANONYMISE: "true"})
    for spec in pages_for("admin"):
        downloads.clear()
        at = on_page(at, spec.script)
        assert [e.value for e in at.exception] == [], spec.title
        shown = everything_shown(at) + "\n".join(downloads)
        assert _leaks(shown, org) == [], spec.title
        assert at.toggle(key=state.ANONYMISE).value is True, "the mode holds across pages"
    url = str(dict(at.query_params))
    assert [n for n in org["names"] if n in url] == []


def test_the_manager_filter_names_managers_by_letter_and_keeps_ids_in_the_url(
    monkeypatch, fixture_warehouse, org
):
    at = open_app(monkeypatch, fixture_warehouse, {state.ANONYMISE: "true"})
    managers = at.sidebar.multiselect(key=state.MANAGERS)
    assert managers.options and all(o.startswith("Manager ") for o in managers.options)
    con = duckdb.connect(str(fixture_warehouse), read_only=True)
    (first,) = con.execute(
        "select manager_id from reporting_lines where ended_on is null "
        "group by 1 order by count(*) desc, 1 limit 1"
    ).fetchone()
    con.close()
    managers.set_value([first]).run()
    picked = at.sidebar.multiselect(key=state.MANAGERS).value
    assert picked == [first]
    assert at.query_params[state.MANAGERS] in (first, [first])  # the id, not a name
    # Leaving a page keeps the filter (it used to be dropped when the labels changed).
    at = on_page(at, "pages/calibration/calibration.py")
    at = on_page(at, "pages/people/promotions.py")
    assert at.sidebar.multiselect(key=state.MANAGERS).value == picked
    assert "Small group" in " ".join(w.value for w in at.warning)


def test_two_managers_who_share_a_name_are_two_options_told_apart(monkeypatch, fixture_warehouse):
    at = open_app(monkeypatch, fixture_warehouse)
    options = at.sidebar.multiselect(key=state.MANAGERS).options
    assert len(options) == len(set(options))


def test_namesakes_get_their_team_and_id_and_tenure_is_a_range():
    import pandas as pd

    labels = distinct_labels(
        pd.Series(["E1", "E2", "E3"]),
        pd.Series(["Brian Romero", "Brian Romero", "Ada Quill"]),
        pd.Series(["Billing", "Core", "Core"]),
    )
    assert labels.tolist() == [
        "Brian Romero (Billing · E1)",
        "Brian Romero (Core · E2)",
        "Ada Quill",
    ]
    assert [tenure_range(m) for m in (3, 18, 40, 71)] == [
        "under 1 year",
        "1–2 years",
        "2–5 years",
        "5+ years",
    ]
