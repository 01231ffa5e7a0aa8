"""Each role sees its scope and nothing more, on every page it can open: AppTest runs the
dashboard as each person the demo org's access.toml names, with sign-in configured, and reads
everything the run shows or would download (element text, widget options, table cells, chart
data sets with their tooltips, download files) for any name, id or email of someone outside
that person's view. Whom a person may see is computed here from the warehouse's reporting lines,
independently of pipelines.access.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from pipelines import audit
from rungs_ui import page as page_module
from rungs_ui.navigation import PAGES, pages_for
from tests.test_pages import everything_shown
from tests.ui_fixtures import REPO

TIMEOUT = 60
# Sign-in configured (nothing is contacted: AppTest supplies the signed-in user).
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "only-for-tests",
    "client_id": "rungs-test",
    "client_secret": "not-a-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


@dataclass(frozen=True)
class Person:
    engineer_id: str
    name: str
    email: str


@pytest.fixture(scope="module")
def org(fixture_warehouse, demo_source):
    """Everyone on the roster, the access file's roles, and the as-of month."""
    with duckdb.connect(str(fixture_warehouse), read_only=True) as con:
        people = [
            Person(*row)
            for row in con.execute(
                "select engineer_id, name, lower(email) from engineers"
            ).fetchall()
        ]
        # The month the dashboard opens on: the build's as-of month.
        month = con.execute("select strptime(as_of_month, '%Y-%m')::date from builds").fetchone()[0]
        day = con.execute("select last_day($m::date)", {"m": month}).fetchone()[0]
        lines = con.execute(
            "select engineer_id, manager_id from reporting_lines "
            "where started_on <= $d and (ended_on is null or ended_on >= $d)",
            {"d": day},
        ).fetchall()
        # Who has an Engineer page that month: a level held at its end.
        levelled = {
            r[0]
            for r in con.execute(
                "select engineer_id from level_stints "
                "where started_on <= $d and (ended_on is null or ended_on >= $d)",
                {"d": day},
            ).fetchall()
        }
    roles = tomllib.loads((demo_source / "access.toml").read_text())["roles"]
    return people, roles, month, lines, levelled


def expected_view(org, email: str) -> tuple[set[str], set[str]]:
    """(people whose data `email` may see, people whose name they may read): themselves and
    everyone below them at the month's end; plus their own manager's name."""
    people, _, _, lines, _ = org
    me = {p.engineer_id for p in people if p.email == email}
    seen, frontier = set(me), set(me)
    while frontier:
        frontier = {e for e, m in lines if m in frontier} - seen
        seen |= frontier
    named = seen | {m for e, m in lines if e in me and m}
    return seen, named


def leaks(org, named: set[str], text: str) -> list[str]:
    """Names, ids and emails in `text` of people outside `named` (a name shared with someone
    in view is theirs to show)."""
    people = org[0]
    allowed_names = {p.name for p in people if p.engineer_id in named}
    found = []
    for p in people:
        if p.engineer_id in named:
            continue
        if p.engineer_id in text or p.email in text:
            found.append(p.engineer_id)
        elif p.name not in allowed_names and p.name in text:
            found.append(f"{p.engineer_id} ({p.name})")
    return found


@pytest.fixture
def downloads(monkeypatch):
    """Every download a page offers, as the CSV it would serve."""
    offered: list[str] = []
    real = page_module.download

    def record(df, label, file_name, key):
        offered.append(page_module.csv_bytes(df).decode("utf-8"))
        real(df, label, file_name, key)

    monkeypatch.setattr(page_module, "download", record)
    return offered


def run_as(monkeypatch, tmp_path, warehouse, access_file, email, script=None, query=None):
    monkeypatch.setenv("RUNGS_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("RUNGS_ACCESS_FILE", str(access_file))
    monkeypatch.setenv("RUNGS_JOURNAL_URL", str(tmp_path / "journal.sqlite"))
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=TIMEOUT)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": email is not None, "email": email or "", "name": "Someone"}
    at.query_params.update(query or {})
    at.run()
    if script:
        at.switch_page(script).run()
    return at


