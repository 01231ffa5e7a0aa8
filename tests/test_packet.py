"""Engineer case packets (rungs_ui.packet and `python -m pipelines packet`): the PDF holds what
the Engineer page shows, keeps to the viewer's scope and prints hostile text as text."""

from __future__ import annotations

import io
import re
import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pypdf
import pypdfium2
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from rungs_ui import packet, queries
from rungs_ui.packet.case import CHART_TITLES
from rungs_ui.queries import Filters

ARTIFACT = Path("/tmp/h10-packet-p1.png")


# Each test records into a journal of its own.
pytestmark = pytest.mark.usefixtures("own_journal")


def _month(wh):
    return queries.build_as_of(wh)


def _cases(wh) -> dict[str, tuple[str, object]]:
    """One engineer of the demo org per kind of case and the month to look at, picked from the
    readiness table at the build's month. Nobody is onboarding then in the demo org, so the
    onboarding case is someone's newest onboarding month within the last two years."""
    month = _month(wh)
    ready = queries.readiness_at(wh, Filters(month=month))
    picked = {}
    for kind, flags in {
        "ready": ("promotion_ready", "near_window"),
        "in_band": ("in_band_candidate",),
        "at_risk": ("at_risk",),
    }.items():
        hit = ready.loc[ready[list(flags)].any(axis=1), "engineer_id"]
        assert not hit.empty, f"the demo org has no {kind} engineer"
        picked[kind] = (hit.iloc[0], month)
    roster = queries.roster(wh, Filters(month=month))
    for eid in roster["engineer_id"]:
        judged = queries.engineer_months_judged(wh, eid, month, 24)
        onboarding = judged.loc[judged["not_judged_because"] == "onboarding", "month"]
        if not onboarding.empty:
            picked["onboarding"] = (eid, pd.Timestamp(onboarding.max()).date())
            break
    assert "onboarding" in picked, "the demo org has nobody onboarding in the last two years"
    return picked


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def _pages(pdf: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def _squashed(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("kind", ["ready", "in_band", "at_risk", "onboarding"])
def test_a_packet_holds_the_reason_counters_evidence_and_charts_of_the_page(wh, kind):
    engineer_id, month = _cases(wh)[kind]
    pdf = packet.engineer_packet(wh, engineer_id, month)
    text = _text(pdf)
    flat = _squashed(text)
    case = packet.engineer_case(wh, engineer_id, month)
    doc = case.document

    # Someone onboarding has no judged month to chart: their case fits on one page.
    assert (1 if kind == "onboarding" else 2) <= _pages(pdf) <= 4
    assert doc["person"]["name"] in text
    # Line breaks fall anywhere in a long sentence: compared without white space.
    assert _squashed(doc["standing"]["reason"]) in flat
    for flag in doc["standing"]["flags"]:
        assert flag in text
    for counter in doc["standing"]["counters"]:
        assert _squashed(f"{counter['label']} {counter['value']}") in flat
    readiness = queries.engineer_readiness(wh, engineer_id, month)
    now = readiness.loc[pd.to_datetime(readiness["month"]) == pd.Timestamp(month)]
    if kind == "onboarding":
        assert now.empty and "not judged" in doc["standing"]["reason"]
    else:
        assert f"{int(now.iloc[0]['months_at_level'])} of 12 needed" in text
    shown = queries.engineer_evidence(wh, engineer_id, month)["evidence_id"]
    for evidence_id in shown:
        assert evidence_id in text
    for metric, title in CHART_TITLES.items():
        assert title in text
        if case.charts[metric] is not None:
            assert "<svg" in packet.render.chart_svg(case.charts[metric])
    # Every page carries the footer: framework version, build, span and month.
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        footer = " ".join(page.extract_text().split())
        assert f"build {wh.build_id}" in footer
        assert f"as of {month:%b %Y}" in footer


def test_the_charts_are_vector_drawings_fetching_nothing(wh):
    case = packet.engineer_case(wh, *_cases(wh)["ready"])
    drawn = [c for c in case.charts.values() if c is not None]
    assert len(drawn) == 3
    for chart in drawn:
        svg = packet.render.chart_svg(chart)
        assert "<path" in svg and "<image" not in svg
        assert not re.search(r"(?:href|url)\(?=?[\"']?https?:", svg)
        assert "DejaVu Sans" in svg


def test_hostile_text_is_printed_as_text(wh):
    case = packet.engineer_case(wh, *_cases(wh)["ready"])
    hostile = '#set page(fill: red) $x^2$ *bold* _it_ @ref <lab> [x] \\ "q" #{1+1} // c /* d'
    case.document["person"]["name"] = hostile
    case.document["evidence"]["items"][0]["summary"] = hostile
    text = _text(packet.render_case(case))
    assert text.count('#set page(fill: red) $x^2$ *bold* _it_ @ref <lab> [x] \\ "q" #{1+1}') >= 2


def test_the_first_page_renders_to_an_image(wh, tmp_path):
    pdf = packet.engineer_packet(wh, *_cases(wh)["at_risk"])
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=1.5).to_pil()
    kept = tmp_path / "packet-p1.png"
    image.save(kept)
    assert image.size[0] > 800 and image.getextrema() != ((255, 255),) * 3
    shutil.copy(kept, ARTIFACT)


def _run(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_the_command_writes_a_packet_and_refuses_one_outside_the_users_view(
    fixture_warehouse, demo_source, wh, monkeypatch, tmp_path
):
    from pipelines import audit

    journal = tmp_path / "journal.sqlite"
    monkeypatch.setenv("RUNGS_ACCESS_FILE", str(demo_source / "access.toml"))
    manager = tomllib.loads((demo_source / "access.toml").read_text())["roles"]["manager"][0]
    month = _month(wh)
    mine = set(
        queries.roster(wh.scoped(_scope(wh, manager, month)), Filters(month=month))["engineer_id"]
    )
    everyone_ids = set(queries.roster(wh, Filters(month=month))["engineer_id"])
    outside = sorted(everyone_ids - mine)[0]
    inside = sorted(mine)[0]

    out = tmp_path / "out.pdf"
    refused = _run(
        "packet",
        "--engineer",
        outside,
        "--out",
        out,
        "--warehouse",
        fixture_warehouse,
        "--as-user",
        manager,
    )
    assert refused.exit_code == 1
    assert f"{manager} may not see {outside}" in refused.output
    assert not out.exists()
    assert audit.recent(path=journal).empty

    done = _run(
        "packet",
        "--engineer",
        inside,
        "--out",
        out,
        "--warehouse",
        fixture_warehouse,
        "--as-user",
        manager,
        "--as-of",
        f"{month:%Y-%m}",
    )
    assert done.exit_code == 0, done.output
    assert 2 <= _pages(out.read_bytes()) <= 4
    log = audit.recent(path=journal)
    assert log[["who", "role", "action"]].values.tolist() == [[manager, "manager", "export"]]
    assert inside in log["target"].iloc[0]

    bad_month = _run(
        "packet",
        "--engineer",
        inside,
        "--out",
        out,
        "--as-of",
        "2026-13",
        "--warehouse",
        fixture_warehouse,
    )
    assert bad_month.exit_code == 1 and "YYYY-MM" in bad_month.output


def _scope(wh, email, month):
    from pipelines.access import load_policy, resolve_scope

    return resolve_scope(wh.con, load_policy(), email, month=month)


def test_the_engineer_page_offers_the_packet_unless_names_are_hidden(
    monkeypatch, fixture_warehouse
):
    from streamlit.testing.v1 import AppTest

    from rungs_ui import state
    from tests.ui_fixtures import REPO

    monkeypatch.setenv("RUNGS_WAREHOUSE", str(fixture_warehouse))

    def buttons(anonymised: bool) -> list[str]:
        at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=60)
        at.query_params.update({state.ANONYMISE: "true"} if anonymised else {})
        at.run()
        at.switch_page("pages/people/engineer.py").run()
        assert [e.value for e in at.exception] == []
        return [b.proto.label for b in at.get("download_button")]

    assert "Case packet (PDF)" in buttons(anonymised=False)
    assert "Case packet (PDF)" not in buttons(anonymised=True)
