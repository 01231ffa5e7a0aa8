"""Value maps that cannot invert silently, coalesced source columns, and the two time zones of a
mapped build (the export's clock, the framework's months).

Exports are written inline in the shapes real ones have: ServiceNow's upper-case TRUE/FALSE,
states in mixed case and padded, incidents closed without a resolution time, and a process log
kept on Amsterdam time while months are counted in UTC.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.errors import SourceError
from pipelines.framework import DEFAULT_FRAMEWORK
from pipelines.importers.mapping import apply_mapping, preview_mapping
from pipelines.importers.mapping_config import load_mapping
from pipelines.importers.mapping_zones import month_turn_example, warn_about_zones

DOCS = Path(__file__).parent.parent / "docs" / "mappings"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path


def rows_of(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def framework_in(folder: Path, zone: str) -> Path:
    """The shipped framework with another month time zone."""
    text = DEFAULT_FRAMEWORK.read_text(encoding="utf-8")
    assert 'timezone = "UTC"' in text
    return write(folder, "framework.toml", text.replace('timezone = "UTC"', f'timezone = "{zone}"'))


ROSTER = {
    "engineers.csv": """
engineer_id,name,email,team,region,manager_id,hire_date,team_lead,left_on,onboarded_on
noor.haddad,Noor Haddad,noor@example.com,Service Desk,AMER,,2021-02-01,false,,
ilse.vos,Ilse Vos,ilse@example.com,Service Desk,EMEA,,2020-06-15,false,,
""",
    "levels.csv": """
engineer_id,level,effective_on
noor.haddad,IC2,2021-02-01
ilse.vos,IC3,2020-06-15
""",
}
ROSTER_SECTIONS = '\n[engineers]\nfile = "engineers.csv"\n\n[levels]\nfile = "levels.csv"\n'


def with_roster(folder: Path, mapping_text: str) -> str:
    for name, text in ROSTER.items():
        write(folder, name, text)
    return mapping_text + ROSTER_SECTIONS


def cli(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def build(tmp_path: Path, mapping: Path, framework: Path = DEFAULT_FRAMEWORK):
    warehouse = tmp_path / "warehouse.duckdb"
    result = cli(
        "build",
        "--mapping",
        mapping,
        "--warehouse",
        warehouse,
        "--framework",
        framework,
        "--no-journal",
        "--quiet",
    )
    assert result.exit_code == 0, result.output
    return result, warehouse


def month_figures(warehouse: Path) -> dict[tuple[str, str], tuple]:
    """(engineer, YYYY-MM) -> (solved, SLA met, SLA breached, median open hours) for the
    engineer-months with a solved ticket."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = con.execute(
            "select engineer_id, strftime(month, '%Y-%m'), tickets_solved, sla_met, "
            "sla_breached, round(median_open_hours, 2) from engineer_months "
            "where tickets_solved > 0"
        ).fetchall()
    return {(e, m): tuple(rest) for e, m, *rest in found}


# -- the trap of the issue: ServiceNow's TRUE/FALSE against a map written for true/false ---------

# Incident updates as ServiceNow exports them (day-first, Chicago time, TRUE/FALSE for made_sla,
# states as typed by hand into a report: upper case, padded). INC0030003 was closed without a
# resolution, INC0030004 has both (resolved_at wins), INC0030005 is still being worked on.
SERVICENOW_EXPORT = "\n".join(
    [
        "number,sys_updated_on,opened_at,resolved_at,closed_at,state,priority,"
        "assigned_to.user_name,made_sla,reopen_count",
        "INC0030001,04-03-2024 10:00:00,04-03-2024 09:00:00,,,New,3 - Moderate,,TRUE,0",
        "INC0030001,05-03-2024 11:00:00,04-03-2024 09:00:00,05-03-2024 11:00:00,,Resolved,"
        "3 - Moderate,noor.haddad,TRUE,0",
        "INC0030002,06-03-2024 15:00:00,06-03-2024 08:00:00,06-03-2024 15:00:00,,RESOLVED,"
        "2 - High,noor.haddad,FALSE,0",
        'INC0030003,07-03-2024 12:00:00,07-03-2024 10:00:00,,07-03-2024 12:00:00," closed ",'
        "4 - Low,noor.haddad,TRUE,0",
        "INC0030004,08-03-2024 17:00:00,08-03-2024 09:30:00,08-03-2024 16:00:00,"
        "08-03-2024 17:00:00,Closed,1 - Critical,ilse.vos,FALSE,0",
        "INC0030005,08-03-2024 11:00:00,08-03-2024 08:00:00,,,in progress,3 - Moderate,"
        "ilse.vos,TRUE,0",
        "",
    ]
)


