"""`python -m pipelines whatif`: the same diff as a table, CSV or JSON; a bad --set names the
fix; only admins and leadership may run it on someone's behalf, and that run is audited."""

from __future__ import annotations

import csv
import io
import json
import tomllib

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.framework import load_framework
from tests.test_whatif import AS_OF, golden_org, write_warehouse

runner = CliRunner()
NINE = ("--set", "rules.promotion_months_at_level=9")


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def golden(tmp_path_factory):
    return write_warehouse(golden_org(), tmp_path_factory.mktemp("golden") / "w.duckdb", AS_OF)


def test_the_table_names_the_change_the_person_the_counts_and_both_reasons(golden):
    result = run("whatif", *NINE, "--warehouse", golden)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "What-if, December 2024: Months at level before a promotion case: 12 -> 9  "
        "(rules.promotion_months_at_level)"
    )
    assert "1 of the 9 people judged move; besides, 1 person is nearer a flag." in result.output
    assert "Person ready9" in result.output
    assert "Near a window -> Promotion-ready" in result.output
    assert "2025-02 -> 2024-12" in result.output
    assert "Moves by level" in result.output
    assert "  before: 13 whole months at IC2 (10 judged)" in result.output
    assert "  after:  Promotion-ready: 13 whole months at IC2" in result.output


def test_csv_and_json_carry_the_same_people_with_both_reasons(golden):
    text = run("whatif", *NINE, "--warehouse", golden, "--format", "csv").output
    rows = list(csv.DictReader(io.StringIO(text)))
    document = json.loads(run("whatif", *NINE, "--warehouse", golden, "--format", "json").output)
    assert [r["engineer_id"] for r in rows] == [p["engineer_id"] for p in document["people"]]
    assert [(r["engineer_id"], r["kind"]) for r in rows] == [
        ("ready9", "flags"),
        ("early", "reason"),
    ]
    assert (rows[1]["old_earliest"], rows[1]["new_earliest"]) == ("2025-08", "2025-05")
    assert rows[0]["window_moves_months"] == "-2"
    assert document["people"][0]["window_moves_months"] == -2
    assert document["people"][0]["old_reason"] == rows[0]["old_reason"]
    assert rows[0]["new_reason"].startswith("Promotion-ready")
    assert document["month"] == AS_OF
    assert document["changes"] == [
        {
            "path": "rules.promotion_months_at_level",
            "label": "Months at level before a promotion case",
            "old": 12.0,
            "new": 9.0,
        }
    ]


def test_a_bar_that_moves_no_flag_still_shows_whose_reason_changes(golden):
    result = run("whatif", "--set", "bars.IC3.Scope.sla_adherence=95%", "--warehouse", golden)
    assert result.exit_code == 0, result.output
    assert "IC3 Scope: SLA adherence bar: at least 96% -> at least 95%" in result.output
    assert "Nearer or further from a flag (3)" in result.output
    assert "no Impact example at IC3" in result.output


def test_each_change_alone_shows_the_setting_that_moves_nobody(golden):
    result = run(
        "whatif",
        *NINE,
        "--set",
        "bars.IC4.Scope.sla_adherence=97%",
        "--each",
        "--warehouse",
        golden,
    )
    assert result.exit_code == 0, result.output
    assert "Together, these 2 changes: 1 of the 9 people judged move" in result.output
    each = result.output[result.output.index("Each change alone") :].splitlines()

    def cells(setting: str) -> list[str]:
        row = next(x for x in each if setting in x)
        return [cell.strip() for cell in row.split("│")[3:5]]

    assert cells("Months at level before a promotion case") == ["1", "1"]


def test_counts_by_team(golden):
    result = run("whatif", *NINE, "--warehouse", golden, "--by", "team")
    assert result.exit_code == 0, result.output
    assert "Moves by team" in result.output


@pytest.mark.parametrize(
    ("assignment", "fix"),
    [
        ("rules.promotion_months_at_level=nine", "write a whole number such as 12"),
        ("bars.IC3.Scope.volume_ratio=1", "the bars there are: bars.IC1.Impact.sla_adherence"),
        ("rules.promotion_months_at_level", "is not PATH=VALUE"),
    ],
)
def test_a_bad_set_exits_1_and_names_the_fix(golden, assignment, fix):
    result = run("whatif", "--set", assignment, "--warehouse", golden)
    assert result.exit_code == 1
    assert fix in result.output
    assert "Fix:" in result.output


def test_no_warehouse_exits_1_with_the_fix(tmp_path):
    result = run("whatif", *NINE, "--warehouse", tmp_path / "none.duckdb")
    assert result.exit_code == 1
    assert "run `python -m pipelines build` first" in result.output


def test_the_changed_framework_is_saved_as_a_new_version(golden, tmp_path):
    out = tmp_path / "next.toml"
    result = run(
        "whatif", *NINE, "--warehouse", golden, "--save-framework", out, "--version", "2027.1"
    )
    assert result.exit_code == 0, result.output
    saved = load_framework(out)
    assert (saved.version, saved.rules["promotion_months_at_level"]) == ("2027.1", 9)
    assert "# 'Consistently' means about 6 months" in out.read_text(encoding="utf-8")
    again = run(
        "whatif", *NINE, "--warehouse", golden, "--save-framework", out, "--version", "2027.2"
    )
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_only_admins_and_leadership_may_run_it_for_someone_and_it_is_audited(
    fixture_warehouse, demo_source, monkeypatch, tmp_path
):
    from pipelines import audit

    journal = tmp_path / "journal.sqlite"
    monkeypatch.setenv("RUNGS_ACCESS_FILE", str(demo_source / "access.toml"))
    monkeypatch.setenv("RUNGS_JOURNAL_URL", str(journal))
    roles = tomllib.loads((demo_source / "access.toml").read_text())["roles"]

    refused = run(
        "whatif", *NINE, "--warehouse", fixture_warehouse, "--as-user", roles["manager"][0]
    )
    assert refused.exit_code == 1
    assert "for admins and leadership" in refused.output
    assert audit.recent(path=journal).empty

    leader = roles["leadership"][0]
    allowed = run("whatif", *NINE, "--warehouse", fixture_warehouse, "--as-user", leader)
    assert allowed.exit_code == 0, allowed.output
    log = audit.recent(path=journal)
    assert log[["who", "role", "action"]].values.tolist() == [[leader, "leadership", "export"]]
    assert "whatif" in log["target"].iloc[0]
