"""Recording evidence in the app: a manager saves an example about a report and sees it at once
on the Evidence and Engineer pages, marked as recorded in the app by them; bad input gets the
loader's sentence and writes nothing; a double submission writes once; who has no form; a
correction is a new version and a removal a tombstone with its reason.

The dashboard runs through AppTest with sign-in configured (tests/test_scope_pages.py), each
test with a journal of its own under tmp_path.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipelines.journal import entries
from pipelines.journal.store import open_journal
from pipelines.journal.validate import evidence_problems
from rungs_ui import recording
from tests.test_scope_pages import TIMEOUT, run_as

EVIDENCE = "pages/calibration/evidence.py"
ENGINEER = "pages/people/engineer.py"


@pytest.fixture(scope="module")
def org(fixture_warehouse, demo_source):
    """The access file's roles, the as-of month, and each manager's reports then."""
    roles = tomllib.loads((demo_source / "access.toml").read_text())["roles"]
    with duckdb.connect(str(fixture_warehouse), read_only=True) as con:
        month = con.execute("select strptime(as_of_month, '%Y-%m')::date from builds").fetchone()[0]
        day = con.execute("select last_day($m::date)", {"m": month}).fetchone()[0]
        emails = dict(con.execute("select lower(email), engineer_id from engineers").fetchall())
        lines = con.execute(
            "select engineer_id, manager_id from reporting_lines "
            "where started_on <= $d and (ended_on is null or ended_on >= $d)",
            {"d": day},
        ).fetchall()
    return {"roles": roles, "month": month, "emails": emails, "lines": lines}


def manager_and_report(org) -> tuple[str, str, str]:
    """A manager from the access file, one of their direct reports, and someone outside
    their view (a person who reports to nobody below them)."""
    email = org["roles"]["manager"][0]
    me = org["emails"][email]
    below, frontier = {me}, {me}
    while frontier:
        frontier = {e for e, m in org["lines"] if m in frontier} - below
        below |= frontier
    report = sorted(e for e, m in org["lines"] if m == me)[0]
    outsider = sorted({e for e, _ in org["lines"]} - below)[0]
    return email, report, outsider


def with_self_evidence(source: Path, target: Path, allowed: bool) -> Path:
    """A copy of the access file `source` with [journal] self_evidence set to `allowed`."""
    text = re.sub(r"(?m)^self_evidence\s*=.*\n?", "", source.read_text())
    setting = f"self_evidence = {'true' if allowed else 'false'}\n"
    if "[journal]\n" in text:
        text = text.replace("[journal]\n", f"[journal]\n{setting}", 1)
    else:
        text += f"\n[journal]\n{setting}"
    target.write_text(text)
    return target


def in_month(org) -> date:
    """A day inside the month the dashboard opens on (the views show evidence up to it)."""
    return org["month"] + timedelta(days=14)


def journal(tmp_path):
    return open_journal(tmp_path / "journal.sqlite")


def saved_items(tmp_path) -> pd.DataFrame:
    return entries.evidence(journal(tmp_path), include_removed=True)


def inputs(at: AppTest, form: str, subject: str) -> str:
    """The start of the form's input keys now (recording.inputs_prefix, read from the test's
    side: each save moves the inputs on, so the next entry starts empty)."""
    generation = at.session_state.get(f"_rungs_form_generation_{form}", 0)
    return f"{form}{generation or ''}_{subject}"


def fill(at: AppTest, form: str, person: str, **values) -> AppTest:
    """Set the evidence form's inputs (`values` by field name) for `person`."""
    for name, value in values.items():
        key = f"{inputs(at, form, person)}_{name}"
        if name == "summary":
            at.text_area(key=key).set_value(value)
        elif name == "observed_on":
            at.date_input(key=key).set_value(value)
        elif name in ("link",):
            at.text_input(key=key).set_value(value)
        elif name == "kind":
            at.radio(key=key).set_value(value)
        else:
            at.selectbox(key=key).set_value(value)
    return at


def evidence_table(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "recorded" in d.value.columns)


def errors(at: AppTest) -> str:
    # As written: without the escapes and invisible joiners that keep Markdown from reading it.
    return "\n".join(e.value for e in at.error).replace("\\", "").replace("\u2060", "")