def servicenow(tmp_path: Path, export: str = SERVICENOW_EXPORT) -> Path:
    """docs/mappings/servicenow.toml as shipped, beside an export of that shape and a roster."""
    write(tmp_path, "incident_updates.csv", export)
    text = (DOCS / "servicenow.toml").read_text(encoding="utf-8")
    return write(tmp_path, "servicenow.toml", with_roster(tmp_path, text))


def test_servicenow_upper_case_made_sla_counts_met_and_breached_the_right_way_round(tmp_path):
    _, warehouse = build(tmp_path, servicenow(tmp_path))
    # noor: INC1 made (TRUE), INC2 missed (FALSE), INC3 made; open hours 26, 7 and 2.
    # ilse: INC4 missed; 09:30 to its resolution at 16:00. Passing TRUE through as "breached"
    # (the old behaviour) swapped met and breached on every row.
    assert month_figures(warehouse) == {
        ("noor.haddad", "2024-03"): (3, 2, 1, 7.0),
        ("ilse.vos", "2024-03"): (1, 0, 1, 6.5),
    }


def test_servicenow_closed_without_resolution_is_solved_at_its_close(tmp_path):
    apply_mapping(servicenow(tmp_path), tmp_path / "out")
    tickets = {r["ticket_id"]: r for r in rows_of(tmp_path / "out" / "tickets.csv")}
    # Chicago is UTC-6 in early March.
    assert {t: (r["status"], r["solved_at"], r["sla_breached"]) for t, r in tickets.items()} == {
        "INC0030001": ("solved", "2024-03-05T17:00:00Z", "false"),
        "INC0030002": ("solved", "2024-03-06T21:00:00Z", "true"),
        "INC0030003": ("closed", "2024-03-07T18:00:00Z", "false"),
        "INC0030004": ("closed", "2024-03-08T22:00:00Z", "true"),
        "INC0030005": ("open", "", "false"),
    }


