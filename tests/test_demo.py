"""The demo org: contract-shaped, deterministic, and true to the stories it was built to tell.

The readiness flags are checked with a small independent implementation of issue 3's rules
written here from the definitions, so the demo is verified against the rules, not against the
generator's own plan.
"""

from __future__ import annotations

import csv
import datetime as dt
import statistics
from collections import defaultdict
from itertools import pairwise

import pytest

from pipelines.demo import calendar as cal
from pipelines.demo.access import ACCESS_FILE
from pipelines.demo.generate import COLUMNS, generate_demo
from pipelines.demo.tickets import allowed_breaches
from pipelines.framework import load_framework

END = "2025-06"
FW = load_framework()
REQUIRED = (
    "promotion_ready",
    "near_window",
    "in_band",
    "at_risk",
    "onboarding",
    "leaver",
    "team_lead",
    "steady",
)
FLAGS = ("promotion_ready", "near_window", "in_band", "at_risk")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("small")
    return generate_demo(out, engineers=12, months=18, seed=3, end_month=END)


@pytest.fixture(scope="module")
def default_org(tmp_path_factory):
    out = tmp_path_factory.mktemp("default")
    return generate_demo(out, end_month=END)


def read(summary, name: str) -> list[dict]:
    with open(summary.out_dir / f"{name}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def ts(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# -- shape and determinism -----------------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_another_seed_differs(small, tmp_path):
    again = generate_demo(tmp_path / "again", engineers=12, months=18, seed=3, end_month=END)
    other = generate_demo(tmp_path / "other", engineers=12, months=18, seed=4, end_month=END)
    for name in [*(f"{table}.csv" for table in COLUMNS), ACCESS_FILE]:
        first = (small.out_dir / name).read_bytes()
        assert (again.out_dir / name).read_bytes() == first, name
    assert (other.out_dir / "tickets.csv").read_bytes() != (
        small.out_dir / "tickets.csv"
    ).read_bytes()
    assert (other.out_dir / "engineers.csv").read_bytes() != (
        small.out_dir / "engineers.csv"
    ).read_bytes()
    assert again.archetypes == small.archetypes


def test_every_file_has_exactly_the_contract_columns(small):
    for name, columns in COLUMNS.items():
        header = (small.out_dir / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header.split(",") == list(columns), name
    assert COLUMNS["tickets"] == (
        "ticket_id",
        "assignee_id",
        "created_at",
        "solved_at",
        "status",
        "priority",
        "sla_breached",
        "csat",
        "reopens",
        "updated_at",
    )


def test_summary_counts_match_the_rows_written(small):
    for name in COLUMNS:
        assert small.counts[name] == len(read(small, name)), name


def test_values_use_the_contract_formats(small):
    tickets = read(small, "tickets")
    for t in tickets:
        ts(t["created_at"])
        assert t["status"] in {"new", "open", "pending", "hold", "solved", "closed"}
        assert t["priority"] in {"", "low", "normal", "high", "urgent"}
        assert t["sla_breached"] in {"", "true", "false"}
        assert t["csat"] in {"", "good", "bad", "offered", "unoffered"}
        assert int(t["reopens"]) >= 0
    for e in read(small, "engineers"):
        assert e["team_lead"] in {"true", "false"}
        assert e["email"].endswith("@example.com")
        day(e["hire_date"])
    for ev in read(small, "evidence"):
        assert ev["category"] in FW.categories and ev["level"] in FW.levels
        assert ev["kind"] in {"example", "concern"} and ev["summary"].strip()
        assert ev["link"] == "" or ev["link"].startswith("https://example.com/")


def test_every_referenced_engineer_exists_and_managers_have_no_levels_or_tickets(small):
    engineers = {e["engineer_id"]: e for e in read(small, "engineers")}
    leveled = {r["engineer_id"] for r in read(small, "levels")}
    managers = set(small.archetypes["manager"])
    assignees = {t["assignee_id"] for t in read(small, "tickets")} - {""}
    assert assignees <= engineers.keys()
    assert not assignees & managers and not leveled & managers
    for name, column in (
        ("evidence", "engineer_id"),
        ("evidence", "recorded_by"),
        ("decisions", "engineer_id"),
        ("leave", "engineer_id"),
    ):
        assert {r[column] for r in read(small, name)} <= engineers.keys(), (name, column)
    for e in engineers.values():
        assert e["manager_id"] == "" or e["manager_id"] in managers
    assert "" in {t["assignee_id"] for t in read(small, "tickets")}, "some tickets unassigned"


@pytest.mark.parametrize("org_name", ["small", "default_org"])
def test_one_manager_has_reports_of_reports(org_name, request):
    summary = request.getfixturevalue(org_name)
    manager_of = {e["engineer_id"]: e["manager_id"] for e in read(summary, "engineers")}
    managers = summary.archetypes["manager"]
    # The last team's manager reports to the first team's (M015 to M001 in the default org).
    assert manager_of[managers[-1]] == "M001"
    assert [m for m in managers[1:-1] if manager_of[m] != "M000"] == []
    assert manager_of["M000"] == ""


@pytest.mark.parametrize("org_name", ["small", "default_org"])
def test_a_few_engineers_changed_manager_and_their_history_ends_at_todays(org_name, request):
    summary = request.getfixturevalue(org_name)
    engineers = {e["engineer_id"]: e for e in read(summary, "engineers")}
    history = defaultdict(list)
    for r in read(summary, "manager_changes"):
        history[r["engineer_id"]].append(r)
    assert 2 <= len(history) <= 3
    assert any(len(changes) > 1 for changes in history.values())
    for person, changes in history.items():
        changes.sort(key=lambda r: r["changed_on"])
        me = engineers[person]
        assert changes[-1]["to_manager_id"] == me["manager_id"]
        for before, after in pairwise(changes):
            assert before["to_manager_id"] == after["from_manager_id"]
        for r in changes:
            assert r["from_manager_id"] != r["to_manager_id"]
            assert {r["from_manager_id"], r["to_manager_id"]} <= set(summary.archetypes["manager"])
            after_end_month = cal.first_day(cal.parse_month(END) + 1)
            assert day(me["hire_date"]) < day(r["changed_on"]) < after_end_month
            assert not me["left_on"]
    # Evidence is recorded by the manager of the day it was observed.
    for ev in read(summary, "evidence"):
        if ev["engineer_id"] in history:
            changes = history[ev["engineer_id"]]
            held = [r["to_manager_id"] for r in changes if r["changed_on"] <= ev["observed_on"]]
            expected = held[-1] if held else changes[0]["from_manager_id"]
            assert ev["recorded_by"] == expected


def test_first_level_row_is_at_hire_and_levels_only_go_up(small):
    hired = {e["engineer_id"]: e["hire_date"] for e in read(small, "engineers")}
    rows = defaultdict(list)
    for r in read(small, "levels"):
        rows[r["engineer_id"]].append(r)
    for engineer, history in rows.items():
        assert history[0]["effective_on"] == hired[engineer]
        ranks = [FW.rank(r["level"]) for r in history]
        assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)


def test_solved_tickets_are_solved_after_creation_and_open_ones_have_no_solve_time(small):
    for t in read(small, "tickets"):
        if t["solved_at"]:
            assert ts(t["solved_at"]) >= ts(t["created_at"])
            assert t["status"] in {"solved", "closed"}
        else:
            assert t["status"] in {"new", "open", "pending", "hold"}
            assert t["sla_breached"] == "" and t["csat"] == ""
        assert ts(t["updated_at"]) >= ts(t["created_at"])


def test_as_of_month_is_end_month(small):
    newest = max(
        max(
            ts(t["created_at"]),
            ts(t["updated_at"]),
            ts(t["solved_at"]) if t["solved_at"] else dt.datetime.min,
        )
        for t in read(small, "tickets")
    )
    assert as_of_month(newest) == END
    assert small.end_month == END


def test_end_month_defaults_to_last_month(tmp_path):
    summary = generate_demo(tmp_path, engineers=3, months=12)
    assert summary.end_month == cal.label(cal.previous_month(dt.date.today()))


def test_leavers_get_no_tickets_after_leaving(small):
    left = {e["engineer_id"]: day(e["left_on"]) for e in read(small, "engineers") if e["left_on"]}
    assert set(small.archetypes["leaver"]) <= left.keys()
    for t in read(small, "tickets"):
        if t["assignee_id"] in left:
            assert ts(t["created_at"]).date() < left[t["assignee_id"]]
            assert t["solved_at"] and ts(t["solved_at"]).date() <= left[t["assignee_id"]]


def test_onboarding_engineers_were_hired_within_three_months_of_end_month(default_org):
    hired = {e["engineer_id"]: day(e["hire_date"]) for e in read(default_org, "engineers")}
    earliest = cal.first_day(cal.parse_month(END) - 2)
    for engineer in default_org.archetypes["onboarding"]:
        assert earliest <= hired[engineer] <= cal.first_day(cal.parse_month(END) + 1)


def test_default_org_has_every_story_and_enough_team_leads(default_org):
    for archetype in REQUIRED:
        assert len(default_org.archetypes.get(archetype, [])) >= 2, archetype
    assert any(e["onboarded_on"] for e in read(default_org, "engineers"))
    leads = [e for e in read(default_org, "engineers") if e["team_lead"] == "true"]
    assert len(leads) >= 3
    assert {e["region"] for e in read(default_org, "engineers")} == {"AMER", "EMEA", "APAC"}
    decisions = {d["decision"] for d in read(default_org, "decisions")}
    assert decisions == {"promotion", "in_band_raise", "deferred"}
    assert {ev["category"] for ev in read(default_org, "evidence")} == set(FW.categories)


def test_default_org_volume_and_open_times_are_realistic(default_org):
    per_month = engineer_months(default_org)
    leads = set(default_org.archetypes["team_lead"])
    full = [
        v["solved"]
        for (e, m), v in per_month.items()
        if e in default_org.archetypes["steady"] and m < END and v["solved"] >= 5
    ]
    lead = [v["solved"] for (e, m), v in per_month.items() if e in leads and m < END]
    assert 25 <= statistics.median(full) <= 35
    assert 10 <= statistics.median(lead) <= 20
    medians = [v["median_hours"] for v in per_month.values() if v["solved"] >= 10]
    assert 8 <= statistics.median(medians) <= 20
    weekday = [ts(t["created_at"]).weekday() for t in read(default_org, "tickets")]
    assert sum(d < 5 for d in weekday) / len(weekday) > 0.85


# -- the readiness stories, checked against the rules ---------------------------------------


@pytest.mark.parametrize("org_name", ["small", "default_org"])
def test_flags_at_end_month_are_exactly_the_designed_archetypes(org_name, request):
    summary = request.getfixturevalue(org_name)
    flagged = readiness_flags(summary)
    for flag in FLAGS:
        designed = set(summary.archetypes.get(flag, []))
        assert designed, flag
        got = {e for e, flags in flagged.items() if flag in flags}
        assert got == designed, flag


def test_breach_counts_stay_strictly_inside_the_planned_bounds():
    import numpy as np

    n = np.array([30, 50, 25, 12, 30])
    floor = np.array([0.94, 0.94, 0.90, 0.98, 0.84])
    ceiling = np.array([2.0, 2.0, 2.0, 2.0, 0.92])
    k = allowed_breaches(n, floor, ceiling, np.array([9, 9, 9, 9, 0]))
    adherence = (n - k) / n
    assert (adherence[:4] > floor[:4]).all()
    assert 0.84 < adherence[4] < 0.92
    assert list(allowed_breaches(n, floor, ceiling, np.zeros(5))) == [0, 0, 0, 0, 3]


def test_too_few_months_is_refused_with_the_fix(tmp_path):
    with pytest.raises(ValueError, match="at least 12"):
        generate_demo(tmp_path, engineers=5, months=6, end_month=END)
    with pytest.raises(ValueError, match="YYYY-MM"):
        generate_demo(tmp_path, engineers=5, months=12, end_month="June 2025")


# -- an independent reading of issue 3's rules -----------------------------------------------


def as_of_month(newest: dt.datetime) -> str:
    month = cal.month_of(newest.date())
    # The latest month that ended on or before the newest timestamp.
    if newest < dt.datetime.combine(cal.first_day(month + 1), dt.time()):
        month -= 1
    return cal.label(month)


def engineer_months(summary) -> dict[tuple[str, str], dict]:
    hours = defaultdict(list)
    sla = defaultdict(lambda: [0, 0])
    for t in read(summary, "tickets"):
        if not (t["assignee_id"] and t["solved_at"]):
            continue
        key = (t["assignee_id"], t["solved_at"][:7])
        hours[key].append((ts(t["solved_at"]) - ts(t["created_at"])).total_seconds() / 3600)
        if t["sla_breached"]:
            sla[key][t["sla_breached"] == "true"] += 1
    return {
        key: {
            "solved": len(h),
            "median_hours": statistics.median(h),
            "met": sla[key][0],
            "breached": sla[key][1],
        }
        for key, h in hours.items()
    }


def readiness_flags(summary, trace: dict | None = None) -> dict[str, set[str]]:
    """Flags at end_month per engineer; `trace` collects (month, per-category levels)."""
    rules = FW.rules
    need = int(rules["min_sample"])
    cover = int(rules["evidence_coverage_months"])
    end = cal.parse_month(summary.end_month)
    people = {e["engineer_id"]: e for e in read(summary, "engineers")}
    levels = defaultdict(list)
    for r in read(summary, "levels"):
        levels[r["engineer_id"]].append((day(r["effective_on"]), FW.rank(r["level"])))
    metrics = engineer_months(summary)
    evidence = defaultdict(list)
    for ev in read(summary, "evidence"):
        evidence[ev["engineer_id"]].append(
            (cal.month_of(day(ev["observed_on"])), ev["category"], FW.rank(ev["level"]), ev["kind"])
        )
    leave = defaultdict(list)
    for r in read(summary, "leave"):
        leave[r["engineer_id"]].append((day(r["starts_on"]), day(r["ends_on"])))
    changes = defaultdict(list)
    for d in read(summary, "decisions"):
        if d["decision"] in ("promotion", "in_band_raise"):
            changes[d["engineer_id"]].append(cal.month_of(day(d["decided_on"])))

    def onboarded(e) -> dt.date:
        p = people[e]
        if p["onboarded_on"]:
            return day(p["onboarded_on"])
        return cal.add_months(day(p["hire_date"]), int(rules["onboarding_months"]))

    team_median = {}
    by_team = defaultdict(list)
    for e, p in people.items():
        if e in levels and p["team_lead"] == "false":
            by_team[p["team"]].append(e)
    for team, members in by_team.items():
        for m in range(end - 80, end + 1):
            label, first = cal.label(m), cal.first_day(m)
            counts = [
                metrics.get((e, label), {"solved": 0})["solved"]
                for e in members
                if onboarded(e) <= first
                and day(people[e]["hire_date"]) <= first
                and not (people[e]["left_on"] and day(people[e]["left_on"]) <= first)
            ]
            team_median[(team, label)] = statistics.median(counts) if counts else 0

    def passes_bars(e, m, level, category, lead) -> tuple[bool, bool]:
        """(no bar fails on a sufficient sample, every bar passes on a sufficient sample)."""
        v = metrics.get((e, cal.label(m)), {"solved": 0, "met": 0, "breached": 0})
        no_fail, all_pass = True, True
        for bar in FW.bars_for(FW.levels[level], category):
            if bar.metric == "sla_adherence":
                sample = v["met"] + v["breached"]
                value = v["met"] / sample if sample else None
            elif bar.metric == "median_open_hours":
                sample, value = v["solved"], v.get("median_hours")
            else:
                median = team_median.get((people[e]["team"], cal.label(m)), 0)
                sample, value = v["solved"], (v["solved"] / median if median else None)
            threshold = bar.value * (
                rules["team_lead_volume_factor"] if lead and bar.metric == "volume_ratio" else 1
            )
            ok = (
                value is not None
                and sample >= need
                and (value >= threshold if bar.op == ">=" else value <= threshold)
            )
            if value is not None and sample >= need and not ok:
                no_fail = False
            all_pass = all_pass and ok
        return no_fail, all_pass

    def demonstrated(e, m, current, category) -> int:
        lead = people[e]["team_lead"] == "true"
        covering = [
            (lv, kind)
            for (om, c, lv, kind) in evidence[e]
            if c == category and om <= m <= om + cover
        ]
        shown = -1
        for level in range(len(FW.levels)):
            concern = any(kind == "concern" and lv <= level for lv, kind in covering)
            no_fail, all_pass = passes_bars(e, m, level, category, lead)
            if level <= current:
                ok = no_fail and not concern
            else:
                example = any(kind == "example" and lv >= level for lv, kind in covering)
                ok = all_pass and example and not concern
            if not ok:
                break
            shown = level
        return shown

    def mostly_leave(e, m) -> bool:
        first, last = cal.first_day(m), cal.first_day(m + 1) - dt.timedelta(days=1)
        days = sum(max(0, (min(b, last) - max(a, first)).days + 1) for a, b in leave[e])
        return days > cal.days_in(m) / 2

    flags = {}
    for e in levels:
        effective, current = levels[e][-1]
        left = day(people[e]["left_on"]) if people[e]["left_on"] else None
        if left and left <= cal.first_day(end + 1):
            continue
        start = max(
            cal.month_of(effective) + (effective.day > 1),
            cal.month_of(onboarded(e)) + (onboarded(e).day > 1),
        )
        months = [m for m in range(start, end + 1) if not mostly_leave(e, m)]
        if not months:
            continue
        rows = []
        for m in months:
            per_cat = [demonstrated(e, m, current, c) for c in FW.categories]
            if trace is not None:
                trace.setdefault(e, []).append((cal.label(m), per_cat))
            rows.append((m, min(per_cat), sum(x > current for x in per_cat)))
        at_level = at_next = 0
        for _, overall, _ in rows:
            at_level = at_level + 1 if overall >= current else 0
            at_next = at_next + 1 if overall >= current + 1 else 0
        top = current == len(FW.levels) - 1
        got = set()
        ready = (
            not top
            and at_level >= rules["promotion_months_at_level"]
            and at_next >= rules["promotion_months_at_next"]
        )
        if ready:
            got.add("promotion_ready")
        to_ready = max(
            rules["promotion_months_at_level"] - at_level,
            rules["promotion_months_at_next"] - at_next,
        )
        if not ready and not top and at_next >= 1 and to_ready <= rules["near_window_months"]:
            got.add("near_window")
        lookback = rows[-int(rules["in_band_lookback_months"]) :]
        recent_change = any(end - m < rules["in_band_cooldown_months"] for m in changes[e]) or any(
            end - cal.month_of(d) < rules["in_band_cooldown_months"] for d, _ in levels[e][1:]
        )
        if (
            not ready
            and at_level >= rules["in_band_min_months_at_level"]
            and len(lookback) == rules["in_band_lookback_months"]
            and all(above >= rules["in_band_min_categories_above"] for *_, above in lookback)
            and not recent_change
        ):
            got.add("in_band")
        risk = rows[-int(rules["at_risk_months"]) :]
        if len(risk) == rules["at_risk_months"] and all(o < current for _, o, _ in risk):
            got.add("at_risk")
        flags[e] = got
    return flags
