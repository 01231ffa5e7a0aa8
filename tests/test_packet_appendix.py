"""The packets' appendix (issue 15): `packet --whatif-set` adds who a rule change moves, with
reasons before and after; `--appendix fairness` adds documentation skew by manager and rates by
group, small groups withheld on paper too; anonymised, no one is named; admins and leadership
only."""

from __future__ import annotations

import io
import re
import tomllib

import duckdb
import pypdf
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.fairness import documentation_skew, fairness_min_group_size, fairness_table
from pipelines.fairness.period import months_before
from pipelines.whatif import run_whatif
from rungs_ui import packet, queries
from rungs_ui.packet.appendix import FAIRNESS_MONTHS
from tests.ui_fixtures import people_names

# In the demo fixture org this moves the people near a window to promotion-ready.
CHANGE = {"rules.promotion_months_at_next": "2"}
ADMIN = "rungs-admin@example.com"


# Each test records into a journal of its own.
pytestmark = pytest.mark.usefixtures("own_journal")


@pytest.fixture(scope="module")
def moved(fixture_warehouse):
    changed = run_whatif(fixture_warehouse, CHANGE).changed
    assert not changed.empty, "the change moves nobody in the fixture org"
    return changed


@pytest.fixture(scope="module")
def pre_read(wh, moved, tmp_path_factory):
    """The pre-read of the first mover's level with both appendices, by page."""
    level = moved["level"].iloc[0]
    both = packet.Appendix(whatif=CHANGE, fairness=True)
    return level, _pages(packet.pre_read_packet(wh, level, appendix=both))


def _pages(pdf: bytes) -> list[str]:
    """Each page's text, the footer line left out (it names the level or the person on
    every page), white space joined."""
    out = []
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        lines = [line for line in page.extract_text().splitlines() if " · page " not in line]
        out.append(" ".join(" ".join(lines).split()))
    return out


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _from(pages: list[str], title: str) -> str:
    """The text from the page whose appendix title is `title` to the end."""
    start = next(i for i, page in enumerate(pages) if f"Appendix · {title}" in page)
    return " ".join(pages[start:])


