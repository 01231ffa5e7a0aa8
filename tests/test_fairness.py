"""The fairness lens on a hand-made warehouse whose every figure is worked out here by hand.

The org, over the period 2026-01 to 2026-03 (three judged months each unless said):
  team Alpha (EMEA, manager M1 Mara): A1..A6, 18 person-months, 27 examples recorded
  team Beta  (AMER, manager M2 Ben):  B1..B5, B5 left on 2026-02-10 (2 months), 14 person-months,
                                      2 examples (plus a concern, which is not counted)
  team Gamma (EMEA, manager M3 Gus):  G1..G4, 12 person-months, 4 examples   <- a group of 4
  team Delta (APAC, manager M2 Ben):  D1, 3 person-months, no examples       <- a group of 1
The org: 16 people, 47 person-months, 33 examples.
"""

from __future__ import annotations

import io
import json
import math
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.fairness import (
    MEASURES,
    documentation_skew,
    fairness_groupings,
    fairness_min_group_size,
    fairness_table,
    poisson_interval,
    wilson,
)
from pipelines.fairness import differences as lens_differences
from pipelines.fairness.intervals import median_interval
from pipelines.fairness.render import manager_labels
from pipelines.fairness.words import drop_sample

START, END = date(2026, 1, 1), date(2026, 3, 1)
MONTHS = [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
TEAMS = {
    "Alpha": ("EMEA", "M1", [f"A{i}" for i in range(1, 7)]),
    "Beta": ("AMER", "M2", [f"B{i}" for i in range(1, 6)]),
    "Gamma": ("EMEA", "M3", [f"G{i}" for i in range(1, 5)]),
    "Delta": ("APAC", "M2", ["D1"]),
}
MANAGERS = {"M1": "Mara Lead", "M2": "Ben Lead", "M3": "Gus Lead"}
# Words that would give the small groups away.
SMALL = ("Gamma", "Delta", "APAC", "Gus Lead", "M3")


def _tables() -> dict[str, pd.DataFrame]:
    engineers, lines, readiness, evidence = [], [], [], []
    for manager, name in MANAGERS.items():
        engineers.append((manager, name, "Leads", "EMEA", None, date(2020, 1, 1), None))
    for team, (region, manager, people) in TEAMS.items():
        for person in people:
            left = date(2026, 2, 10) if person == "B5" else None
            engineers.append(
                (person, f"Person {person}", team, region, manager, date(2023, 1, 1), left)
            )
            lines.append((person, manager, date(2023, 1, 1), left))
            # B5 keeps a March row, as a stale input might: it is after they left, so not counted.
            for month in MONTHS:
                ready = (person, month) in {
                    ("A1", MONTHS[0]), ("A2", MONTHS[1]), ("A2", MONTHS[2]),
                    ("B1", MONTHS[0]), ("G1", MONTHS[2]), ("G2", MONTHS[0]),
                }  # fmt: skip
                readiness.append((person, month, "IC2", ready, False, person == "B3", False))
    examples = {"A1": 5, "A2": 5, "A3": 5, "A4": 4, "A5": 4, "A6": 4, "B1": 1, "B2": 1}
    examples |= {"G1": 1, "G2": 1, "G3": 1, "G4": 1}
    for person, count in examples.items():
        for i in range(count):
            evidence.append((f"{person}-{i}", person, date(2026, 1 + i % 3, 10), "example"))
    evidence += [
        ("B1-concern", "B1", date(2026, 1, 20), "concern"),  # concerns are not counted
        ("A1-old", "A1", date(2025, 12, 20), "example"),  # before the period
        ("B5-late", "B5", date(2026, 3, 5), "example"),  # after B5 left
    ]
    decisions = [
        ("A1", date(2026, 2, 15), "promotion"),
        ("B2", date(2026, 3, 31), "in_band_raise"),  # the period's last day counts
        ("A3", date(2026, 4, 1), "in_band_raise"),  # after the period
        ("A4", date(2026, 2, 1), "deferred"),  # neither a promotion nor a raise
    ]
    stints = [
        ("A1", "IC2", 1, date(2024, 5, 10), date(2026, 1, 31), "hire", None),
        ("A1", "IC3", 2, date(2026, 2, 1), None, "promotion", "IC2"),
        ("A2", "IC1", 0, date(2025, 3, 1), date(2026, 2, 28), "hire", None),
        ("A2", "IC2", 1, date(2026, 3, 1), None, "promotion", "IC1"),
        ("G1", "IC1", 0, date(2025, 1, 1), date(2026, 1, 14), "hire", None),
        ("G1", "IC2", 1, date(2026, 1, 15), None, "promotion", "IC1"),
    ]
    return {
        "engineers": pd.DataFrame(
            engineers,
            columns=["engineer_id", "name", "team", "region", "manager_id", "hire_date", "left_on"],
        ),
        "reporting_lines": pd.DataFrame(
            lines, columns=["engineer_id", "manager_id", "started_on", "ended_on"]
        ),
        "readiness": pd.DataFrame(
            readiness,
            columns=[
                "engineer_id",
                "month",
                "level",
                "promotion_ready",
                "near_window",
                "in_band_candidate",
                "at_risk",
            ],
        ),
        "evidence": pd.DataFrame(
            evidence, columns=["evidence_id", "engineer_id", "observed_on", "kind"]
        ),
        "decisions": pd.DataFrame(decisions, columns=["engineer_id", "decided_on", "decision"]),
        "level_stints": pd.DataFrame(
            stints,
            columns=[
                "engineer_id",
                "level",
                "level_rank",
                "started_on",
                "ended_on",
                "change",
                "from_level",
            ],
        ),
        "framework_levels": pd.DataFrame({"level": ["IC1", "IC2", "IC3"], "rank": [0, 1, 2]}),
    }


HAND_MADE = _tables()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fairness") / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        for name, frame in HAND_MADE.items():
            con.register("frame", frame)
            con.execute(f"create table {name} as select * from frame")
            con.unregister("frame")
        # Dates as DATE, as the build writes them (pandas hands them over as objects).
        con.execute("create table builds as select '2026-03' as as_of_month, now() as built_at")
        con.execute(
            "create table framework_fairness as select []::varchar[] as groupings, "
            "5 as min_group_size"
        )
        con.execute(
            "create table engineer_attributes "
            "(engineer_id varchar, attribute varchar, value varchar)"
        )
    return path


@pytest.fixture
def con(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as c:
        yield c


def by_group(table) -> dict[str, dict]:
    return {row["group"]: row for row in table.rows.to_dict(orient="records")}


def test_wilson_and_poisson_match_the_hand_computation():
    z = 1.959963984540054
    # Wilson, 2 of 6: centre (p + z²/2n) / (1 + z²/n),
    # half-width z·√(p(1-p)/n + z²/4n²) / (1 + z²/n).
    p, n = 2 / 6, 6
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)  # 0.653455 / 1.640243 = 0.398389
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)  # 0.301617
    assert wilson(2, 6) == pytest.approx((centre - half, centre + half))
    assert wilson(2, 6) == pytest.approx((0.0968, 0.7000), abs=1e-4)
    assert wilson(1, 5) == pytest.approx((0.0362, 0.6245), abs=1e-4)
    # Byar, 27 items in 18 person-months: 27·(1 - 1/243 - z/(3√27))³ = 17.7888 and
    # 28·(1 - 1/252 + z/(3√28))³ = 39.2851, each over 18.
    assert poisson_interval(27, 18) == pytest.approx((17.7888 / 18, 39.2851 / 18), abs=1e-4)
    # Near the exact chi-square limits (17.793, 39.284) for 27 events.
    assert poisson_interval(27, 1) == pytest.approx((17.793, 39.284), rel=2e-3)
    # No events: 0 up to -ln(0.025) = 3.689 events.
    assert poisson_interval(0, 10) == pytest.approx((0.0, 0.3689), abs=1e-4)
    assert all(math.isnan(v) for v in wilson(0, 0) + poisson_interval(1, 0))
    # The median's interval needs 6 values: P(Binomial(6, ½) = 0) = 1/64 <= 2.5%.
    assert median_interval([4, 1, 6, 2, 5, 3]) == (1.0, 6.0)
    assert all(math.isnan(v) for v in median_interval([1, 2, 3, 4, 5]))


