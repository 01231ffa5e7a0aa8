"""The access file and the scope it gives a viewer: who holds which role, and whom a manager
sees as of a month (everyone below them through the reporting lines of that month)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.access import AccessFileError, load_policy, resolve_scope
from pipelines.access.policy import AccessPolicy

# H heads the org; A manages B (who manages C and D) and E. F reported to B until 2026-03-15,
# then to E: in February B's subtree holds F, in March it does not.
PEOPLE = [
    ("H", "head@example.com", None),
    ("A", "a@example.com", "H"),
    ("B", "B@Example.com", "A"),
    ("C", "c@example.com", "B"),
    ("D", "d@example.com", "B"),
    ("E", "e@example.com", "A"),
    ("F", "f@example.com", "E"),
]
LINES = [
    ("H", None, "2020-01-01", None),
    ("A", "H", "2020-01-01", None),
    ("B", "A", "2020-01-01", None),
    ("C", "B", "2020-01-01", None),
    ("D", "B", "2020-01-01", None),
    ("E", "A", "2020-01-01", None),
    ("F", "B", "2020-01-01", "2026-03-14"),
    ("F", "E", "2026-03-15", None),
]
FEB, MAR = date(2026, 2, 1), date(2026, 3, 1)


@pytest.fixture
def con():
    con = duckdb.connect(":memory:")
    con.execute("create table engineers (engineer_id varchar, email varchar, manager_id varchar)")
    con.executemany("insert into engineers values (?, ?, ?)", PEOPLE)
    con.execute(
        "create table reporting_lines "
        "(engineer_id varchar, manager_id varchar, started_on date, ended_on date)"
    )
    con.executemany("insert into reporting_lines values (?, ?, ?, ?)", LINES)
    yield con
    con.close()


def policy(text: str, tmp_path: Path) -> AccessPolicy:
    path = tmp_path / "access.toml"
    path.write_text(text, encoding="utf-8")
    return load_policy(path)


GRANTS = """
[roles]
admin = ["Root@Example.com"]
leadership = ["group:cs-leadership"]
people_partner = ["hr@example.com"]
"""


def test_a_manager_sees_themselves_and_everyone_below_them_transitively(con, tmp_path):
    scope = resolve_scope(con, policy(GRANTS, tmp_path), "a@example.com", month=FEB)
    assert scope.role == "manager" and not scope.everyone
    assert scope.people == {"A", "B", "C", "D", "E", "F"}
    assert scope.own_managers == {"H"}  # their own manager's name, not their data
    assert not scope.allows("H")


def test_a_move_between_managers_moves_visibility_with_it(con, tmp_path):
    rules = policy(GRANTS, tmp_path)
    assert "F" in resolve_scope(con, rules, "b@example.com", month=FEB).people
    march = resolve_scope(con, rules, "b@example.com", month=MAR)
    assert march.people == {"B", "C", "D"}
    assert resolve_scope(con, rules, "e@example.com", month=MAR).people == {"E", "F"}


def test_an_engineer_sees_only_themselves(con, tmp_path):
    scope = resolve_scope(con, policy(GRANTS, tmp_path), "C@EXAMPLE.COM", month=FEB)
    assert scope.role == "engineer" and scope.people == {"C"}


def test_roles_from_the_file_by_email_or_group_and_the_widest_wins(con, tmp_path):
    rules = policy(GRANTS, tmp_path)
    assert resolve_scope(con, rules, "root@example.com", month=FEB).role == "admin"
    lead = resolve_scope(con, rules, "b@example.com", ("CS-Leadership",), month=FEB)
    assert lead.role == "leadership" and lead.everyone
    hr = resolve_scope(con, rules, "hr@example.com", month=FEB)
    assert hr.everyone and hr.read_only


def test_someone_unknown_has_no_access(con, tmp_path):
    assert resolve_scope(con, policy(GRANTS, tmp_path), "stranger@example.com", month=FEB) is None
    assert resolve_scope(con, policy(GRANTS, tmp_path), "", month=FEB) is None


def test_without_roster_sign_in_only_people_listed_get_in(con, tmp_path):
    rules = policy(
        '[sign_in]\nroster = false\n[roles]\nmanager = ["b@example.com"]\n'
        'engineer = ["e@example.com"]\n',
        tmp_path,
    )
    assert resolve_scope(con, rules, "a@example.com", month=FEB) is None
    assert resolve_scope(con, rules, "b@example.com", month=FEB).people == {"B", "C", "D", "F"}
    # Listed as an engineer, E sees only themselves though F reports to them.
    assert resolve_scope(con, rules, "e@example.com", month=MAR).people == {"E"}


def test_a_manager_role_for_someone_not_on_the_roster_shows_nothing(con, tmp_path):
    rules = policy('[roles]\nmanager = ["consultant@example.com"]\n', tmp_path)
    assert resolve_scope(con, rules, "consultant@example.com", month=FEB) is None


def test_a_manager_records_and_proposes_for_reports_but_never_calibrates(con, tmp_path):
    scope = resolve_scope(con, policy(GRANTS, tmp_path), "b@example.com", month=MAR)
    assert scope.may_record_evidence("C") and scope.may_propose("C")
    assert not scope.may_record_evidence("E") and not scope.may_propose("E")  # not theirs
    assert not scope.may_propose("B")  # nobody proposes their own outcome
    assert not scope.may_record_evidence("B")  # self-evidence is off unless the file allows
    assert not scope.may_calibrate()


def test_self_evidence_is_allowed_only_where_the_access_file_says_so(con, tmp_path):
    rules = policy(GRANTS + "\n[journal]\nself_evidence = true\n", tmp_path)
    engineer = resolve_scope(con, rules, "c@example.com", month=FEB)
    assert engineer.role == "engineer" and engineer.may_record_evidence("C")
    assert not engineer.may_propose("C") and not engineer.may_record_evidence("D")


def test_leadership_calibrates_and_the_people_partner_only_reads(con, tmp_path):
    rules = policy(GRANTS, tmp_path)
    lead = resolve_scope(con, rules, "x@example.com", ("cs-leadership",), month=FEB)
    assert lead.may_calibrate() and lead.may_propose("C") and lead.may_record_evidence("H")
    hr = resolve_scope(con, rules, "hr@example.com", month=FEB)
    assert not (hr.may_calibrate() or hr.may_propose("C") or hr.may_record_evidence("C"))


def test_a_missing_access_file_grants_nothing_beyond_the_roster(tmp_path):
    rules = load_policy(tmp_path / "absent.toml")
    assert rules.grants == {} and rules.roster_sign_in and rules.min_aggregate_people == 5


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("[roles]\nadmin = 'x@example.com'\n", "a list of emails"),
        ('[roles]\nadmin = ["not an email"]\n', "neither an email"),
        ('[roles]\nsuperuser = ["x@example.com"]\n', "superuser is not a setting"),
        ("[privacy]\nmin_aggregate_people = 0\n", "at least 1"),
        ("[sign_in]\nroster = 'yes'\n", "true or false"),
        ("[journal]\nself_evidence = 1\n", "self_evidence must be true or false"),
        ("[rolez]\n", "[rolez] is not a section"),
        ("[roles\n", "not valid TOML"),
    ],
)
def test_a_bad_access_file_is_refused_with_the_file_and_the_fix(tmp_path, text, names):
    with pytest.raises(AccessFileError) as caught:
        policy(text, tmp_path)
    assert str(tmp_path / "access.toml") in str(caught.value)
    assert names in str(caught.value)


def test_an_email_two_roster_rows_share_anchors_no_view(con, tmp_path):
    con.execute("update engineers set email = 'c@example.com' where engineer_id = 'D'")
    rules = policy(GRANTS, tmp_path)
    assert resolve_scope(con, rules, "c@example.com", month=FEB) is None
    # The access file can still grant the address a role of its own.
    rules = policy('[roles]\npeople_partner = ["c@example.com"]\n', tmp_path)
    assert resolve_scope(con, rules, "c@example.com", month=FEB).everyone