def test_a_value_the_map_does_not_cover_is_reported_never_passed_through(tmp_path):
    # "yes" is a boolean word, and "Pending Change" no status: neither is in its map.
    export = SERVICENOW_EXPORT.replace(",FALSE,0\nINC0030003", ",yes,0\nINC0030003").replace(
        "in progress", "Pending Change"
    )
    mapping = servicenow(tmp_path, export)
    report = preview_mapping(mapping)
    problems = [str(p) for p in report.problems if p.blocking]
    export_file = tmp_path / "incident_updates.csv"
    assert problems == [
        f"{export_file}, line 7, column 'state': 'Pending Change' (1 row(s)) is not in "
        '[tickets.values.status], so it has no status. Fix: add "Pending Change" = … (one of '
        "['new', 'open', 'pending', 'hold', 'solved', 'closed']) to [tickets.values.status] "
        f"in {mapping}",
        f"{export_file}, line 4, column 'made_sla': 'yes' (1 row(s)) is not in "
        "[tickets.values.sla_breached], so it has no sla_breached. Fix: add "
        '"yes" = true or "yes" = false (whichever it means for sla_breached) to '
        f"[tickets.values.sla_breached] in {mapping}",
    ]
    with pytest.raises(SourceError, match="'yes' \\(1 row\\(s\\)\\) is not in"):
        apply_mapping(mapping, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_check_exits_2_and_lists_the_value_to_add(tmp_path):
    export = SERVICENOW_EXPORT.replace(",Closed,", ",Closed - Duplicate,")
    result = cli("check", "--mapping", servicenow(tmp_path, export), "--no-journal")
    assert result.exit_code == 2
    assert "line 6, column 'state': 'Closed - Duplicate' (1 row(s))" in result.output
    assert 'Fix: add "Closed - Duplicate" = … (one of [' in result.output


TICKETS_ONLY = """
null_tokens = ["", "NULL"]

[tickets]
file = "export.csv"

[tickets.columns]
ticket_id = "Number"
sla_breached = "Made SLA"

[tickets.values.sla_breached]
"true" = false
"false" = true
"""


def test_null_and_blank_values_of_a_mapped_column_stay_empty(tmp_path):
    write(tmp_path, "export.csv", 'Number,Made SLA\nA1,NULL\nA2,\nA3,"   "\nA4," False "\n')
    apply_mapping(write(tmp_path, "map.toml", TICKETS_ONLY), tmp_path / "out")
    written = rows_of(tmp_path / "out" / "tickets.csv")
    assert [(r["ticket_id"], r["sla_breached"]) for r in written] == [
        ("A1", ""),
        ("A2", ""),
        ("A3", ""),
        ("A4", "true"),
    ]


def test_a_star_line_covers_every_value_not_listed(tmp_path):
    write(tmp_path, "export.csv", "Number,Made SLA\nA1,TRUE\nA2,Unknown\nA3,\n")
    mapping = TICKETS_ONLY.replace('"false" = true\n', '"false" = true\n"*" = ""\n')
    apply_mapping(write(tmp_path, "map.toml", mapping), tmp_path / "out")
    written = rows_of(tmp_path / "out" / "tickets.csv")
    assert [r["sla_breached"] for r in written] == ["false", "", ""]


def test_map_keys_that_fold_alike_must_agree(tmp_path):
    clash = TICKETS_ONLY + '"TRUE " = true\n'
    with pytest.raises(SourceError) as caught:
        load_mapping(write(tmp_path, "map.toml", clash))
    assert str(caught.value) == (
        f"{tmp_path / 'map.toml'}, line 13 [tickets.values.sla_breached]: "
        '"TRUE " and "true" are the same value once case and spaces are ignored, but map to '
        '"true" and "false". Fix: keep one of the two lines in [tickets.values.sla_breached]: '
        "matching ignores case and spaces"
    )
    agreeing = TICKETS_ONLY + '"TRUE" = false\n'
    assert load_mapping(write(tmp_path, "ok.toml", agreeing)).tables["tickets"].values == {
        "sla_breached": {"true": "false", "false": "true"}
    }


def test_a_boolean_map_target_is_checked_like_every_boolean(tmp_path):
    wrong = TICKETS_ONLY.replace('"false" = true', '"false" = "breached"')
    with pytest.raises(SourceError) as caught:
        load_mapping(write(tmp_path, "map.toml", wrong))
    assert str(caught.value) == (
        f"{tmp_path / 'map.toml'}, line 12 [tickets.values.sla_breached]: "
        '"false" maps to "breached", which is not a value of sla_breached. '
        "Fix: map it to one of ['true', 'false'], or to \"\" for no value"
    )


# -- coalesced source columns -------------------------------------------------------------------

COALESCE = """
timestamp_formats = ["%d-%m-%Y %H:%M"]
null_tokens = ["", "(empty)"]

[tickets]
file = "export.csv"

[tickets.columns]
ticket_id = "Number"
solved_at = ["Resolved", "Closed"]
priority = ["Priority", "Urgency", { const = "normal" }]
"""


def test_the_first_source_column_with_a_value_wins(tmp_path):
    write(
        tmp_path,
        "export.csv",
        """
Number,Resolved,Closed,Priority,Urgency
C1,02-04-2024 10:00,03-04-2024 09:00,High,
C2,(empty),03-04-2024 09:00,,Low
C3,"  ",04-04-2024 12:30,  ,
C4,,,,
""",
    )
    apply_mapping(write(tmp_path, "map.toml", COALESCE), tmp_path / "out")
    written = rows_of(tmp_path / "out" / "tickets.csv")
    assert [(r["ticket_id"], r["solved_at"], r["priority"]) for r in written] == [
        ("C1", "2024-04-02T10:00:00Z", "high"),
        ("C2", "2024-04-03T09:00:00Z", "low"),
        ("C3", "2024-04-04T12:30:00Z", "normal"),
        ("C4", "", "normal"),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "solved_at = []",
            "line 9 [tickets.columns]: solved_at names an empty list of source columns. Fix: "
            'list at least one column, e.g. solved_at = ["First column", "Fallback column"]',
        ),
        (
            'solved_at = [{ const = "2024-01-01" }, "Closed"]',
            "line 9 [tickets.columns]: a { const = ... } in the list for solved_at hides every "
            "item after it. Fix: keep one constant, as the last item",
        ),
        (
            'solved_at = ["Resolved", 3]',
            "line 9 [tickets.columns]: every item of the list for solved_at must be a column "
            "name or { const = ... }",
        ),
    ],
)
def test_a_malformed_column_list_names_the_mapping_line(tmp_path, line, message):
    body = COALESCE.replace('solved_at = ["Resolved", "Closed"]', line)
    with pytest.raises(SourceError, match=re.escape(message)):
        load_mapping(write(tmp_path, "map.toml", body))