def test_a_manager_records_evidence_about_a_report_and_it_shows_at_once_on_both_pages(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, org
):
    email, report, _ = manager_and_report(org)
    access_file = demo_source / "access.toml"
    at = run_as(monkeypatch, tmp_path, fixture_warehouse, access_file, email, EVIDENCE)
    at.selectbox(key="rec_ev_person").set_value(report).run()
    summary = "Ran the handover of the billing queue without a dropped ticket"
    fill(at, "rec_ev", report, summary=summary, observed_on=in_month(org), kind="example")
    at.button(key="rec_ev_save").click().run()

    assert [e.value for e in at.exception] == []
    assert [s.value for s in at.success] == [recording.SAVED]
    items = saved_items(tmp_path)
    assert items[["engineer_id", "summary", "recorded_by", "source"]].values.tolist() == [
        [report, summary, email, "manager"]
    ]
    row = evidence_table(at).loc[lambda t: t["summary"] == summary]
    assert row["recorded"].tolist() == [f"Not yet in a build · recorded in the app by {email}"]

    at = run_as(
        monkeypatch,
        tmp_path,
        fixture_warehouse,
        access_file,
        email,
        ENGINEER,
        {"engineer": report},
    )
    assert [e.value for e in at.exception] == []
    row = evidence_table(at).loc[lambda t: t["summary"] == summary]
    assert row["recorded"].tolist() == [f"Not yet in a build · recorded in the app by {email}"]
    assert row["evidence_id"].tolist() == items["evidence_id"].tolist()


@pytest.mark.parametrize(
    "summary",
    ["", "   ", '=HYPERLINK("http://x")', "+1 for the fix"],
    ids=["empty", "blank", "formula", "plus"],
)
def test_bad_input_gets_the_validators_sentence_and_writes_nothing(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, org, summary
):
    email, report, _ = manager_and_report(org)
    at = run_as(
        monkeypatch, tmp_path, fixture_warehouse, demo_source / "access.toml", email, EVIDENCE
    )
    at.selectbox(key="rec_ev_person").set_value(report).run()
    fill(at, "rec_ev", report, summary=summary, observed_on=in_month(org))
    at.button(key="rec_ev_save").click().run()

    fw = _framework(at)
    expected = evidence_problems(
        entries.EvidenceDraft(report, in_month(org), fw.categories[0], fw.levels[0], summary),
        fw,
    )
    assert expected, "the case must be one the contract refuses"
    for sentence in expected:
        assert sentence[1:] in errors(at)
    assert at.success == []
    assert saved_items(tmp_path).empty


def _framework(at: AppTest):
    return at.session_state["_rungs_page_context"].fw


def test_a_person_outside_the_managers_view_is_refused_at_save_time(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, org
):
    email, _, outsider = manager_and_report(org)
    at = run_as(
        monkeypatch, tmp_path, fixture_warehouse, demo_source / "access.toml", email, ENGINEER
    )
    # A stale session (or a crafted rerun) holding someone the manager may not record about:
    # the choice stays listed, marked, and the save is refused.
    at.session_state["rec_ev_person"] = outsider
    at.switch_page(EVIDENCE).run()
    picker = at.selectbox(key="rec_ev_person")
    assert picker.value == outsider
    assert picker.options[-1].endswith("(not yours to record about)")
    fill(at, "rec_ev", outsider, summary="Looks fine by every measure", observed_on=in_month(org))
    at.button(key="rec_ev_save").click().run()

    assert [e.value for e in at.exception] == []
    assert "not among the people you may record evidence about" in errors(at)
    assert saved_items(tmp_path).empty


def test_a_future_date_is_refused_in_the_loaders_words(monkeypatch, tmp_path):
    # The date picker stops at today; a browser whose clock runs ahead could still send a
    # later day, so the save checks it like the file does.
    monkeypatch.setenv("RUNGS_JOURNAL_URL", str(tmp_path / "journal.sqlite"))

    def app():
        from datetime import date, timedelta

        import streamlit as st

        from pipelines.access import everyone
        from pipelines.framework import load_framework
        from pipelines.journal.entries import EvidenceDraft
        from pipelines.journal.validate import evidence_problems
        from rungs_ui import recording

        fw = load_framework()
        later = date.today() + timedelta(days=3)
        draft = EvidenceDraft("E0001", later, fw.categories[0], fw.levels[0], "Fine work")
        for problem in evidence_problems(draft, fw):
            st.caption(problem)
        recording.save_evidence(everyone(), fw, "t", draft, {"E0001"})

    at = AppTest.from_function(app, default_timeout=TIMEOUT).run()
    assert [e.value for e in at.exception] == []
    sentence = at.caption[0].value
    assert "in the future" in sentence
    assert sentence[1:] in errors(at)
    assert saved_items(tmp_path).empty


