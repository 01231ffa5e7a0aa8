"""The calibration worksheet (pages/calibration/decisions.py), run through AppTest as the demo
org's people sign in: who may propose and who may calibrate, what a refused cell says, that a
submission is written once, that Anonymise hides names but not whose decision is whose, and that
the distribution counts what the journal holds. Every run writes a journal of its own."""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pandas as pd
import pytest

from pipelines.errors import FrameworkError
from pipelines.framework import load_framework
from pipelines.journal import entries
from pipelines.journal.store import open_journal
from rungs_ui import identity, state
from tests import test_scope_pages
from tests.test_pages import everything_shown, open_app
from tests.test_scope_pages import expected_view, run_as
from tests.ui_fixtures import REPO, people_names

# The demo org's people, roles and as-of month: the scope tests' fixture, shared.
org = test_scope_pages.org

PAGE = "pages/calibration/decisions.py"
LEVEL = "worksheet_level"
CYCLE = entries.cycle_of(date.today())


def journal(tmp_path):
    return open_journal(tmp_path / "journal.sqlite")


def levels_at(warehouse, month) -> dict[str, str]:
    """engineer id -> the level held at the end of `month`."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(
            con.execute(
                "select engineer_id, level from level_stints where started_on <= last_day($m) "
                "and (ended_on is null or ended_on >= last_day($m))",
                {"m": month},
            ).fetchall()
        )


def readiness_row(warehouse, engineer_id, month) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frame = con.execute(
            "select * from readiness where engineer_id = $e and month = $m",
            {"e": engineer_id, "m": month},
        ).df()
    return frame.iloc[0].to_dict()


def open_worksheet(monkeypatch, tmp_path, warehouse, demo_source, email, level, query=None):
    at = run_as(monkeypatch, tmp_path, warehouse, demo_source / "access.toml", email, PAGE, query)
    at.selectbox(key=LEVEL).set_value(level).run()
    assert [e.value for e in at.exception] == []
    return at


def row_of(at, label_start: str) -> int:
    people = at.data_editor[0].value["person"].tolist()
    return next(i for i, p in enumerate(people) if p.startswith(label_start))


def submit(at, edits: dict[int, dict]):
    """Type `edits` ({row: {column: value}}) into the worksheet and press Save."""
    at.session_state[at.data_editor[0].key] = {
        "edited_rows": edits,
        "added_rows": [],
        "deleted_rows": [],
    }
    at.get("form_submit_button")[0].click().run()
    assert [e.value for e in at.exception] == []
    return at


def errors(at) -> str:
    return "\n".join(e.value for e in at.error)


@pytest.fixture
def manager(org, fixture_warehouse):
    """A manager, one of their reports with a plain reason (no team median, which a partial
    view words differently), and both their levels."""
    people, roles, month, _, levelled = org
    email = roles["manager"][0]
    seen, _ = expected_view(org, email)
    me = next(p for p in people if p.email == email)
    levels = levels_at(fixture_warehouse, month)
    report = next(
        p
        for p in sorted(people, key=lambda p: p.engineer_id)
        if p.engineer_id in seen - {me.engineer_id}
        and p.engineer_id in levelled
        and "median" not in readiness_row(fixture_warehouse, p.engineer_id, month)["reason"]
    )
    return email, me, report, levels, month


def test_a_manager_proposes_for_a_report_with_a_snapshot_of_what_the_page_showed(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, manager
):
    email, _, report, levels, month = manager
    at = open_worksheet(
        monkeypatch, tmp_path, fixture_warehouse, demo_source, email, levels[report.engineer_id]
    )
    row = row_of(at, report.name)
    submit(at, {row: {"proposed": "Hold", "proposed_rationale": "Another cycle at this level"}})
    assert errors(at) == ""
    assert "Saved 1 change" in " ".join(s.value for s in at.success)
    saved = entries.decisions(journal(tmp_path), CYCLE)
    assert saved[["engineer_id", "stage", "outcome", "recorded_by"]].values.tolist() == [
        [report.engineer_id, "proposed", "hold", email]
    ]
    snap = entries.snapshot(journal(tmp_path), saved["snapshot_id"].iloc[0])
    truth = readiness_row(fixture_warehouse, report.engineer_id, month)
    flags = ["promotion_ready", "near_window", "in_band_candidate", "at_risk"]
    assert snap.payload["readiness"]["flags"] == [f for f in flags if truth[f]]
    assert snap.payload["readiness"]["reason"] == truth["reason"]
    assert snap.payload["readiness"]["counters"]["months_at_level"] == truth["months_at_level"]
    # The page now shows the proposal on that person's row, saved by "you".
    shown = at.data_editor[0].value.iloc[row_of(at, report.name)]
    assert (shown["proposed"], shown["proposed_by"].split(" · ")[0]) == ("Hold", "you")


def test_a_manager_may_not_calibrate_nor_propose_for_themselves_nor_see_anyone_else(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, org, manager
):
    email, me, report, levels, _ = manager
    seen, _ = expected_view(org, email)
    names_outside = {p.name for p in org[0] if p.engineer_id not in seen}
    for level in sorted({levels[e] for e in seen if e in levels}):
        at = open_worksheet(monkeypatch, tmp_path, fixture_warehouse, demo_source, email, level)
        assert not set(at.data_editor[0].value["person"]) & names_outside
    at = open_worksheet(
        monkeypatch, tmp_path, fixture_warehouse, demo_source, email, levels[report.engineer_id]
    )
    submit(at, {row_of(at, report.name): {"calibrated": "Promote", "calibrated_rationale": "x"}})
    assert "you may not record this; the calibrated outcome is recorded by leadership" in (
        errors(at)
    )
    if me.engineer_id in levels:
        at = open_worksheet(
            monkeypatch, tmp_path, fixture_warehouse, demo_source, email, levels[me.engineer_id]
        )
        submit(at, {row_of(at, me.name): {"proposed": "Promote"}})
        assert "a proposal is made by the person's manager, not for oneself" in errors(at)
    assert entries.decisions(journal(tmp_path)).empty


def leadership_email(org) -> str:
    return next(e for e in org[1]["leadership"] if not e.startswith("group:") and "@" in e)


def test_leadership_calibrates_with_a_rationale_and_an_empty_one_is_refused(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, org, manager
):
    _, _, report, levels, _ = manager
    lead = leadership_email(org)
    at = open_worksheet(
        monkeypatch, tmp_path, fixture_warehouse, demo_source, lead, levels[report.engineer_id]
    )
    row = row_of(at, report.name)
    submit(at, {row: {"calibrated": "In-band raise"}})
    assert "rationale is empty; say in a sentence why the meeting decided this" in errors(at)
    assert entries.decisions(journal(tmp_path)).empty
    submit(at, {row: {"calibrated": "In-band raise", "calibrated_rationale": "Strong year"}})
    assert errors(at) == ""
    saved = entries.decisions(journal(tmp_path), CYCLE)
    columns = ["engineer_id", "stage", "outcome", "rationale", "recorded_by"]
    assert saved[columns].values.tolist() == [
        [report.engineer_id, "calibrated", "in_band_raise", "Strong year", lead]
    ]


def test_the_same_submission_twice_is_written_once(monkeypatch, fixture_warehouse, tmp_path):
    monkeypatch.setenv("RUNGS_JOURNAL_URL", str(tmp_path / "journal.sqlite"))
    at = open_app(monkeypatch, fixture_warehouse).switch_page(PAGE).run()
    edits = {0: {"proposed": "Promote", "proposed_rationale": "Ready"}}
    editor = at.data_editor[0].key
    submit(at, edits)
    # The same edits arrive again (a double-click, a retried request): nothing more is written.
    at.session_state[editor] = {"edited_rows": edits, "added_rows": [], "deleted_rows": []}
    at.get("form_submit_button")[0].click().run()
    submit(at, edits)
    history = entries.decision_history(journal(tmp_path), CYCLE)
    assert len(history) == 1
    assert history["outcome"].tolist() == ["promotion"]
    assert history["to_level"].notna().all()  # the next level, by default


def test_a_withdrawn_proposal_keeps_its_reason(monkeypatch, fixture_warehouse, tmp_path):
    monkeypatch.setenv("RUNGS_JOURNAL_URL", str(tmp_path / "journal.sqlite"))
    at = open_app(monkeypatch, fixture_warehouse).switch_page(PAGE).run()
    submit(at, {0: {"proposed": "Hold", "proposed_rationale": "Wait"}})
    submit(at, {0: {"proposed": None, "proposed_rationale": "Proposed by mistake"}})
    assert errors(at) == ""
    assert entries.decisions(journal(tmp_path), CYCLE).empty
    history = entries.decision_history(journal(tmp_path), CYCLE)
    assert history["removed"].tolist() == [True, False]
    assert history["removal_reason"].iloc[0] == "Proposed by mistake"
    log = at.dataframe[-1].value
    assert log[["before", "after"]].values.tolist() == [["Hold", "withdrawn"], ["—", "Hold"]]


def test_a_people_partner_reads_the_worksheet_without_a_form(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, org
):
    email = org[1]["people_partner"][0]
    at = run_as(monkeypatch, tmp_path, fixture_warehouse, demo_source / "access.toml", email, PAGE)
    assert [e.value for e in at.exception] == []
    assert len(at.data_editor) == 0
    assert len(at.get("form_submit_button")) == 0
    assert any("Read only" in c.value for c in at.caption)


def test_anonymised_no_name_shows_and_the_decision_stays_with_its_person(
    monkeypatch, fixture_warehouse, tmp_path
):
    monkeypatch.setenv("RUNGS_JOURNAL_URL", str(tmp_path / "journal.sqlite"))
    at = open_app(monkeypatch, fixture_warehouse, {state.ANONYMISE: "true"})
    at = at.switch_page(PAGE).run()
    sheet = at.data_editor[0].value
    submit(at, {2: {"calibrated": "Hold", "calibrated_rationale": "Not yet"}})
    assert errors(at) == ""
    text = everything_shown(at)
    names = people_names(fixture_warehouse)
    assert [n for n in names.values() if n in text] == []
    assert not [e for e in names if e in text]
    saved = entries.decisions(journal(tmp_path), CYCLE)
    who = at.session_state[identity._KEY]
    assert who.people[saved["engineer_id"].iloc[0]] == sheet["person"].iloc[2]
    shown = at.data_editor[0].value
    assert shown.loc[shown["person"] == sheet["person"].iloc[2], "calibrated"].tolist() == ["Hold"]


def chart_rows(at, column: str) -> pd.DataFrame:
    """The data set of the page's chart that has `column`."""
    import pyarrow as pa

    for chart in at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart"):
        for data in chart.proto.datasets:
            frame = pa.ipc.open_stream(data.data.data).read_all().to_pandas()
            if column in frame.columns and "stage" in frame.columns:
                return frame
    raise AssertionError(f"no chart with {column}")