def test_team_rates_and_intervals_are_the_hand_computed_ones(con):
    table = fairness_table(con, "team", START, END, 5)
    groups = by_group(table)
    assert list(groups) == ["Alpha", "Beta"]
    alpha, beta = groups["Alpha"], groups["Beta"]
    assert (alpha["people"], alpha["person_months"]) == (6, 18)
    # B5 left on 2026-02-10: January and February count, March does not.
    assert (beta["people"], beta["person_months"]) == (5, 14)

    # Promotion-ready at least once: A1 and A2 (A2 twice, counted once) of 6; B1 of 5.
    assert (alpha["promotion_ready_count"], alpha["promotion_ready_n"]) == (2, 6)
    assert alpha["promotion_ready_rate"] == pytest.approx(2 / 6)
    assert (alpha["promotion_ready_low"], alpha["promotion_ready_high"]) == pytest.approx(
        (0.0968, 0.7000), abs=1e-4
    )
    assert (beta["promotion_ready_low"], beta["promotion_ready_high"]) == pytest.approx(
        (0.0362, 0.6245), abs=1e-4
    )
    # The org: A1, A2, B1, G1, G2 of 16 = 0.3125, inside both intervals.
    assert table.org["promotion_ready_rate"] == pytest.approx(5 / 16)
    assert alpha["promotion_ready_words"] == "in line with the org's rate, n = 6"
    assert beta["promotion_ready_words"] == "in line with the org's rate, n = 5"
    assert beta["in_band_candidate_count"] == 1  # B3

    # Evidence: Alpha 27 examples / 18 person-months = 1.5, Byar (0.9883, 2.1825); Beta
    # 2 / 14 = 0.1429, Byar 2·(1 - 1/18 - z/(3√2))³ = 0.2246 and 3·(1 - 1/27 + z/(3√3))³ =
    # 7.2208, over 14. The org: 33 / 47 = 0.7021, below Alpha's interval and above Beta's.
    assert alpha["evidence_rate_rate"] == pytest.approx(1.5)
    assert (alpha["evidence_rate_low"], alpha["evidence_rate_high"]) == pytest.approx(
        (17.7888 / 18, 39.2851 / 18), abs=1e-4
    )
    assert beta["evidence_rate_count"] == 2  # the concern and the item after B5 left are not
    assert (beta["evidence_rate_low"], beta["evidence_rate_high"]) == pytest.approx(
        (0.2246 / 14, 7.2208 / 14), abs=1e-4
    )
    assert table.org["evidence_rate_rate"] == pytest.approx(33 / 47)
    assert alpha["evidence_rate_words"] == "higher than the org's rate, n = 18 person-months"
    assert beta["evidence_rate_words"] == "lower than the org's rate, n = 14 person-months"

    # Decisions dated in the period: A1's promotion; B2's raise on the last day. A3's raise
    # (April) and A4's deferral are not counted.
    assert (alpha["promotion_decided_count"], alpha["raise_decided_count"]) == (1, 0)
    assert (beta["promotion_decided_count"], beta["raise_decided_count"]) == (0, 1)

    # Months at the old level: A1 from June 2024 (hired mid-May) to February 2026 = 20,
    # A2 from March 2025 to March 2026 = 12: median 16 of 2; the org adds G1's 12: median 12.
    assert (alpha["months_before_promotion_n"], alpha["months_before_promotion_rate"]) == (2, 16)
    assert (table.org["months_before_promotion_n"], table.org["months_before_promotion_rate"]) == (
        3,
        12,
    )
    assert alpha["months_before_promotion_words"].startswith("too few promotions")
    assert beta["months_before_promotion_words"] == "no promotions in the period"


