"""The calibration journal keeps people data in scope: free text about a decision is blanked of
names outside the viewer's view, a withdrawal's reason carries no identity, nobody calibrates
their own outcome, and a snapshot shows a partial viewer no more than their own page would."""

from __future__ import annotations

from datetime import date

from pipelines.access.scope import Scope
from pipelines.journal import entries
from pipelines.journal.store import open_journal
from rungs_ui import state
from tests import test_scope_pages
from tests.test_pages import everything_shown
from tests.test_scope_pages import expected_view, run_as
from tests.test_worksheet import PAGE, levels_at, submit

org = test_scope_pages.org
CYCLE = entries.cycle_of(date.today())
ENGINEER_PAGE = "pages/people/engineer.py"


def _decide(journal, engineer_id, stage, outcome, rationale, who):
    draft = entries.DecisionDraft(
        cycle=CYCLE,
        engineer_id=engineer_id,
        stage=stage,
        outcome=outcome,
        decided_on=date.today(),
        rationale=rationale,
    )
    entries.record_decision(journal, draft, who=who, key=entries.new_key(), snapshot=None)


def test_leadership_may_not_calibrate_their_own_outcome():
    lead = Scope(
        viewer="lead@example.com",
        role="leadership",
        roles=frozenset({"leadership"}),
        everyone=True,
        self_ids=frozenset({"E9"}),
    )
    assert not lead.may_propose("E9")
    assert not lead.may_calibrate("E9"), "leadership on the roster can calibrate themselves"
    assert lead.may_calibrate("E1") and lead.may_calibrate()


def test_worksheet_rationale_naming_an_outsider_is_blanked_for_a_manager(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, org
):
    people, roles, month, _, levelled = org
    email = roles["manager"][0]
    seen, named = expected_view(org, email)
    report = sorted(e for e in seen if e in levelled)[0]
    outsider = next(p for p in people if p.engineer_id not in named)
    journal = open_journal(tmp_path / "journal.sqlite")
    _decide(journal, report, "calibrated", "hold", f"Behind {outsider.name} on scope", "lead@x.com")
    level = levels_at(fixture_warehouse, month)[report]
    at = run_as(monkeypatch, tmp_path, fixture_warehouse, demo_source / "access.toml", email, PAGE)
    at.selectbox(key="worksheet_level").set_value(level).run()
    cells = at.data_editor[0].value["calibrated_rationale"].tolist()
    log = at.dataframe[-1].value["why"].tolist()
    assert not [c for c in cells + log if outsider.name in str(c)], (cells, log)


def test_engineer_page_blanks_the_same_rationale(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, org
):
    people, roles, _month, _, levelled = org
    email = roles["manager"][0]
    seen, named = expected_view(org, email)
    report = sorted(e for e in seen if e in levelled)[0]
    outsider = next(p for p in people if p.engineer_id not in named)
    journal = open_journal(tmp_path / "journal.sqlite")
    _decide(journal, report, "calibrated", "hold", f"Behind {outsider.name} on scope", "lead@x.com")
    at = run_as(
        monkeypatch,
        tmp_path,
        fixture_warehouse,
        demo_source / "access.toml",
        email,
        ENGINEER_PAGE,
        {state.ENGINEER: report},
    )
    assert outsider.name not in everything_shown(at)


def test_anonymised_change_log_shows_no_email(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, org
):
    _people, roles, _month, _, _levelled = org
    lead = next(e for e in roles["leadership"] if "@" in e and not e.startswith("group:"))
    at = run_as(
        monkeypatch,
        tmp_path,
        fixture_warehouse,
        demo_source / "access.toml",
        lead,
        PAGE,
        {state.ANONYMISE: "true"},
    )
    submit(at, {0: {"proposed": "Hold", "proposed_rationale": "Wait"}})
    submit(at, {0: {"proposed": None, "proposed_rationale": None}})  # withdrawn, no reason typed
    history = entries.decision_history(open_journal(tmp_path / "journal.sqlite"), CYCLE)
    assert history["removed"].tolist() == [True, False]
    log = at.dataframe[-1].value["why"].tolist()
    assert not [w for w in log if lead in str(w)], log


def test_a_failed_save_keeps_edits_by_row_so_anonymise_moves_them_to_someone_else(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, org
):
    """Edits kept after a refused save are positional: toggling Anonymise re-sorts the rows,
    and the kept edit is then shown (and saved) against a different person."""
    lead = next(e for e in org[1]["leadership"] if "@" in e and not e.startswith("group:"))
    at = run_as(monkeypatch, tmp_path, fixture_warehouse, demo_source / "access.toml", lead, PAGE)
    before = at.data_editor[0].value
    names_before = before["person"].tolist()
    # Row 1 is fine; row 0 lacks its rationale, so the save is refused in part.
    submit(
        at,
        {
            0: {"calibrated": "Hold"},
            1: {"proposed": "Development plan", "proposed_rationale": "Marker"},
        },
    )
    target = names_before[1]
    saved = entries.decisions(open_journal(tmp_path / "journal.sqlite"), CYCLE)
    assert len(saved) == 1
    first_id = saved["engineer_id"].iloc[0]
    at.toggle(key=state.ANONYMISE).set_value(True).run()
    sheet = at.data_editor[0].value
    who = at.session_state["_rungs_identity"]
    shown_for = {who.people[e]: e for e in who.people}
    marked = sheet.loc[sheet["proposed_rationale"] == "Marker", "person"].tolist()
    # The stored proposal belongs to `first_id` (named `target` before anonymising).
    assert [shown_for[m] for m in marked] == [first_id], (target, marked)