def test_the_distribution_counts_what_the_journal_holds(monkeypatch, fixture_warehouse, tmp_path):
    monkeypatch.setenv("RUNGS_JOURNAL_URL", str(tmp_path / "journal.sqlite"))
    at = open_app(monkeypatch, fixture_warehouse).switch_page(PAGE).run()
    people = len(at.data_editor[0].value)
    submit(
        at,
        {
            0: {"proposed": "Promote", "calibrated": "Promote", "calibrated_rationale": "Ready"},
            1: {"proposed": "Promote", "calibrated": "Hold", "calibrated_rationale": "Soon"},
            2: {"proposed": "In-band raise"},
        },
    )
    assert errors(at) == ""
    saved = entries.decisions(journal(tmp_path), CYCLE)
    expected = (
        saved.assign(
            outcome=saved["outcome"].map(entries.OUTCOME_WORDS),
            stage=saved["stage"].map(entries.STAGE_WORDS),
        )
        .groupby(["outcome", "stage"])
        .size()
        .to_dict()
    )
    drawn = chart_rows(at, "people")
    drawn = drawn.drop_duplicates(["outcome", "stage"])
    pairs = zip(drawn["outcome"], drawn["stage"], strict=True)
    assert dict(zip(pairs, drawn["people"], strict=True)) == expected
    share = load_framework().calibration["promotion_share"]
    caption = next(c.value for c in at.caption if " proposed of " in c.value)
    assert caption.startswith(f"1 promotion calibrated and 2 proposed of {people} at ")
    assert f"guideline about {share:.0%}" in caption
    log = at.dataframe[-1].value
    assert len(log) == len(saved)