def test_every_measure_has_its_columns(con):
    table = fairness_table(con, "team", START, END, 5)
    for measure in MEASURES:
        for part in ("count", "n", "rate", "low", "high", "words"):
            assert f"{measure.key}_{part}" in table.rows.columns
            if part != "words":
                assert f"{measure.key}_{part}" in table.org


@pytest.mark.parametrize("grouping", ["team", "region", "manager", "level"])
def test_a_group_of_four_never_appears_nor_can_be_worked_out(con, grouping):
    table = fairness_table(con, grouping, START, END, 5)
    shown = table.rows
    assert (shown["people"] >= 5).all()
    text = shown.to_csv() + table.note
    assert not [word for word in SMALL if word in text]
    # Whatever is withheld is at least 5 people together: the org minus the groups shown
    # never isolates a small group.
    withheld = table.org["people"] - shown["people"].sum()
    assert withheld == 0 or withheld >= 5
    assert table.org["people"] == 16


def test_team_withholds_the_small_groups_and_says_how_many_not_which(con):
    table = fairness_table(con, "team", START, END, 5)
    assert table.suppressed == 2  # Gamma (4) and Delta (1): 5 withheld, no more needed
    assert "2 groups are not shown" in table.note
    assert "last judged month of the period" in table.note


def test_region_withholds_a_second_group_so_the_first_cannot_be_derived(con):
    # APAC has 1 person; alone withheld, the org (16) minus EMEA (10) and AMER (5) would give
    # it away, so AMER, the smallest shown, is withheld too.
    table = fairness_table(con, "region", START, END, 5)
    assert list(table.rows["group"]) == ["EMEA"]
    assert table.suppressed == 2
    assert "AMER" not in table.note