def test_an_unknown_column_in_a_list_names_the_mapping_line(tmp_path):
    write(tmp_path, "export.csv", "Number,Resolved,Priority,Urgency\nC1,,High,\n")
    mapping = write(tmp_path, "map.toml", COALESCE)
    [problem] = [p for p in preview_mapping(mapping).problems if p.blocking]
    assert (problem.file, problem.line, problem.column) == (str(mapping), 9, "solved_at")
    assert problem.message.startswith("column 'Closed' is not in export.csv")


# -- one time-zone story: the export's clock, the framework's months ---------------------------

# A process log on Amsterdam time: one case solved half an hour into November there.
AMSTERDAM_LOG = """
Case ID,Activity,Resource,Complete Timestamp
K-1,Open,noor.haddad,2024/10/31 20:00:00
K-1,Resolve,noor.haddad,2024/11/01 00:30:00
K-2,Open,ilse.vos,2024/11/04 09:00:00
K-2,Resolve,ilse.vos,2024/11/04 11:00:00
"""


def amsterdam_log(tmp_path: Path) -> Path:
    write(tmp_path, "case_events.csv", AMSTERDAM_LOG)
    text = (DOCS / "activity-log.toml").read_text(encoding="utf-8")
    # The log has no priority or rating columns: those lines of the example are for other logs.
    text = re.sub(r"\[tickets\.columns\].*", "", text, flags=re.S)
    return write(tmp_path, "activity-log.toml", with_roster(tmp_path, text))


def test_months_follow_the_framework_zone_and_the_mismatch_is_a_warning(tmp_path):
    mapping = amsterdam_log(tmp_path)
    result, warehouse = build(tmp_path, mapping)
    # 00:30 on 1 Nov in Amsterdam is 23:30 on 31 Oct in UTC: months in UTC put it in October.
    assert month_figures(warehouse) == {
        ("noor.haddad", "2024-10"): (1, 0, 0, 4.5),
        ("ilse.vos", "2024-11"): (1, 0, 0, 2.0),
    }
    assert result.stderr.count("warning: ") == 1
    line = mapping.read_text().splitlines().index('timezone = "Europe/Amsterdam"') + 1
    assert (
        f"warning: {mapping}, line {line}: timezone = 'Europe/Amsterdam' reads the times in "
        f"[tickets], but months follow the framework's timezone = 'UTC' ({DEFAULT_FRAMEWORK}): "
        "a ticket solved at 00:30 on 1 Nov 2024 in Europe/Amsterdam counts in October, because "
        "months follow the framework's UTC (where it is 23:30 on 31 Oct). Fix: if your team's "
        "months are Europe/Amsterdam months, set timezone = 'Europe/Amsterdam' under "
        f"[framework] in {DEFAULT_FRAMEWORK}"
    ) in result.stderr


def test_with_both_zones_agreeing_the_ticket_counts_in_its_own_month_and_nothing_warns(tmp_path):
    mapping = amsterdam_log(tmp_path)
    result, warehouse = build(tmp_path, mapping, framework_in(tmp_path, "Europe/Amsterdam"))
    assert month_figures(warehouse) == {
        ("noor.haddad", "2024-11"): (1, 0, 0, 4.5),
        ("ilse.vos", "2024-11"): (1, 0, 0, 2.0),
    }
    assert "warning" not in result.stderr