def test_the_guideline_is_optional_and_checked(tmp_path):
    text = (REPO / "data" / "framework.toml").read_text(encoding="utf-8")
    without = text.replace("[calibration]\npromotion_share = 0.15\n", "")
    assert without != text
    (tmp_path / "none.toml").write_text(without, encoding="utf-8")
    assert load_framework(tmp_path / "none.toml").calibration == {}
    for bad, says in (("1.5", "write a share between 0 and 1"), ('"15%"', "write a share")):
        (tmp_path / "bad.toml").write_text(
            text.replace("promotion_share = 0.15", f"promotion_share = {bad}"), encoding="utf-8"
        )
        with pytest.raises(FrameworkError, match=says):
            load_framework(tmp_path / "bad.toml")
    (tmp_path / "typo.toml").write_text(
        text.replace("promotion_share = 0.15", "promotion_shares = 0.15"), encoding="utf-8"
    )
    with pytest.raises(FrameworkError, match="unknown setting 'promotion_shares'"):
        load_framework(tmp_path / "typo.toml")
    assert json.dumps(load_framework().calibration) == '{"promotion_share": 0.15}'


def test_leadership_sees_evidence_by_manager_before_calibrating_and_a_manager_does_not(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, org, manager
):
    from pipelines.fairness import documentation_skew, fairness_min_group_size
    from pipelines.fairness.period import months_before
    from rungs_ui import documentation

    email, _, report, levels, month = manager
    with duckdb.connect(str(fixture_warehouse), read_only=True) as con:
        skew = documentation_skew(
            con, months_before(month, 11), month, fairness_min_group_size(con, 5)
        )
    below = int(skew["words"].str.startswith("lower").sum())
    lead = leadership_email(org)
    at = open_worksheet(
        monkeypatch, tmp_path, fixture_warehouse, demo_source, lead, levels[report.engineer_id]
    )
    opening = " ".join(m.value for m in at.markdown if "Before you calibrate" in m.value)
    assert len(skew) > 0
    assert opening == documentation.sentence(below, len(skew))
    # On the shared screen the link keeps the room's view.
    at = open_worksheet(
        monkeypatch,
        tmp_path,
        fixture_warehouse,
        demo_source,
        lead,
        levels[report.engineer_id],
        {"present": "1", "anonymise": "true"},
    )
    (link,) = [p for p in at.get("page_link") if "Fairness" in p.proto.label]
    assert "present=1" in link.proto.query_string and "anonymise=true" in link.proto.query_string
    at = open_worksheet(
        monkeypatch, tmp_path, fixture_warehouse, demo_source, email, levels[report.engineer_id]
    )
    assert not [m for m in at.markdown if "Before you calibrate" in m.value]