def test_manager_groups_are_labelled_with_the_manager_name(con):
    table = fairness_table(con, "manager", START, END, 5)
    # Ben has Beta and D1 (6), Mara Alpha (6), Gus 4: Gus is withheld, and then the smaller
    # of the two left, so the withheld people (4 + 6) cannot be told apart.
    assert len(table.rows) == 1
    assert table.rows.loc[0, "group"] in ("Mara Lead", "Ben Lead")
    assert table.rows.loc[0, "group_id"] in ("M1", "M2")


def test_a_viewers_scope_narrows_the_org(con):
    alpha = TEAMS["Alpha"][2]
    table = fairness_table(con, "team", START, END, 5, people=alpha)
    assert list(table.rows["group"]) == ["Alpha"]
    assert table.org["people"] == 6
    # Under the minimum, not even the org is shown.
    small = fairness_table(con, "team", START, END, 5, people=TEAMS["Gamma"][2])
    assert small.rows.empty and small.org == {}
    assert "no figures are shown" in small.note


def test_documentation_skew_lists_managers_most_below_first(con):
    skew = documentation_skew(con, START, END, 4)
    # Ben: Beta and D1, 17 report-months, 2 examples; Mara 27 / 18; Gus's 4 reports in between.
    names = list(skew["manager_name"])
    assert (names[0], names[-1], len(names)) == ("Ben Lead", "Mara Lead", 3)
    ben = skew.iloc[0]
    assert (ben["reports"], ben["report_months"], ben["items"]) == (6, 17, 2)
    assert (ben["low"], ben["high"]) == pytest.approx((0.2246 / 17, 7.2208 / 17), abs=1e-4)
    assert ben["org_rate"] == pytest.approx(33 / 47)
    assert ben["words"] == "lower than the org's rate, n = 6"
    assert skew.iloc[-1]["words"] == "higher than the org's rate, n = 6"