def _run(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_an_engineer_packet_with_a_what_if_shows_both_reasons_side_by_side(wh, moved):
    person = moved.iloc[0]
    pdf = packet.engineer_packet(wh, person["engineer_id"], appendix=packet.Appendix(CHANGE))
    whatif = _flat(_from(_pages(pdf), "policy what-if"))
    assert _flat(person["old_reason"]) in whatif
    assert _flat(person["new_reason"]) in whatif
    assert _flat(f"{person['name']}: {person['change']}") in whatif
    assert _flat("rules.promotion_months_at_next") in whatif

    month = queries.build_as_of(wh)
    still = queries.readiness_at(wh, queries.Filters(month=month))
    unmoved = still.loc[~still["engineer_id"].isin(moved["engineer_id"])].iloc[0]
    pdf = packet.engineer_packet(wh, unmoved["engineer_id"], appendix=packet.Appendix(CHANGE))
    assert _flat(f"This change does not move {unmoved['name']}.") in _flat(" ".join(_pages(pdf)))


def test_a_pre_read_with_both_appendices_lists_who_moves_then_the_skew_table(
    wh, moved, pre_read, fixture_warehouse
):
    level, pages = pre_read
    whatif = _from(pages, "policy what-if")
    fairness = _from(pages, "fairness lens")
    for _, person in moved.loc[moved["level"] == level].iterrows():
        assert person["name"] in whatif
        assert _flat(person["change"]) in _flat(whatif)
    assert "Moves by team" in whatif
    # The skew table comes first, before any group's rates.
    assert fairness.index("documentation skew by manager") < fairness.index("By team")
    assert fairness.index("By team") < fairness.index("By manager")
    month = queries.build_as_of(wh)
    with duckdb.connect(str(fixture_warehouse), read_only=True) as con:
        minimum = fairness_min_group_size(con)
        start = months_before(month, FAIRNESS_MONTHS - 1)
        skew = documentation_skew(con, start, month, minimum)
    assert not skew.empty, "no manager has enough reports in the fixture org"
    for name in skew["manager_name"]:
        assert name in fairness.split("By team")[0]


def test_a_group_under_the_minimum_never_appears_in_the_fairness_appendix(
    wh, pre_read, fixture_warehouse
):
    _, pages = pre_read
    fairness = _from(pages, "fairness lens")
    month = queries.build_as_of(wh)
    start = months_before(month, FAIRNESS_MONTHS - 1)
    with duckdb.connect(str(fixture_warehouse), read_only=True) as con:
        minimum = fairness_min_group_size(con)
        skewed = set(documentation_skew(con, start, month, minimum)["manager_name"])
        withheld = set()
        for grouping in ("team", "region", "manager", "level"):
            every = set(fairness_table(con, grouping, start, month, 1).rows["group"])
            shown = fairness_table(con, grouping, start, month, minimum).rows["group"]
            withheld |= every - set(shown)
    # A manager with enough reports is in the skew table (its own threshold), so only the
    # others are looked for.
    withheld -= skewed
    assert withheld, "the fixture org withholds no group"
    for label in withheld:
        assert not re.search(rf"\b{re.escape(label)}\b", fairness), label
    assert "not shown: a group is withheld when it has fewer than" in fairness


def test_the_anonymised_pre_read_appendix_names_no_one(wh, moved, fixture_warehouse):
    level = moved["level"].iloc[0]
    both = packet.Appendix(whatif=CHANGE, fairness=True)
    pages = _pages(packet.pre_read_packet(wh, level, anonymise=True, appendix=both))
    appendix = _from(pages, "policy what-if")
    names = set(people_names(fixture_warehouse).values())
    assert [n for n in names if n in appendix or _flat(n) in _flat(appendix)] == []
    # Managers by the pre-read's letters, people by theirs.
    assert re.search(r"Manager [A-Z]+\b", _from(pages, "fairness lens"))
    assert re.search(r"Engineer [A-Z]+\b", appendix.split("Appendix · fairness lens")[0])


def test_the_appendix_is_refused_to_a_manager_and_a_bad_setting_fails(
    fixture_warehouse, demo_source, monkeypatch, moved, tmp_path
):
    from pipelines import audit

    monkeypatch.setenv("RUNGS_ACCESS_FILE", str(demo_source / "access.toml"))
    manager = tomllib.loads((demo_source / "access.toml").read_text())["roles"]["manager"][0]
    out = tmp_path / "packet.pdf"
    base = ("packet", "--level", moved["level"].iloc[0], "--out", out)
    base += ("--warehouse", fixture_warehouse)
    refused = _run(*base, "--appendix", "fairness", "--as-user", manager)
    assert refused.exit_code == 1
    assert "for admins and leadership only" in refused.output and "Fix:" in refused.output
    bad = _run(*base, "--whatif-set", "rules.no_such_rule=3", "--as-user", ADMIN)
    assert bad.exit_code == 1 and "no rule setting 'no_such_rule'" in bad.output
    assert not out.exists()

    done = _run(*base, "--whatif-set", "rules.promotion_months_at_next=2", "--as-user", ADMIN)
    assert done.exit_code == 0, done.output
    assert "Appendix · policy what-if" in " ".join(_pages(out.read_bytes()))
    log = audit.recent(path=tmp_path / "journal.sqlite")
    assert log["who"].tolist() == [ADMIN]
    assert "with appendix (what-if rules.promotion_months_at_next=2)" in log["target"].iloc[0]


def test_the_engineer_page_offers_the_fairness_appendix_to_leadership_only(
    monkeypatch, tmp_path, fixture_warehouse, demo_source
):
    from tests.test_scope_pages import run_as

    roles = tomllib.loads((demo_source / "access.toml").read_text())["roles"]

    def boxes(email: str) -> list[str]:
        at = run_as(
            monkeypatch,
            tmp_path,
            fixture_warehouse,
            demo_source / "access.toml",
            email,
            "pages/people/engineer.py",
        )
        assert [e.value for e in at.exception] == []
        assert "Case packet (PDF)" in [b.proto.label for b in at.get("download_button")]
        return [c.label for c in at.checkbox]

    assert "Include the fairness appendix" in boxes(roles["leadership"][0])
    assert "Include the fairness appendix" not in boxes(roles["manager"][0])