def shown(at: AppTest, offered: list[str]) -> str:
    assert [e.value for e in at.exception] == []
    return everything_shown(at) + "\n".join(offered)


@pytest.mark.parametrize("role", ["manager", "engineer"])
def test_a_partial_role_sees_nobody_outside_its_view_on_any_page(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, org, downloads, role
):
    access_file = demo_source / "access.toml"
    checked = 0
    for email in org[1][role]:
        seen, named = expected_view(org, email)
        assert len(seen) < len(org[0]), "the demo org must give this role a partial view"
        pages = pages_for(role)
        for spec in pages:
            downloads.clear()
            at = run_as(monkeypatch, tmp_path, fixture_warehouse, access_file, email, spec.script)
            text = shown(at, downloads)
            assert spec.title in text
            assert leaks(org, named, text) == [], f"{email} on {spec.title}"
            checked += 1
        # Every person in view opens on the Engineer page, and nobody else does, even by link
        # (three people outside the view stand for the rest: one rule refuses them all).
        outside = sorted(p.engineer_id for p in org[0] if p.engineer_id not in seen)[:3]
        for target in sorted(seen & org[4]) + outside:
            at = run_as(
                monkeypatch,
                tmp_path,
                fixture_warehouse,
                access_file,
                email,
                "pages/people/engineer.py",
                {"engineer": target},
            )
            text = shown(at, [])
            assert leaks(org, named, text) == []
            opened = at.session_state["engineer"]
            assert opened in seen
            assert (opened == target) == (target in seen and target in org[4])
            checked += 1
    assert checked >= 2 * len(pages_for(role))


def test_an_engineer_has_only_their_own_page_and_the_framework(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, org
):
    email = org[1]["engineer"][0]
    assert [p.title for p in pages_for("engineer")] == ["Engineer", "Framework"]
    assert len({p.title for p in PAGES}) == len(PAGES)  # the dashboard finds a page by title
    at = run_as(monkeypatch, tmp_path, fixture_warehouse, demo_source / "access.toml", email)
    assert [t.value for t in at.title] == ["Engineer"]  # where they land
    # The pages of the wider roles are not registered for them at all.
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/calibration/calibration.py")
    assert [s.label for s in at.sidebar.multiselect] == []  # no team, region or manager lists


@pytest.mark.parametrize("role", ["admin", "leadership", "people_partner"])
def test_the_wide_roles_see_everyone(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, org, role
):
    for email in org[1][role]:
        if email.startswith("group:"):
            continue
        at = run_as(
            monkeypatch,
            tmp_path,
            fixture_warehouse,
            demo_source / "access.toml",
            email,
            "pages/people/engineer.py",
        )
        assert [e.value for e in at.exception] == []
        labels = at.selectbox(key="engineer").options
        with duckdb.connect(str(fixture_warehouse), read_only=True) as con:
            present = con.execute(
                "select count(distinct engineer_id) from assessed_months where month = $m",
                {"m": org[2]},
            ).fetchone()[0]
        assert len(labels) == present  # everyone judged or not, who is on the team that month
        titles = {p.title for p in pages_for(role)}
        assert ("Data health" in titles) == (role in ("admin", "leadership"))


def test_the_audit_log_is_on_data_health_for_admins_only(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, org
):
    access_file = demo_source / "access.toml"
    manager = org[1]["manager"][0]
    run_as(
        monkeypatch, tmp_path, fixture_warehouse, access_file, manager, "pages/people/engineer.py"
    )
    admin = org[1]["admin"][0]
    at = run_as(
        monkeypatch, tmp_path, fixture_warehouse, access_file, admin, "pages/data/data_health.py"
    )
    assert "Audit log" in [s.value for s in at.subheader]
    shown_log = next(d.value for d in at.dataframe if "action" in d.value.columns)
    # Read by people: actions in words, no "None" for an action that names nobody.
    assert "Opened an Engineer page" in set(shown_log["action"])
    assert not set(shown_log["action"]) & audit.ACTIONS
    assert "None" not in set(shown_log["target"].astype(str))
    log = audit.recent(path=tmp_path / "journal.sqlite")
    mine = log.loc[log["who"] == manager]
    assert set(mine["action"]) >= {"sign_in", "open_engineer"}
    assert (mine["role"] == "manager").all()
    assert mine["scope"].str.startswith("manager: ").all()
    leadership = next(e for e in org[1]["leadership"] if not e.startswith("group:"))
    at = run_as(
        monkeypatch,
        tmp_path,
        fixture_warehouse,
        access_file,
        leadership,
        "pages/data/data_health.py",
    )
    assert "Audit log" not in [s.value for s in at.subheader]