def test_documentation_skew_withholds_a_second_manager_so_the_first_cannot_be_derived(con):
    # Gus has 4 reports. With only him left out, the org's totals minus the managers shown
    # would be his team's figures, so the smaller of the other two (Ben, 17 report-months
    # against Mara's 18) is withheld with him.
    skew = documentation_skew(con, START, END, 5)
    assert list(skew["manager_name"]) == ["Mara Lead"]
    assert skew.iloc[0]["words"] == "higher than the org's rate, n = 6"


def test_groupings_and_minimum_come_from_the_warehouse(con):
    assert fairness_groupings(con) == ["team", "region", "manager", "level"]
    assert fairness_min_group_size(con) == 5
    # The access file's [privacy] minimum raises it, never lowers it.
    assert fairness_min_group_size(con, 10) == 10
    assert fairness_min_group_size(con, 3) == 5


def test_the_dashboards_attached_connection_works_too(warehouse):
    con = duckdb.connect(":memory:")
    con.execute(f"attach '{warehouse}' as wh (read_only)")
    con.execute("use wh")
    table = fairness_table(con, "team", START, END, 5)
    assert list(table.rows["group"]) == ["Alpha", "Beta"]
    assert fairness_min_group_size(con) == 5


def test_a_reversed_period_or_unknown_grouping_is_refused_with_the_fix(con):
    with pytest.raises(ValueError, match="give the earlier month first"):
        fairness_table(con, "team", END, START, 5)
    with pytest.raises(ValueError, match="use one of team, region, manager, level"):
        fairness_table(con, "location", START, END, 5)


runner = CliRunner()


def test_cli_prints_csv_and_json_without_the_small_groups(warehouse):
    csv_out = runner.invoke(
        app,
        ["fairness", "--by", "team", "--from", "2026-01", "--to", "2026-03",
         "--warehouse", str(warehouse), "--format", "csv"],
    )  # fmt: skip
    assert csv_out.exit_code == 0, csv_out.output
    frame = pd.read_csv(io.StringIO(csv_out.output))
    assert list(frame["team"]) == ["Alpha", "Beta", "Whole org"]
    assert frame.loc[0, "evidence_rate_words"] == "higher than the org's rate, n = 18 person-months"
    assert not [w for w in SMALL if w in csv_out.output]

    json_out = runner.invoke(
        app, ["fairness", "--by", "region", "--warehouse", str(warehouse), "--format", "json"]
    )
    assert json_out.exit_code == 0, json_out.output
    payload = json.loads(json_out.output)
    # The default period: the 12 months up to the build's as-of month (2026-03).
    assert (payload["from"], payload["to"]) == ("2025-04", "2026-03")
    assert [g["region"] for g in payload["groups"]] == ["EMEA"]
    assert payload["org"]["people"] == 16 and payload["groups_withheld"] == 2

    skew = runner.invoke(app, ["fairness", "--skew", "--warehouse", str(warehouse)])
    assert skew.exit_code == 0, skew.output
    assert "Mara Lead" in skew.output and "Gus Lead" not in skew.output


def test_cli_refuses_a_bad_month_or_format_with_the_fix(warehouse):
    bad = runner.invoke(app, ["fairness", "--from", "2026-13", "--warehouse", str(warehouse)])
    assert bad.exit_code == 1
    assert "write it as YYYY-MM" in bad.output
    fmt = runner.invoke(app, ["fairness", "--format", "xml", "--warehouse", str(warehouse)])
    assert fmt.exit_code == 1


def test_cli_skew_states_the_orgs_rate_and_heads_every_column(warehouse):
    skew = runner.invoke(
        app,
        ["fairness", "--skew", "--from", "2026-01", "--to", "2026-03",
         "--warehouse", str(warehouse)],
    )  # fmt: skip
    assert skew.exit_code == 0, skew.output
    assert f"The org's rate: {33 / 47:.2f} examples of work recorded per person-month" in (
        skew.output
    )
    for header in ("reports in the period", "person-months", "examples", "against the org"):
        assert header in skew.output
    # n is the reports column: the words beside it do not repeat it.
    assert "higher than the org's rate" in skew.output and "n = " not in skew.output


