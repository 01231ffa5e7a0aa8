"""A small warehouse for the dashboard tests, written table by table from docs/warehouse.md.

Eight fake people (Faker, seeded) in two teams over twelve months, with one of each flag the
pages show: promotion-ready, near a window, in-band candidate, at risk, plus a leaver, a
newcomer still onboarding and a month with too few tickets to judge.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
from faker import Faker

from pipelines.framework import load_framework
from pipelines.settings import RULE_SETTINGS

AS_OF = date(2026, 10, 1)
MONTHS = [date(2025 + (m - 1) // 12, (m - 1) % 12 + 1, 1) for m in range(11, 23)]
BUILD_ID = "fixture-build-1"
# A month of E03's with fewer SLA-bearing tickets than min_sample: must show as "too few".
THIN_MONTH = date(2026, 6, 1)

# id, team, region, manager, hired, team_lead, left_on, level history
PEOPLE = [
    ("E01", "Tier 2", "EMEA", None, date(2021, 3, 1), True, None, [("IC3", date(2021, 3, 1)),
                                                                  ("IC4", date(2024, 2, 1))]),
    ("E02", "Tier 2", "EMEA", "E01", date(2023, 1, 9), False, None, [("IC1", date(2023, 1, 9)),
                                                                    ("IC2", date(2024, 7, 1))]),
    ("E03", "Tier 2", "AMER", "E01", date(2024, 4, 1), False, None, [("IC2", date(2024, 4, 1))]),
    ("E04", "Tier 2", "AMER", "E01", date(2022, 6, 1), False, None, [("IC2", date(2022, 6, 1)),
                                                                    ("IC3", date(2024, 9, 1))]),
    ("E05", "Platform", "APAC", None, date(2020, 9, 1), True, None, [("IC4", date(2020, 9, 1))]),
    ("E06", "Platform", "APAC", "E05", date(2023, 8, 1), False, None, [("IC2", date(2023, 8, 1))]),
    ("E07", "Platform", "EMEA", "E05", date(2022, 2, 1), False, date(2026, 4, 15),
     [("IC2", date(2022, 2, 1))]),
    ("E08", "Platform", "AMER", "E05", date(2026, 8, 3), False, None, [("IC1", date(2026, 8, 3))]),
]
READY, NEAR, IN_BAND, AT_RISK = "E02", "E03", "E04", "E06"


def fake_names(seed: int = 20261) -> dict[str, str]:
    faker = Faker("en_US")
    faker.seed_instance(seed)
    return {pid: faker.unique.name() for pid, *_ in PEOPLE}


def build_fixture_warehouse(path: Path, seed: int = 7) -> dict[str, str]:
    """Write the warehouse to `path`; returns engineer id -> name so tests can look for names."""
    names = fake_names()
    fw = load_framework()
    rng = random.Random(seed)
    con = duckdb.connect(str(path))
    try:
        _engineers(con, names)
        _levels(con)
        months = _engineer_months(con, rng)
        _evidence(con, names)
        _decisions(con)
        _readiness(con, fw, months)
        _framework(con, fw)
        _builds(con)
        con.execute("create table tickets (ticket_id varchar, assignee_id varchar, "
                    "created_at timestamptz, solved_at timestamptz, status varchar, "
                    "priority varchar, sla_breached boolean, csat varchar, reopens integer, "
                    "updated_at timestamptz)")
        con.execute("create table leave (engineer_id varchar, starts_on date, ends_on date)")
        con.execute("create table monthly_metrics (engineer_id varchar, month date, "
                    "tickets_solved integer, sla_met integer, sla_breached integer, "
                    "median_open_hours double, csat_good integer, csat_bad integer)")
    finally:
        con.close()
    return names


def _engineers(con, names):
    con.execute("create table engineers (engineer_id varchar, name varchar, email varchar, "
                "team varchar, region varchar, manager_id varchar, hire_date date, "
                "team_lead boolean, left_on date, onboarded_on date, onboarding_ends_on date)")
    for pid, team, region, manager, hired, lead, left_on, _ in PEOPLE:
        con.execute(
            "insert into engineers values (?, ?, ?, ?, ?, ?, ?, ?, ?, null, ?)",
            [pid, names[pid], f"{pid.lower()}@example.com", team, region, manager, hired, lead,
             left_on, hired + timedelta(days=91)],
        )


def _levels(con):
    con.execute("create table levels (engineer_id varchar, level varchar, effective_on date)")
    for pid, *_, history in PEOPLE:
        for level, since in history:
            con.execute("insert into levels values (?, ?, ?)", [pid, level, since])


def _present(person, month: date) -> bool:
    _, _, _, _, hired, _, left_on, _ = person
    month_end = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return hired <= month_end and (left_on is None or left_on > month)


def _engineer_months(con, rng: random.Random) -> list[tuple]:
    con.execute("create table engineer_months (engineer_id varchar, month date, team varchar, "
                "tickets_solved integer, sla_met integer, sla_breached integer, "
                "sla_sample integer, sla_adherence double, median_open_hours double, "
                "csat_good integer, csat_bad integer, team_median_solved double, "
                "volume_ratio double, metrics_source varchar)")
    rows = []
    for person in PEOPLE:
        pid, team = person[0], person[1]
        base_sla = {"E02": 0.965, "E03": 0.95, "E04": 0.975, "E06": 0.91}.get(pid, 0.93)
        for month in MONTHS:
            if not _present(person, month):
                continue
            solved = 6 if (pid == NEAR and month == THIN_MONTH) else rng.randint(28, 60)
            breached = round(solved * (1 - min(0.999, base_sla + rng.uniform(-0.02, 0.02))))
            met = solved - breached
            open_hours = round(rng.uniform(9, 26) if pid != AT_RISK else rng.uniform(22, 30), 1)
            rows.append([pid, month, team, solved, met, breached, solved, met / solved,
                         open_hours, rng.randint(3, 9), rng.randint(0, 2), 44.0, solved / 44.0,
                         "tickets"])
    con.executemany("insert into engineer_months values "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return rows


def _evidence(con, names):
    con.execute("create table evidence (evidence_id varchar, engineer_id varchar, "
                "observed_on date, category varchar, level varchar, kind varchar, "
                "summary varchar, link varchar, source varchar, recorded_by varchar)")
    items = [
        ("EV1", "E02", date(2026, 8, 12), "Teamwork", "IC3", "example",
         f"Onboarded two newcomers; {names['E08']} said the pairing sessions helped"),
        ("EV2", "E02", date(2026, 9, 3), "Execution", "IC3", "example",
         "Carried a customer escalation to the product team"),
        ("EV3", "E03", date(2026, 7, 20), "Scope", "IC3", "example",
         "Reviewed tickets for two engineers every week"),
        ("EV4", "E06", date(2026, 9, 14), "Execution", "IC2", "concern",
         "Missed two follow-ups on an urgent ticket"),
        ("EV5", "E04", date(2026, 5, 2), "Impact", "IC4", "example",
         "Led the macro clean-up; first-reply time fell by a third"),
        ("EV6", "E01", date(2025, 12, 1), "Teamwork", "IC4", "example",
         "Drove the new on-call rota"),
    ]
    for item in items:
        con.execute("insert into evidence values (?, ?, ?, ?, ?, ?, ?, ?, 'review', ?)",
                    [*item, f"https://example.com/ev/{item[0]}", names["E01"]])


def _decisions(con):
    con.execute("create table decisions (engineer_id varchar, decided_on date, "
                "decision varchar, note varchar)")
    con.execute("insert into decisions values ('E06', date '2025-01-15', 'in_band_raise', "
                "'Annual review')")


def _level_at(person, month: date) -> str:
    history = person[7]
    return [lv for lv, since in history if since <= month.replace(day=28)][-1]


def _readiness(con, fw, months):
    con.execute(
        "create table category_attainment (engineer_id varchar, month date, category varchar, "
        "current_level varchar, demonstrated_level varchar, sla_adherence double, "
        "sla_sample integer, median_open_hours double, volume_ratio double, "
        "evidence_ids varchar[])"
    )
    con.execute(
        "create table readiness (engineer_id varchar, month date, level varchar, "
        "overall_level varchar, months_at_level integer, months_at_next integer, "
        "promotion_ready boolean, near_window boolean, projected_window_month date, "
        "in_band_candidate boolean, at_risk boolean, reason varchar)"
    )
    by_id = {p[0]: p for p in PEOPLE}
    for pid, month, *_, sla_sample, sla, hours, _g, _b, _med, volume, _src in months:
        person = by_id[pid]
        if month < person[4].replace(day=1) + timedelta(days=92):
            continue  # still onboarding: not an eligible month
        level = _level_at(person, month)
        nxt = fw.next_level(level)
        shown = {c: level for c in fw.categories}
        if pid in (READY, NEAR) and nxt:
            shown = dict.fromkeys(fw.categories, nxt)
            if pid == NEAR:
                shown["Teamwork"] = level
        if pid == IN_BAND and nxt:
            shown.update(Impact=nxt, Execution=nxt)
        if pid == AT_RISK and month >= date(2026, 9, 1):
            shown["Execution"] = fw.levels[fw.rank(level) - 1]
        for cat, demo in shown.items():
            con.execute(
                "insert into category_attainment values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [pid, month, cat, level, demo, sla, sla_sample, hours, volume, []],
            )
        overall = min(shown.values(), key=fw.rank)
        index = MONTHS.index(month) + 1
        ready = pid == READY and month == AS_OF
        near = pid == NEAR and month == AS_OF
        at_risk = pid == AT_RISK and month >= date(2026, 10, 1)
        in_band = pid == IN_BAND and month == AS_OF
        reason = _reason(pid, level, nxt, index, ready, near, in_band, at_risk)
        projected = date(2026, 12, 1) if near else None
        con.execute(
            "insert into readiness values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [pid, month, level, overall, index + 2, 3 if ready else (2 if near else 0), ready,
             near, projected, in_band, at_risk, reason],
        )


def _reason(pid, level, nxt, index, ready, near, in_band, at_risk) -> str:
    if ready:
        return f"{index + 2} whole months at {level}, 12 consistent; {nxt} shown for 3 of 3 months."
    if near:
        return (f"{index + 2} whole months at {level}; {nxt} shown for 2 of 3 months — "
                "Teamwork evidence at IC3 ends in October.")
    if in_band:
        return f"Impact and Execution above {level} in each of the last 6 months."
    if at_risk:
        return f"Below {level} for 2 months running — Execution concern from September."
    return f"At {level} for {index + 2} months."


def _framework(con, fw):
    con.execute("create table framework_levels (rank integer, level varchar)")
    con.executemany("insert into framework_levels values (?, ?)",
                    [[i, lv] for i, lv in enumerate(fw.levels)])
    con.execute("create table framework_categories (rank integer, category varchar)")
    con.executemany("insert into framework_categories values (?, ?)",
                    [[i, c] for i, c in enumerate(fw.categories)])
    con.execute("create table framework_bars (level varchar, category varchar, metric varchar, "
                "op varchar, value double, label varchar)")
    con.executemany("insert into framework_bars values (?, ?, ?, ?, ?, ?)",
                    [[b.level, b.category, b.metric, b.op, b.value, b.label] for b in fw.bars])
    con.execute("create table framework_expectations (level varchar, category varchar, "
                "label varchar)")
    con.executemany(
        "insert into framework_expectations values (?, ?, ?)",
        [[lv, c, label] for lv, per in fw.expectations.items() for c, labels in per.items()
         for label in labels],
    )
    con.execute("create table framework_settings (name varchar, value double, "
                "default_value double, help varchar)")
    con.executemany("insert into framework_settings values (?, ?, ?, ?)",
                    [[s.name, fw.rule(s.name), s.default, s.help] for s in RULE_SETTINGS])


def _builds(con):
    con.execute("create table builds (build_id varchar, built_at timestamptz, "
                "source_dir varchar, framework_version varchar, framework_digest varchar, "
                "as_of_month date, duration_s double, rows_loaded integer, "
                "rows_rejected integer, status varchar)")
    con.execute("insert into builds values (?, ?, 'data/demo', '2026.11', 'abc123', ?, 1.8, "
                "412, 2, 'ok')", [BUILD_ID, datetime(2026, 11, 2, 7, 30, tzinfo=UTC),
                                  AS_OF])
    con.execute("create table build_files (build_id varchar, table_name varchar, file varchar, "
                "sha256 varchar, bytes bigint, rows_read integer, rows_loaded integer, "
                "rows_rejected integer, extra_columns varchar[])")
    con.execute("insert into build_files values (?, 'tickets', 'tickets.csv', 'ff00', 52133, "
                "402, 400, 2, [])", [BUILD_ID])
    con.execute("create table rejected_rows (build_id varchar, table_name varchar, "
                "file varchar, line integer, \"column\" varchar, value varchar, reason varchar)")
    con.execute("insert into rejected_rows values (?, 'tickets', 'tickets.csv', 17, "
                "'solved_at', '2026-13-01', 'solved_at is not a date; write YYYY-MM-DD "
                "hh:mm:ss')", [BUILD_ID])
