"""The what-if engine: a changed bar or rule setting flips exactly the people it should, no
change flips nobody, and the served warehouse is never written.

The golden org is built with test_readiness's `Org` and written to a warehouse file the way a
build leaves it (input tables, framework tables, readiness, reporting_lines, a builds row).
Each person is placed just either side of one setting, so each what-if below has exactly one
hand-computed mover. As of December 2024, with the framework file's settings (3 months of
onboarding, 12 months at level and 3 at the next for promotion, near a window within 3 months,
in-band: 6 months at level and 2 categories above in each of the last 6 months, at risk after
2 months below level, team leads' volume bar halved).
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.framework import DEFAULT_FRAMEWORK, load_framework
from pipelines.models import run_model
from pipelines.whatif import (
    FLAGS,
    OverrideError,
    apply_overrides,
    changes,
    counts,
    each_alone,
    framework_of_warehouse,
    run_whatif,
    save_framework,
    settable,
)
from tests.test_readiness import FRAMEWORK, MEETS_IC2, SHOWS_IC3, Org, month

AS_OF = "2024-12"
IC3_ALL = ("Impact", "Scope", "Execution", "Teamwork")


def golden_org() -> Org:
    org = Org()
    # ready9: eligible from March 2024 (hired December 2023, 3 months onboarding), so 10
    # consistent months at IC2 by December; IC3 shown from October (3 months). With 12 months
    # needed: near a window, due February 2025. With 9: promotion-ready now.
    org.hire("ready9", "IC2", date(2023, 12, 1))
    org.perform("ready9", "2023-12", AS_OF, **SHOWS_IC3)
    org.observe("ready9", date(2024, 10, 5), "IC3")
    # early: only 4 months at IC2, IC3 shown from October: 5 months short even with 9.
    org.hire("early", "IC2", date(2024, 6, 1))
    org.perform("early", "2024-06", AS_OF, **SHOWS_IC3)
    org.observe("early", date(2024, 10, 5), "IC3")
    # veteran: 21 months at IC2 and IC3 shown: promotion-ready under either setting.
    org.hire("veteran", "IC2", date(2022, 12, 1))
    org.perform("veteran", "2022-12", AS_OF, **SHOWS_IC3)
    org.observe("veteran", date(2024, 10, 5), "IC3")
    # sla955: IC3 evidence and 21 months at IC2, SLA 95.5%: under the 96% IC3 Scope bar IC3 is
    # not shown; under 95% it is, so promotion-ready.
    org.hire("sla955", "IC2", date(2022, 12, 1))
    org.perform("sla955", "2022-12", AS_OF, **(SHOWS_IC3 | {"sla": 0.955}), sla_sample=200)
    org.observe("sla955", date(2024, 10, 5), "IC3")
    # sla945: the same at 94.5%: below 95% too, so IC3 is shown under neither bar.
    org.hire("sla945", "IC2", date(2022, 12, 1))
    org.perform("sla945", "2022-12", AS_OF, **(SHOWS_IC3 | {"sla": 0.945}), sla_sample=200)
    org.observe("sla945", date(2024, 10, 5), "IC3")
    # inband5: Impact and Scope shown at IC3 for the last 5 months (items in August and
    # November each cover their month and 2 more): short of a 6-month look-back, enough for 4.
    org.hire("inband5", "IC2", date(2022, 12, 1))
    org.perform("inband5", "2022-12", AS_OF, **SHOWS_IC3)
    for on in (date(2024, 8, 5), date(2024, 11, 5)):
        org.observe("inband5", on, "IC3", "Impact", "Scope")
    # inband3: the same for the last 3 months only: short of either look-back.
    org.hire("inband3", "IC2", date(2022, 12, 1))
    org.perform("inband3", "2022-12", AS_OF, **SHOWS_IC3)
    org.observe("inband3", date(2024, 10, 5), "IC3", "Impact", "Scope")
    # lead03: a team lead solving 0.3 of the team's median. The IC1 volume bar (0.5) halved
    # for team leads is 0.25, which they meet; at a factor of 1 they are below IC1 in Impact
    # every month, so at risk.
    org.hire("lead03", "IC2", date(2022, 12, 1), team_lead=True)
    org.perform("lead03", "2022-12", AS_OF, **(MEETS_IC2 | {"volume": 0.3}))
    # lead06: a team lead at 0.6, above the bar whether halved or not.
    org.hire("lead06", "IC2", date(2022, 12, 1), team_lead=True)
    org.perform("lead06", "2022-12", AS_OF, **(MEETS_IC2 | {"volume": 0.6}))
    return org


def write_warehouse(org: Org, path: Path, as_of: str) -> Path:
    """`org` built as of `as_of` into a warehouse file, as the build leaves one."""
    con = org.connect()
    con.execute(
        "create table manager_changes (engineer_id varchar, changed_on date, "
        "from_manager_id varchar, to_manager_id varchar)"
    )
    run_model(con, "reporting_lines")
    from pipelines.rules.readiness import build_readiness

    build_readiness(con, org.framework, month(as_of))
    con.execute(
        "create table builds as select 'golden' as build_id, now() as built_at, "
        "$version as framework_version, $digest as framework_digest, $tz as timezone, "
        "$as_of as as_of_month, 'ok' as status",
        {
            "version": org.framework.version,
            "digest": org.framework.digest,
            "tz": org.framework.timezone,
            "as_of": as_of,
        },
    )
    con.execute("attach $path as out", {"path": str(path)})
    con.execute("copy from database memory to out")
    con.close()
    return path


@pytest.fixture(scope="module")
def golden(tmp_path_factory) -> Path:
    return write_warehouse(golden_org(), tmp_path_factory.mktemp("golden") / "w.duckdb", AS_OF)


def fingerprint(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def movers(result) -> dict[str, str]:
    return dict(zip(result.changed["engineer_id"], result.changed["change"], strict=True))


# --- flips, hand-computed ---------------------------------------------------------------------


def test_nine_months_at_level_makes_exactly_the_ten_month_person_ready(golden):
    result = run_whatif(golden, {"rules.promotion_months_at_level": "9"})
    assert movers(result) == {
        "ready9": "Becomes promotion-ready; is no longer near a window; window 2 months earlier"
    }
    row = result.changed.iloc[0]
    assert (row.old_window, row.new_window) == (date(2025, 2, 1), date(2024, 12, 1))
    assert (row.old_flags, row.new_flags) == ("Near a window", "Promotion-ready")
    assert row.old_reason.startswith("13 whole months at IC2 (10 judged), all consistent (12 ")
    assert row.new_reason.startswith("Promotion-ready: 13 whole months at IC2 (10 judged)")
    assert result.assignments == {"rules.promotion_months_at_level": (12.0, 9.0)}
    assert result.month == date(2024, 12, 1)


def test_a_95_percent_ic3_scope_bar_makes_exactly_the_955_person_ready(golden):
    result = run_whatif(golden, {"bars.IC3.Scope.sla_adherence": "95%"})
    assert list(movers(result)) == ["sla955"]
    row = result.changed.iloc[0]
    assert row.became == "Promotion-ready"
    assert "Scope SLA adherence 95.5% (bar 96%" in row.old_reason
    assert row.new_reason.startswith("Promotion-ready")
    assert result.framework_after.bars[4].label == "Meets SLA 95% of the time"


def test_a_four_month_look_back_makes_exactly_the_five_month_person_an_in_band_candidate(golden):
    result = run_whatif(golden, {"rules.in_band_lookback_months": 4})
    assert movers(result) == {"inband5": "Becomes an in-band candidate"}
    assert result.changed.iloc[0].new_reason.startswith("In-band raise candidate")


def test_an_unscaled_team_lead_volume_bar_puts_exactly_the_low_volume_lead_at_risk(golden):
    result = run_whatif(golden, {"rules.team_lead_volume_factor": "1"})
    assert movers(result) == {"lead03": "Is now at risk"}
    assert "volume" in result.changed.iloc[0].new_reason


def test_unchanged_settings_move_nobody_on_the_golden_org(golden):
    before = framework_of_warehouse(duckdb.connect(str(golden), read_only=True))
    same = {"rules.promotion_months_at_level": "12", "bars.IC3.Scope.sla_adherence": "0.96"}
    for assignments in ({}, same):
        result = run_whatif(golden, assignments)
        assert result.changed.empty, result.changed
        assert len(result.after) == len(result.before) == 9
    assert result.framework_after == before


def test_unchanged_settings_move_nobody_on_the_demo_warehouse(fixture_warehouse):
    # The scratch run reproduces the served build row for row, so the diff is empty.
    result = run_whatif(fixture_warehouse, {})
    assert result.changed.empty
    columns = [c for c in result.before.columns]
    assert result.after[columns].equals(result.before[columns])


def test_the_served_warehouse_is_byte_for_byte_unchanged(golden):
    seen = fingerprint(golden)
    run_whatif(golden, {"rules.promotion_months_at_level": 9, "rules.at_risk_months": 1})
    assert fingerprint(golden) == seen


# --- the framework the build used ------------------------------------------------------------


def test_the_framework_is_rebuilt_from_the_warehouse(golden):
    with duckdb.connect(str(golden), read_only=True) as con:
        rebuilt = framework_of_warehouse(con)
    expected = dataclasses.replace(FRAMEWORK, name=rebuilt.name, source=rebuilt.source)
    assert rebuilt == expected
    assert rebuilt.digest == FRAMEWORK.digest


# --- overrides --------------------------------------------------------------------------------


def test_every_rule_and_bar_is_settable_with_its_current_value():
    paths = {s.path: s for s in settable(FRAMEWORK)}
    assert paths["rules.promotion_months_at_level"].current == 12
    assert paths["rules.promotion_months_at_level"].whole
    assert paths["bars.IC3.Scope.sla_adherence"].share
    # Labels a VP reads: words, not variable names or ">=".
    assert paths["rules.min_sample"].label == "Fewest tickets behind a monthly figure"
    assert paths["bars.IC3.Scope.sla_adherence"].label == (
        "IC3 Scope: SLA adherence bar (at least 96%)"
    )
    assert not any(">" in s.label or "<" in s.label or "_" in s.label for s in paths.values())
    assert len(paths) == len(FRAMEWORK.rules) + len(FRAMEWORK.bars)


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ({"rules.promotion_months": "9"}, "use one of"),
        ({"rules.promotion_months_at_level": "9.5"}, "use a whole number"),
        ({"rules.promotion_months_at_level": "0"}, "at least 1"),
        ({"bars.IC3.Scope.sla_adherence": "96"}, "a percentage such as 95%"),
        ({"bars.IC2.Impact.median_open_hours": "50%"}, "not a share"),
        ({"bars.IC5.Scope.sla_adherence": "0.9"}, "bars.IC4.Scope.sla_adherence"),
        ({"levels.IC3": "1"}, "rules.<setting>"),
        ({"rules.min_sample": "many"}, "not a number"),
    ],
)
def test_a_bad_assignment_names_the_fix(assignment, message):
    with pytest.raises(OverrideError, match="Fix") as caught:
        apply_overrides(FRAMEWORK, assignment)
    assert message in str(caught.value)
    assert next(iter(assignment)) in str(caught.value)


def test_shares_are_accepted_as_fractions_or_percentages():
    as_share = apply_overrides(FRAMEWORK, {"bars.IC3.Scope.sla_adherence": "0.95"})
    as_percent = apply_overrides(FRAMEWORK, {"bars.IC3.Scope.sla_adherence": "95%"})
    assert as_share == as_percent
    assert type(apply_overrides(FRAMEWORK, {"rules.min_sample": "8"}).rules["min_sample"]) is int


# --- diff -------------------------------------------------------------------------------------


def test_counts_tally_gains_losses_and_window_moves_by_level(golden):
    result = run_whatif(golden, {"rules.promotion_months_at_level": 9})
    tally = counts(result.changed, "level").set_index("level")
    assert tally.loc["IC2", "promotion_ready_gained"] == 1
    assert tally.loc["IC2", "near_window_lost"] == 1
    assert tally.loc["IC2", "window_earlier"] == 1
    assert tally.loc["IC2", "window_later"] == 0
    assert list(tally.columns)[:2] == [f"{FLAGS[0][0]}_gained", f"{FLAGS[0][0]}_lost"]


def test_a_bar_that_only_changes_the_blocker_is_a_reason_change_not_a_flag_change(golden):
    # lead03 and lead06 miss IC3 on Scope SLA (95%) and on the Impact example; at a 95% bar
    # only the missing example holds them back. Their flags stay, so they are not movers.
    result = run_whatif(golden, {"bars.IC3.Scope.sla_adherence": "95%"})
    assert list(movers(result)) == ["sla955"]
    nearer = result.nearer.set_index("engineer_id")
    assert {"lead03", "lead06"} <= set(nearer.index)
    assert not set(nearer.index) & set(result.changed["engineer_id"])
    lead = nearer.loc["lead03"]
    assert (lead.kind, lead.old_flags, lead.new_flags) == ("reason", lead.new_flags, "")
    assert "Scope SLA adherence 95.0% (bar 96%" in lead.old_reason
    assert "no Impact example at IC3" in lead.new_reason
    assert lead.change.startswith("Held back now by: no Impact example at IC3")


def test_a_shorter_wait_brings_the_earliest_month_nearer_and_the_window_column_says_so(golden):
    # early shows IC3 but is 8 months from ready with 12 needed, 5 with 9: never near a
    # window, so the window column shows the earliest month the reason gives.
    result = run_whatif(golden, {"rules.promotion_months_at_level": 9})
    early = result.nearer.set_index("engineer_id").loc["early"]
    assert (early.old_window, early.new_window) == (None, None)
    assert (early.old_earliest, early.new_earliest) == (date(2025, 8, 1), date(2025, 5, 1))
    assert early.direction == "nearer"
    assert early.change == "Promotion-ready 3 months sooner at the earliest"
    assert "in 5 months at the earliest" in early.new_reason


def test_each_change_alone_shows_a_setting_that_moves_nobody_on_its_own(golden):
    pair = {"rules.promotion_months_at_level": "9", "bars.IC4.Scope.sla_adherence": "97%"}
    together = run_whatif(golden, pair)
    alone = each_alone(golden, pair).set_index("path")
    assert list(movers(together)) == ["ready9"]
    assert alone.loc["rules.promotion_months_at_level", "moves"] == 1
    assert alone.loc["bars.IC4.Scope.sla_adherence", "moves"] == 0
    assert alone.loc["bars.IC4.Scope.sla_adherence", "old"] == 0.98


def test_identical_rows_give_an_empty_diff(golden):
    result = run_whatif(golden, {})
    assert changes(result.before, result.before).empty
    assert result.nearer.empty


# --- saving -----------------------------------------------------------------------------------


def test_a_saved_framework_keeps_the_base_files_comments_and_loads_back(golden, tmp_path):
    result = run_whatif(
        golden,
        {"rules.promotion_months_at_level": 9, "bars.IC3.Scope.sla_adherence": "95%"},
    )
    out = save_framework(result.framework_after, tmp_path / "f.toml", "2027.1", DEFAULT_FRAMEWORK)
    loaded = load_framework(out)
    assert loaded.version == "2027.1"
    # The warehouse does not keep the framework's name; the base file's is kept.
    assert (
        dataclasses.replace(
            loaded,
            version=result.framework_after.version,
            name=result.framework_after.name,
            source=result.framework_after.source,
        )
        == result.framework_after
    )
    text = out.read_text(encoding="utf-8")
    assert "# 'Consistently' means about 6 months" in text
    assert 'label = "Meets SLA 95% of the time"' in text
    with pytest.raises(FileExistsError):
        save_framework(result.framework_after, out, "2027.2", DEFAULT_FRAMEWORK)


def test_a_framework_saved_without_a_base_file_loads_back_whole(golden, tmp_path):
    result = run_whatif(golden, {"rules.in_band_lookback_months": 4})
    out = save_framework(result.framework_after, tmp_path / "f.toml", "2027.1")
    loaded = load_framework(out)
    after = result.framework_after
    assert dataclasses.replace(loaded, version=after.version, source=after.source) == after


def test_a_count_far_beyond_any_framework_is_refused_before_the_sql_can_overflow():
    with pytest.raises(OverrideError, match="at most 10000"):
        apply_overrides(FRAMEWORK, {"rules.promotion_months_at_level": "99999999999999999999"})


def test_a_name_someone_else_in_the_month_shares_gets_team_and_id_even_if_only_one_moves():
    import pandas as pd

    from pipelines.whatif.text import people_labels

    everyone = pd.DataFrame(
        {"name": ["Ana Ruiz", "Ana Ruiz", "Bo Li"], "team": ["Harbor", "Summit", "Harbor"]}
    )
    moved = pd.DataFrame({"name": ["Ana Ruiz", "Bo Li"], "team": ["Summit", "Harbor"]}).assign(
        engineer_id=["E2", "E3"]
    )
    assert list(people_labels(moved, everyone)) == ["Ana Ruiz (Summit · E2)", "Bo Li"]