def test_someone_signed_in_without_a_role_sees_only_that_they_have_no_access(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, org
):
    at = run_as(
        monkeypatch,
        tmp_path,
        fixture_warehouse,
        demo_source / "access.toml",
        "stranger@example.com",
    )
    text = shown(at, [])
    assert "no access yet" in text
    assert leaks(org, set(), text) == []
    assert audit.recent(path=tmp_path / "journal.sqlite")["action"].tolist() == ["no_access"]


@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_signed_out_every_page_is_the_sign_in_page(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, org, spec
):
    at = run_as(
        monkeypatch, tmp_path, fixture_warehouse, demo_source / "access.toml", None, spec.script
    )
    text = shown(at, [])
    assert [b.label for b in at.button] == ["Sign in"]
    assert leaks(org, set(), text) == []
    assert "Signed in as" not in text


def test_local_mode_says_everyone_is_visible(monkeypatch, fixture_warehouse):
    monkeypatch.setenv("RUNGS_WAREHOUSE", str(fixture_warehouse))
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=TIMEOUT).run()
    assert [e.value for e in at.exception] == []
    assert any("Local mode: everyone visible" in c.value for c in at.sidebar.caption)


def test_a_broken_access_file_keeps_the_dashboard_closed_and_says_why(
    monkeypatch, tmp_path, fixture_warehouse, org
):
    broken = tmp_path / "access.toml"
    broken.write_text('[roles]\nadmin = "one@example.com"\n', encoding="utf-8")
    at = run_as(monkeypatch, tmp_path, fixture_warehouse, broken, org[1]["admin"][0])
    text = shown(at, [])
    assert "The dashboard stays closed" in text and "in the server" in text
    # The file's entries are addresses: none of it reaches the page, signed in or not.
    assert "one@example.com" not in text and str(broken) not in text
    assert leaks(org, set(), text) == []


def test_the_next_person_on_the_same_session_starts_on_their_own_view(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, org
):
    access_file = demo_source / "access.toml"
    manager = org[1]["manager"][0]
    leader = next(e for e in org[1]["leadership"] if not e.startswith("group:"))
    # Where the leader's Engineer page opens when nobody had anything open before.
    fresh = run_as(
        monkeypatch, tmp_path, fixture_warehouse, access_file, leader, "pages/people/engineer.py"
    )
    default = fresh.session_state["engineer"]
    seen, _ = expected_view(org, manager)
    theirs = sorted((seen & org[4]) - {default})[0]
    at = run_as(
        monkeypatch,
        tmp_path,
        fixture_warehouse,
        access_file,
        manager,
        "pages/people/engineer.py",
        {"engineer": theirs},
    )
    assert at.session_state["engineer"] == theirs
    # The manager signs out and the leader signs in on the same browser session.
    at.user = {"is_logged_in": True, "email": leader, "name": "Next"}
    at.run()
    assert at.session_state["engineer"] == default
    opened = audit.recent(path=tmp_path / "journal.sqlite")
    opened = opened.loc[opened["action"] == "open_engineer"]
    assert opened[["who", "target"]].values.tolist()[0] == [leader, default]


def test_an_address_the_provider_has_not_verified_gets_no_view(
    monkeypatch, tmp_path, fixture_warehouse, demo_source, org
):
    monkeypatch.setenv("RUNGS_WAREHOUSE", str(fixture_warehouse))
    monkeypatch.setenv("RUNGS_ACCESS_FILE", str(demo_source / "access.toml"))
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=TIMEOUT)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": org[1]["manager"][0], "email_verified": False}
    at.run()
    text = shown(at, [])
    assert "has not verified" in text
    assert leaks(org, set(), text) == []