def test_the_same_submission_twice_writes_once(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, org
):
    email, report, _ = manager_and_report(org)
    at = run_as(
        monkeypatch, tmp_path, fixture_warehouse, demo_source / "access.toml", email, EVIDENCE
    )
    at.selectbox(key="rec_ev_person").set_value(report).run()
    values = {"summary": "Unblocked two peers on the refunds queue", "observed_on": in_month(org)}
    fill(at, "rec_ev", report, **values)
    at.button(key="rec_ev_save").click().run()
    # The save emptied the form; the second click arrives with the same entry again.
    assert at.text_area(key=f"{inputs(at, 'rec_ev', report)}_summary").value == ""
    fill(at, "rec_ev", report, **values)
    at.button(key="rec_ev_save").click().run()

    assert [s.value for s in at.success] == [recording.ALREADY_SAVED]
    assert len(saved_items(tmp_path)) == 1
    # Something else is a new attempt with a new key.
    fill(at, "rec_ev", report, **{**values, "summary": "Wrote the refunds runbook"})
    at.button(key="rec_ev_save").click().run()
    assert len(saved_items(tmp_path)) == 2


def test_an_engineer_records_about_themselves_only_where_the_access_file_allows(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, org
):
    email = org["roles"]["engineer"][0]
    me = org["emails"][email]
    refused = with_self_evidence(demo_source / "access.toml", tmp_path / "off.toml", False)
    at = run_as(monkeypatch, tmp_path, fixture_warehouse, refused, email, ENGINEER)
    assert [e.value for e in at.exception] == []
    assert not [x for x in at.expander if "Record evidence" in x.label]
    assert recording.who_may_record(at.session_state["_rungs_page_context"].scope) in [
        c.value for c in at.caption
    ]

    allowed = with_self_evidence(demo_source / "access.toml", tmp_path / "on.toml", True)
    at = run_as(monkeypatch, tmp_path, fixture_warehouse, allowed, email, ENGINEER)
    assert [x.label for x in at.expander if "Record evidence" in x.label]
    source = at.selectbox(key=f"{inputs(at, 'rec_eng', me)}_source_self")
    assert (source.options, source.disabled) == (["self"], True)
    fill(at, "rec_eng", me, summary="Documented the on-call handover", observed_on=in_month(org))
    at.button(key="rec_eng_save").click().run()
    assert [e.value for e in at.exception] == []
    items = saved_items(tmp_path)
    assert items[["engineer_id", "source", "recorded_by"]].values.tolist() == [[me, "self", email]]


def test_a_people_partner_reads_evidence_and_has_no_form(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, org
):
    email = org["roles"]["people_partner"][0]
    access_file = demo_source / "access.toml"
    for script in (EVIDENCE, ENGINEER):
        at = run_as(monkeypatch, tmp_path, fixture_warehouse, access_file, email, script)
        assert [e.value for e in at.exception] == []
        assert not [b for b in at.button if b.key in ("rec_ev_save", "rec_eng_save")]
        assert any("People partners read evidence" in c.value for c in at.caption)


def test_a_correction_is_a_new_version_and_a_removal_a_tombstone_with_its_reason(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, org
):
    email, report, _ = manager_and_report(org)
    at = run_as(
        monkeypatch, tmp_path, fixture_warehouse, demo_source / "access.toml", email, EVIDENCE
    )
    at.selectbox(key="rec_ev_person").set_value(report).run()
    fill(at, "rec_ev", report, summary="Fixed the SLA report", observed_on=in_month(org))
    at.button(key="rec_ev_save").click().run()
    evidence_id = saved_items(tmp_path)["evidence_id"].iloc[0]
    assert at.selectbox(key="rec_fix_entry").value == evidence_id

    fill(at, "rec_fix", evidence_id, summary="Fixed the SLA report's time-zone bug")
    at.button(key="rec_fix_save").click().run()
    assert [e.value for e in at.exception] == []
    history = entries.evidence_history(journal(tmp_path), evidence_id)
    assert history["summary"].tolist() == [
        "Fixed the SLA report",
        "Fixed the SLA report's time-zone bug",
    ]
    assert set(evidence_table(at)["summary"]) >= {"Fixed the SLA report's time-zone bug"}
    assert "Fixed the SLA report" not in set(evidence_table(at)["summary"])

    # A removal without a reason is refused; with one it is a tombstone that keeps it.
    at.button(key="rec_fix_drop").click().run()
    assert "a removal needs its reason" in errors(at).lower()
    assert len(entries.evidence_history(journal(tmp_path), evidence_id)) == 2
    at.text_input(key=f"{inputs(at, 'rec_fix', evidence_id)}_reason").set_value(
        "Recorded about the wrong person"
    )
    at.button(key="rec_fix_drop").click().run()
    history = entries.evidence_history(journal(tmp_path), evidence_id)
    assert history[["removed", "removal_reason", "recorded_by"]].values.tolist()[-1] == [
        1,
        "Recorded about the wrong person",
        email,
    ]
    assert "Fixed the SLA report's time-zone bug" not in set(evidence_table(at)["summary"])
    assert entries.evidence(journal(tmp_path)).empty
