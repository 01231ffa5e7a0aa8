"""The calibration pre-read (`python -m pipelines packet --level`): a summary page and one page
per person in the Calibration page's order, each with their reason; anonymised, it names no
one and gives no day; it keeps to the viewer's scope."""

from __future__ import annotations

import io
import re
import tomllib
from dataclasses import replace

import pypdf
import pytest
from typer.testing import CliRunner

from pipelines.access import load_policy, resolve_scope
from pipelines.cli import app
from rungs_ui import packet, queries
from rungs_ui.packet.case import FLAG_WORDS
from rungs_ui.queries import Filters
from tests.test_anonymise import _leaks, _org

# Each test records into a journal of its own.
pytestmark = pytest.mark.usefixtures("own_journal")


def _cohort(wh, level):
    month = queries.build_as_of(wh)
    return queries.readiness_at(wh, replace(Filters(month=month), levels=(level,)))


def _largest_level(wh) -> str:
    month = queries.build_as_of(wh)
    return queries.readiness_at(wh, Filters(month=month))["level"].value_counts().idxmax()


def _pages(pdf: bytes) -> list[str]:
    """Each page's text with white space removed: line breaks fall anywhere in a sentence."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [re.sub(r"\s+", "", page.extract_text()) for page in reader.pages]


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_one_page_per_person_in_the_calibration_pages_order_each_with_its_reason(wh):
    level = _largest_level(wh)
    cohort = _cohort(wh, level)
    pages = _pages(packet.pre_read_packet(wh, level))
    assert len(pages) == 1 + len(cohort)

    # The page's order: the flagged first, then by name.
    flagged = cohort[list(FLAG_WORDS)].fillna(False).astype(bool).any(axis=1)
    expected = cohort.assign(_unflagged=~flagged).sort_values(["_unflagged", "name"])
    for page, (_, person) in zip(pages[1:], expected.iterrows(), strict=True):
        assert _flat(person["name"]) in page
        assert _flat(person["reason"]) in page
    # The summary page lists everyone, in the same order.
    summary = pages[0]
    at = [summary.index(_flat(name)) for name in expected["name"]]
    assert at == sorted(at)


def test_the_anonymised_pre_read_names_no_one_and_gives_no_day(wh, fixture_warehouse):
    level = _largest_level(wh)
    org = _org(fixture_warehouse)
    assert org["names"] and org["emails"] and org["ids"] and org["days"]
    pdf = packet.pre_read_packet(wh, level, anonymise=True)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    # As extracted, and with line breaks joined (a name may be broken over two lines).
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert _leaks(text, org) == []
    assert _leaks(" ".join(text.split()), org) == []
    # People are still told apart: each by a letter of their own.
    letters = set(re.findall(r"Engineer [A-Z]+\b", text))
    assert len(letters) == len(_cohort(wh, level))
    assert len(reader.pages) == 1 + len(_cohort(wh, level))


def _run(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_a_managers_pre_read_holds_only_their_people_and_is_audited(
    fixture_warehouse, demo_source, wh, monkeypatch, tmp_path
):
    from pipelines import audit

    monkeypatch.setenv("RUNGS_ACCESS_FILE", str(demo_source / "access.toml"))
    manager = tomllib.loads((demo_source / "access.toml").read_text())["roles"]["manager"][0]
    month = queries.build_as_of(wh)
    scope = resolve_scope(wh.con, load_policy(), manager, month=month)
    theirs = queries.readiness_at(wh.scoped(scope), Filters(month=month))
    assert not theirs.empty, "the demo org's first manager has nobody judged"
    # A level where the manager's people sit beside others', so leaving them out shows.
    level = next(
        lv
        for lv in theirs["level"].unique()
        if len(_cohort(wh, lv)) > (theirs["level"] == lv).sum()
    )
    mine = theirs.loc[theirs["level"] == level]
    others = _cohort(wh, level).loc[lambda c: ~c["engineer_id"].isin(mine["engineer_id"])]

    out = tmp_path / "pre-read.pdf"
    done = _run(
        "packet",
        "--level",
        level,
        "--out",
        out,
        "--warehouse",
        fixture_warehouse,
        "--as-user",
        manager,
    )
    assert done.exit_code == 0, done.output
    pages = _pages(out.read_bytes())
    assert len(pages) == 1 + len(mine)
    text = "".join(pages)
    for name in mine["name"]:
        assert _flat(name) in text
    for name in others["name"]:
        assert _flat(name) not in text
    log = audit.recent(path=tmp_path / "journal.sqlite")
    assert log[["who", "action"]].values.tolist() == [[manager, "export"]]
    assert f"pre-read {level}" in log["target"].iloc[0]


def test_the_command_takes_one_of_engineer_or_level_and_a_known_level(fixture_warehouse, tmp_path):
    out = tmp_path / "x.pdf"
    base = ("packet", "--out", out, "--warehouse", fixture_warehouse)
    both = _run(*base, "--engineer", "E0001", "--level", "IC3")
    neither = _run(*base)
    for result in (both, neither):
        assert result.exit_code == 1 and "exactly one of --engineer" in result.output
    unknown = _run(*base, "--level", "XX9")
    assert unknown.exit_code == 1 and "XX9 is not a level" in unknown.output
    loose = _run(*base, "--engineer", "E0001", "--anonymise")
    assert loose.exit_code == 1 and "--anonymise is for the pre-read" in loose.output
    assert not out.exists()


def test_progress_hears_of_each_persons_page_in_turn(wh):
    level = _largest_level(wh)
    heard = []
    packet.pre_read.pre_read_document(wh, level, progress=lambda done, total: heard.append(done))
    assert heard == list(range(1, len(_cohort(wh, level)) + 1))