def test_check_warns_too_and_names_a_mapping_without_a_timezone(tmp_path):
    write(tmp_path, "export.csv", "Number,Made SLA\nA1,true\n")
    mapping = write(tmp_path, "map.toml", TICKETS_ONLY)
    framework = framework_in(tmp_path, "America/New_York")
    [warning] = warn_about_zones(mapping, framework)
    assert warning.startswith(
        f"warning: {mapping} (no timezone set, so UTC): timezone = 'UTC' reads the times in "
        f"[tickets], but months follow the framework's timezone = 'America/New_York' "
        f"({framework}): a ticket solved at 02:00 on 1 Nov 2024 in UTC counts in October"
    )
    result = cli("check", "--mapping", mapping, "--framework", framework, "--no-journal")
    assert warning in result.stderr


def test_zones_with_the_same_clock_need_no_warning_and_summer_only_differences_do():
    assert month_turn_example("Europe/Berlin", "Europe/Amsterdam") is None
    assert month_turn_example("Europe/London", "UTC") == (
        "a ticket solved at 00:30 on 1 Apr 2025 in Europe/London counts in March, because "
        "months follow the framework's UTC (where it is 23:30 on 31 Mar)"
    )


# -- activity names match like value-map keys: case and padding do not count -----------------

EXAMPLES = Path(__file__).parent / "fixtures" / "mapping" / "examples"


def activity_log(tmp_path: Path, events: str) -> Path:
    """docs/mappings/activity-log.toml as shipped, beside its example roster and `events`."""
    folder = EXAMPLES / "activity-log"
    for name in ("engineers.csv", "levels.csv"):
        write(tmp_path, name, (folder / name).read_text(encoding="utf-8"))
    write(tmp_path, "case_events.csv", events)
    return write(tmp_path, "activity-log.toml", (DOCS / "activity-log.toml").read_text("utf-8"))


def test_an_activity_in_another_case_or_padded_still_solves_its_case(tmp_path):
    shipped = (EXAMPLES / "activity-log" / "case_events.csv").read_text(encoding="utf-8")
    # The log as some tools write it: "resolve " lower case and padded, "RESOLVE" shouting.
    events = shipped.replace("C-3001,Resolve,", 'C-3001,"resolve ",', 1).replace(
        "C-3003,Resolve,", "C-3003,RESOLVE,", 1
    )
    mapping = activity_log(tmp_path, events)
    report = apply_mapping(mapping, tmp_path / "out")
    assert not [p for p in report.problems if "solved_activities" in p.message]
    tickets = {r["ticket_id"]: r for r in rows_of(tmp_path / "out" / "tickets.csv")}
    # Amsterdam is UTC+1 in early March: solved at 15:00 and 11:00 local.
    assert {t: (tickets[t]["status"], tickets[t]["solved_at"]) for t in ("C-3001", "C-3003")} == {
        "C-3001": ("solved", "2024-03-04T14:00:00Z"),
        "C-3003": ("solved", "2024-03-06T10:00:00Z"),
    }
    assert [r["status"] for r in tickets.values()].count("open") == 2  # C-3004, C-3006


# -- a value map missing several values: every one in one problem, folded spellings as one -----


def test_every_value_a_map_misses_is_listed_once_with_counts_and_its_line(tmp_path):
    write(
        tmp_path,
        "export.csv",
        "Number,Made SLA\nA1,TRUE\nA2,Solved\nA3, SOLVED \nA4,Pending\nA5,solved\nA6,?\n",
    )
    mapping = write(tmp_path, "map.toml", TICKETS_ONLY)
    blocking = [p for p in preview_mapping(mapping).problems if p.blocking]
    unmapped = next(p for p in blocking if "[tickets.values.sla_breached]" in p.message)
    assert (unmapped.line, unmapped.column) == (3, "Made SLA")
    assert unmapped.message == (
        "2 distinct values are not in [tickets.values.sla_breached], so they have no "
        "sla_breached: 'Solved' (3 row(s), first on line 3), 'Pending' (1 row(s), first on "
        "line 5)"
    )
    # One line per value to add, " SOLVED " and "solved" folded into "Solved"'s.
    assert unmapped.fix == (
        f"add to [tickets.values.sla_breached] in {mapping}: "
        '"Solved" = true or "Solved" = false (whichever it means for sla_breached); '
        '"Pending" = true or "Pending" = false (whichever it means for sla_breached)'
    )
    assert len(blocking) == 2  # and '?' sent to null_tokens
