"""One engineer's case as plain values: what the packet prints, read as the Engineer page reads it.

Every figure comes from a `rungs_ui.queries` function on the caller's scoped Warehouse handle,
with the journal's entries laid over the build's as `rungs_ui.journal_view` lays them for the
page. The result is JSON-able text (the template prints each value as text, never as markup)
plus the page's Altair charts, which `render` turns into SVG.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import altair as alt
import pandas as pd

from pipelines.journal import entries
from pipelines.journal.store import JournalError, open_journal
from rungs_ui import charts, formats, journal_view, queries
from rungs_ui.identity import of_month
from rungs_ui.packet.appendix import Appendix, check_allowed, engineer_appendix
from rungs_ui.queries import Filters
from rungs_ui.warehouse import Warehouse

# As the Engineer page: two years of each metric; the attainment grid keeps a year, which is
# what fits across an A4 page as a table.
CHART_MONTHS = 24
GRID_MONTHS = 12
FLAG_WORDS = {
    "promotion_ready": "Promotion-ready",
    "near_window": "Near a promotion window",
    "in_band_candidate": "In-band raise candidate",
    "at_risk": "At risk",
}
# Warehouse decisions (decisions.csv) as people say them, as on the page.
DECISION_WORDS = {
    "in_band_raise": "In-band raise",
    "promotion": "Promotion",
    "deferred": "Deferred",
}
# Above and below are told apart by a mark as well as a shade: the packet is printed in grey.
STATUS_MARKS = {"above": " ▲", "below": " ▼"}
CHART_TITLES = {
    "sla_adherence": "SLA adherence against the level bars",
    "median_open_hours": "Median open time against the level bars",
    "volume_ratio": "Volume against the team median",
}


class NotInView(LookupError):
    """The person is not on the roster the viewer sees at that month."""


@dataclass
class EngineerCase:
    """What one packet prints: `document` for the template, `charts` (metric -> chart, or None
    with `notes[metric]` saying why there is none)."""

    document: dict[str, Any]
    charts: dict[str, alt.TopLevelMixin | None] = field(default_factory=dict)


def engineer_case(
    wh: Warehouse,
    engineer_id: str,
    month: date | None = None,
    appendix: Appendix | None = None,
) -> EngineerCase:
    """The case of `engineer_id` as of `month` (default: the build's as-of month), in the view
    of `wh.scope`; raises queries.OutOfScope or NotInView when the viewer may not see them.
    With `appendix`, also the what-if and/or fairness appendix (admins and leadership only:
    appendix.AppendixRefused otherwise)."""
    scope = queries.scope_of(wh)
    if not scope.allows(engineer_id):
        raise queries.OutOfScope(f"{engineer_id} is not among the people {scope.viewer} may see")
    check_allowed(wh, appendix)
    month = month or queries.build_as_of(wh)
    fw = queries.framework(wh)
    people = queries.roster(wh, Filters(month=month))
    row = people.loc[people["engineer_id"] == engineer_id]
    if row.empty:
        raise NotInView(
            f"{engineer_id} is not on the roster in {formats.month(month)}. Fix: pick a month "
            "they were employed in (--as-of YYYY-MM) or check the id"
        )
    person = row.iloc[0]
    level = person["level"]
    next_level = fw.next_level(level)
    emphasise = tuple(lv for lv in (level, next_level) if lv)
    case = EngineerCase(
        document={
            "person": _person(person, fw),
            "standing": _standing(wh, fw, engineer_id, month, level, next_level),
            "grid": _grid(wh, fw, engineer_id, month),
            "charts": [],
            "evidence": _evidence(wh, person, month),
            "decisions": _decisions(wh, engineer_id, month),
            "footer": _footer(wh, month),
        }
    )
    for metric, view in charts.METRIC_VIEWS.items():
        chart, note = _metric_chart(wh, fw, engineer_id, month, view, emphasise)
        case.charts[metric] = chart
        case.document["charts"].append(
            {"metric": metric, "title": CHART_TITLES[metric], "note": note}
        )
    if appendix:
        who = of_month(wh, month, anonymise=False)
        case.document["appendix"] = engineer_appendix(wh, appendix, person, month, who)
    return case


def _text(value: object) -> str:
    """A value as the packet prints it: text, and a dash for a gap."""
    return "—" if formats.missing(value) else str(value)


def _person(person: pd.Series, fw: queries.FrameworkView) -> dict[str, str]:
    return {
        "id": _text(person["engineer_id"]),
        "name": _text(person["name"]),
        "level": _text(person["level"]),
        "level_since": formats.day(person["level_since"]),
        "team": _text(person["team"]),
        "region": _text(person["region"]),
        "manager": _text(person["manager_name"]),
        "team_lead": "yes" if bool(person["team_lead"]) else "no",
        "next_level": _text(fw.next_level(person["level"])),
    }


def _standing(
    wh: Warehouse,
    fw: queries.FrameworkView,
    engineer_id: str,
    month: date,
    level: str,
    next_level: str | None,
) -> dict[str, Any]:
    """The flags with their reason and the counters the promotion rule counts (the page's
    header facts), or why the month is not judged."""
    readiness = queries.engineer_readiness(wh, engineer_id, month)
    now = readiness.loc[pd.to_datetime(readiness["month"]) == pd.Timestamp(month)]
    judged = queries.engineer_months_judged(wh, engineer_id, month, 1)
    this_month = judged.loc[pd.to_datetime(judged["month"]) == pd.Timestamp(month)]
    need_level = int(fw.setting("promotion_months_at_level"))
    need_next = int(fw.setting("promotion_months_at_next"))
    counters = [
        {
            "label": "Whole months at level",
            "value": _text(
                None if this_month.empty else int(this_month.iloc[0]["whole_months_at_level"])
            ),
            "of": "",
        }
    ]
    if now.empty:
        why = "no data" if this_month.empty else _text(this_month.iloc[0]["not_judged_because"])
        return {
            "flags": [],
            "reason": f"{formats.month(month)} is not judged ({formats.not_judged(why)}), so it "
            "raises no flag.",
            "counters": [
                *counters,
                {"label": "Consistent months at level", "value": "—", "of": str(need_level)},
                {"label": "Months showing the next level", "value": "—", "of": str(need_next)},
            ],
        }
    row = now.iloc[0]
    at_next = (
        {"label": "Months showing the next level", "value": "top level", "of": ""}
        if next_level is None
        else {
            "label": f"Months showing {next_level}",
            "value": str(int(row["months_at_next"])),
            "of": str(need_next),
        }
    )
    return {
        "flags": [word for flag, word in FLAG_WORDS.items() if bool(row.get(flag, False))],
        "reason": _text(row["reason"]),
        "counters": [
            *counters,
            {
                "label": f"Consistent months at {level}",
                "value": str(int(row["months_at_level"])),
                "of": str(need_level),
            },
            at_next,
        ],
    }


def _grid(
    wh: Warehouse, fw: queries.FrameworkView, engineer_id: str, month: date
) -> dict[str, Any]:
    """The level shown per category (rows) and month (columns); a month not judged carries the
    heatmap's short tag for why."""
    cells = queries.engineer_attainment(wh, engineer_id, month, GRID_MONTHS)
    if cells.empty:
        return {"months": [], "rows": []}
    cells = cells.assign(month=pd.to_datetime(cells["month"]))
    months = sorted(cells["month"].unique())
    rows = []
    for category in fw.categories:
        mine = cells.loc[cells["category"] == category].set_index("month")
        shown = []
        for m in months:
            if m not in mine.index:
                shown.append("")
                continue
            cell = mine.loc[m]
            if formats.missing(cell["demonstrated_level"]):
                shown.append(formats.not_judged_label(cell["not_judged_because"]) or "n/j")
            else:
                mark = STATUS_MARKS.get(str(cell["status"]), "")
                shown.append(f"{cell['demonstrated_level']}{mark}")
        rows.append({"category": category, "cells": shown})
    return {"months": [pd.Timestamp(m).strftime("%b %y") for m in months], "rows": rows}


def _metric_chart(
    wh: Warehouse,
    fw: queries.FrameworkView,
    engineer_id: str,
    month: date,
    view: charts.MetricView,
    emphasise: tuple[str, ...],
) -> tuple[alt.TopLevelMixin | None, str]:
    """The page's chart of one metric against the bars, or None and the page's caption."""
    checks = queries.engineer_bar_checks(wh, engineer_id, view.metric, month, CHART_MONTHS)
    if checks.empty:
        return None, "The framework sets no bar on this metric."
    if not checks["judged"].any():
        reasons = ", ".join(dict.fromkeys(checks["not_judged_because"].dropna()))
        return None, f"No month judged yet ({reasons})."
    if checks["observed"].isna().all():
        return None, (
            "Not shown in this view: the team's median is over too few people, and this "
            "figure would reveal it. The flags and reason take it into account."
        )
    spec = charts.MetricChart(view, fw.levels, emphasise)
    note = f"Bold rules: {' and '.join(emphasise)}. Grey columns: months not judged."
    return charts.metric_against_bars(checks, spec), note


def _evidence(wh: Warehouse, person: pd.Series, month: date) -> dict[str, Any]:
    """The evidence up to the month, newest first: the build's items with what was recorded in
    the app since laid over them, as on the page."""
    newest = queries.build_as_of(wh)
    note = ""
    try:
        app = entries.evidence(open_journal(), include_removed=True)
    except JournalError as exc:
        app, note = None, f"Evidence recorded in the app is left out: {exc}"
    recorded = journal_view.about(wh, app, person.to_frame().T)
    items = journal_view.merge(
        queries.engineer_evidence(wh, person["engineer_id"], month),
        journal_view.up_to(recorded, month, newest),
    )
    rows = [
        {
            "id": _text(item["evidence_id"]),
            "date": formats.day(item["observed_on"]),
            "level": _text(item["level"]),
            "category": _text(item["category"]),
            "kind": _text(item["kind"]),
            "summary": _text(item["summary"]),
            "link": "" if formats.missing(item["link"]) else str(item["link"]),
        }
        for _, item in items.iterrows()
    ]
    return {"items": rows, "note": note}


def _decisions(wh: Warehouse, engineer_id: str, month: date) -> dict[str, Any]:
    """Decisions from the build's decisions file, then the outcomes calibration recorded in
    the app (proposals stay with the people who discuss them)."""
    built = queries.engineer_decisions(wh, engineer_id, month)
    rows = [
        {
            "date": formats.day(d["decided_on"]),
            "what": DECISION_WORDS.get(d["decision"], _text(d["decision"])),
            "note": "" if formats.missing(d["note"]) else str(d["note"]),
            "source": f"{_text(d['origin'])}, {_text(d['recorded_by'])}",
        }
        for _, d in built.iterrows()
    ]
    note = ""
    try:
        current = entries.decisions(open_journal())
    except JournalError as exc:
        current, note = None, f"Decisions recorded in the app are left out: {exc}"
    if current is not None and not current.empty:
        mine = current.loc[
            (current["engineer_id"] == engineer_id) & (current["stage"] == "calibrated")
        ]
        mine = queries.scrubbed_of_outsiders(wh, mine, "rationale", "recorded_by")
        for _, d in mine.sort_values("decided_on", ascending=False).iterrows():
            what = f"Calibrated ({_text(d['cycle'])}): "
            what += entries.OUTCOME_WORDS.get(d["outcome"], _text(d["outcome"]))
            if d["outcome"] == "promotion" and isinstance(d["to_level"], str):
                what += f" to {d['to_level']} from {formats.day(d['effective_on'])}"
            rows.append(
                {
                    "date": formats.day(d["decided_on"]),
                    "what": what,
                    "note": "" if formats.missing(d["rationale"]) else str(d["rationale"]),
                    "source": f"app, {_text(d['recorded_by'])}",
                }
            )
    return {"items": rows, "note": note}


def _footer(wh: Warehouse, month: date) -> dict[str, str]:
    build = queries.latest_build(wh)
    months = queries.as_of_months(wh)
    span = f"{formats.month(min(months))} – {formats.month(max(months))}" if months else "—"
    return {
        "framework": _text(build.get("framework_version")),
        "build": _text(wh.build_id),
        "span": span,
        "as_of": formats.month(month),
    }