def test_managers_who_share_a_name_are_told_apart_by_team_and_id():
    con = duckdb.connect(":memory:")
    con.execute("create table engineers (engineer_id varchar, name varchar, team varchar)")
    con.execute(
        "insert into engineers values ('M1', 'Sam Lee', 'Harbor'), ('M2', 'Sam Lee', 'Beacon'),"
        " ('M3', 'Ana Ruiz', 'Harbor'), ('E1', 'A', 'Harbor')"
    )
    con.execute("create table reporting_lines (engineer_id varchar, manager_id varchar)")
    con.execute("insert into reporting_lines values ('E1', 'M1'), ('E1', 'M2'), ('E1', 'M3')")
    assert manager_labels(con) == {
        "M1": "Sam Lee (Harbor · M1)",
        "M2": "Sam Lee (Beacon · M2)",
        "M3": "Ana Ruiz",
    }


def _figures_row(group: str, **marked: tuple[float, float, float, str]) -> dict:
    """A fairness row in line with the org on every measure but those `marked`: key ->
    (rate, low, high, first word of the phrase)."""
    row: dict = {"group": group}
    for m in MEASURES:
        rate, low, high, word = marked.get(m.key, (0.5, 0.1, 0.9, "in"))
        row |= {
            f"{m.key}_rate": rate,
            f"{m.key}_low": low,
            f"{m.key}_high": high,
            f"{m.key}_words": f"{word} line with the org's rate" if word == "in" else word,
        }
    return row


def test_differing_figures_rank_by_distance_from_the_org_and_gather_by_group():
    org = {f"{m.key}_rate": 0.5 for m in MEASURES} | {
        "evidence_rate_rate": 0.5,
        "promotion_ready_rate": 0.4,
        "at_risk_rate": 0.1,
    }
    rows = pd.DataFrame(
        [
            _figures_row("X", evidence_rate=(1.0, 0.8, 1.2, "higher")),
            _figures_row(
                "Y", promotion_ready=(0.1, 0.02, 0.2, "lower"), at_risk=(0.5, 0.3, 0.7, "higher")
            ),
            _figures_row("Z"),
        ]
    )
    found = lens_differences.differences(rows, org)
    # Y's at-risk interval starts 0.2 above 0.1 (2.0 of it); X's evidence 0.3 above 0.5
    # (0.6); Y's promotion-ready ends 0.2 below 0.4 (0.5).
    assert list(zip(found["group"], found["measure"], strict=True)) == [
        ("Y", "at_risk"),
        ("X", "evidence_rate"),
        ("Y", "promotion_ready"),
    ]
    assert list(found["distance"]) == pytest.approx([2.0, 0.6, 0.5])
    groups = lens_differences.by_group(found)
    assert list(groups["group"]) == ["Y", "X"] and list(groups["figures"]) == [2, 1]
    assert lens_differences.compared(rows) == 3 * len(MEASURES)
    assert lens_differences.by_chance(1024) == 51


def test_the_words_drop_their_sample_size_for_a_table_with_an_n_column():
    assert drop_sample("lower than the org's rate, n = 6") == "lower than the org's rate"
    assert drop_sample("nothing to compare, n = 0 person-months") == "nothing to compare"
    assert drop_sample("no promotions in the period") == "no promotions in the period"


def test_the_direction_read_from_a_phrase_is_where_compare_put_the_group():
    from pipelines.fairness.words import compare, direction

    assert direction(compare("share", 0.5, 0.7, 0.3, 12)) == "higher"
    assert direction(compare("per_person_month", 0.1, 0.2, 0.3, 40)) == "lower"
    assert direction(compare("months", 20, 30, 12, 6)) == "longer"
    assert direction(compare("share", 0.1, 0.5, 0.3, 12)) == ""
    assert direction(compare("share", 0.1, 0.5, 0.3, 0)) == ""
