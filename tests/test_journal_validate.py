"""A form's entry gets the sentence the file would get, from the same pandera models."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pipelines.framework import DEFAULT_FRAMEWORK, load_framework
from pipelines.journal.entries import DecisionDraft, EvidenceDraft
from pipelines.journal.validate import decision_problems, evidence_problems

FRAMEWORK = load_framework(DEFAULT_FRAMEWORK)
TODAY = date.today()


def draft(**changes) -> EvidenceDraft:
    values = {
        "engineer_id": "E001",
        "observed_on": TODAY - timedelta(days=3),
        "category": "Impact",
        "level": "IC2",
        "summary": "Led the review of the March outage",
    }
    return EvidenceDraft(**(values | changes))


def test_a_complete_entry_has_no_problem():
    assert evidence_problems(draft(), FRAMEWORK) == []


@pytest.mark.parametrize(
    ("changes", "sentence"),
    [
        ({"summary": "   "}, "summary is empty; fill it in"),
        ({"level": "IC9"}, "level must be one of IC1, IC2, IC3, IC4, IC5"),
        ({"category": "Charm"}, "category must be one of Impact, Scope, Execution, Teamwork"),
        ({"observed_on": TODAY + timedelta(days=30)}, "observed_on is in the future"),
        ({"summary": '=HYPERLINK("http://x","y")'}, "summary starts like a spreadsheet formula"),
        ({"summary": "-2+3"}, "summary starts like a spreadsheet formula"),
        ({"link": "ftp://files"}, "link 'ftp://files' is not an http(s) link"),
        ({"kind": "rumour"}, "kind 'rumour' is not allowed; use one of example, concern"),
    ],
)
def test_bad_input_gets_the_files_sentence(changes, sentence):
    problems = evidence_problems(draft(**changes), FRAMEWORK)
    assert len(problems) == 1
    assert problems[0].startswith(sentence)


def test_a_bullet_is_prose_not_a_formula():
    assert evidence_problems(draft(summary="- fixed the macro backlog"), FRAMEWORK) == []


def decision(**changes) -> DecisionDraft:
    values = {
        "cycle": "2026-H2",
        "engineer_id": "E001",
        "stage": "calibrated",
        "outcome": "hold",
        "decided_on": TODAY,
        "rationale": "Execution is a month short of consistent",
    }
    return DecisionDraft(**(values | changes))


def test_a_calibrated_outcome_needs_its_rationale():
    assert decision_problems(decision(), FRAMEWORK) == []
    assert decision_problems(decision(rationale=" "), FRAMEWORK) == [
        "rationale is empty; say in a sentence why the meeting decided this"
    ]
    assert decision_problems(decision(stage="proposed", rationale=None), FRAMEWORK) == []


def test_a_promotion_names_its_level_and_start():
    problems = decision_problems(decision(outcome="promotion"), FRAMEWORK)
    assert problems == [
        "a promotion needs the level it is to; use one of IC1, IC2, IC3, IC4, IC5",
        "a promotion needs the date the new level takes effect",
    ]
    done = decision(outcome="promotion", to_level="IC3", effective_on=TODAY)
    assert decision_problems(done, FRAMEWORK) == []


def test_a_formula_rationale_and_a_future_decision_are_refused():
    problems = decision_problems(
        decision(rationale="@SUM(A1)", decided_on=TODAY + timedelta(days=9)), FRAMEWORK
    )
    assert problems == [
        "decided_on is in the future; check the year and the time zone",
        "rationale starts like a spreadsheet formula (=, +, -, @); begin it with a word",
    ]


def test_an_unknown_outcome_cannot_even_be_drafted():
    with pytest.raises(ValueError, match="outcome must be one of"):
        decision(outcome="fire")
