"""The calibration pre-read: one level's people as the Calibration page shows them, on paper.

A summary page (the matrix: flags, counters and the level shown per category at the as-of
month) and then one page per person (standing, flags and reason, counters, the attainment
grid), in the page's order: the flagged first, then by how each person is shown. Each
person's page is their engineer case (rungs_ui.packet.case) without charts, evidence and
decisions, which would not fit on one page. With `anonymise`, people appear as the pages show
them with Anonymise on (rungs_ui.identity.Identity): letters for names and managers, no ids,
months for days, and reasons scrubbed of names, ids and days.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import typst

from rungs_ui import formats, queries
from rungs_ui.identity import Identity, of_month
from rungs_ui.packet.appendix import Appendix, check_allowed, level_appendix
from rungs_ui.packet.case import FLAG_WORDS, STATUS_MARKS, engineer_case
from rungs_ui.packet.render import DEJAVU
from rungs_ui.queries import Filters
from rungs_ui.warehouse import Warehouse

TEMPLATE = Path(__file__).resolve().parent / "pre_read.typ"
# The matrix's flag column has room for a word or two per flag (as the page's panel titles).
FLAG_SHORT = {
    "promotion_ready": "ready",
    "near_window": "near",
    "in_band_candidate": "in-band",
    "at_risk": "at risk",
}


class NobodyAtLevel(LookupError):
    """No one in view holds the level with a judged month, so there is nothing to pre-read."""


def pre_read_packet(
    wh: Warehouse,
    level: str,
    month: date | None = None,
    anonymise: bool = False,
    appendix: Appendix | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """The pre-read PDF of `level` as of `month` (default the build's), in the view of
    `wh.scope`, with the what-if and/or fairness appendix when `appendix` asks for them.
    `progress(done, total)` hears of each person's page as it is gathered."""
    document = pre_read_document(wh, level, month, anonymise, appendix, progress)
    return _compiler().compile(
        format="pdf", sys_inputs={"pre-read": json.dumps(document, ensure_ascii=False)}
    )


def pre_read_document(
    wh: Warehouse,
    level: str,
    month: date | None = None,
    anonymise: bool = False,
    appendix: Appendix | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """What the pre-read prints, as JSON-able text: `summary` (the matrix) and `people` (one
    case per page), in the Calibration page's order; `appendix` when asked for."""
    check_allowed(wh, appendix)
    month = month or queries.build_as_of(wh)
    fw = queries.framework(wh)
    if level not in fw.levels:
        raise NobodyAtLevel(
            f"{level} is not a level of the framework. Fix: use one of {', '.join(fw.levels)}"
        )
    who = of_month(wh, month, anonymise)
    cohort = queries.readiness_at(wh, replace(Filters(month=month), levels=(level,)))
    if cohort.empty:
        raise NobodyAtLevel(
            f"Nobody in view held {level} in {formats.month(month)} with an eligible month. "
            "Fix: pick another level or month (--as-of YYYY-MM)"
        )
    cohort = in_page_order(cohort, who)
    people = []
    for _, row in cohort.iterrows():
        people.append(_person_page(wh, row, month, who))
        if progress:
            progress(len(people), len(cohort))
    footer = dict(people[0]["footer"])
    document = {
        "level": level,
        "next_level": fw.next_level(level) or "",
        "anonymised": anonymise,
        "summary": _summary(wh, fw, cohort, month, level, who),
        "people": people,
        "footer": footer,
    }
    if appendix:
        document["appendix"] = level_appendix(wh, appendix, level, month, who)
    return document


def in_page_order(cohort: pd.DataFrame, who: Identity) -> pd.DataFrame:
    """The Calibration page's one order: the flagged first, then by how a person is shown."""
    label = cohort["engineer_id"].map(who.person)
    flagged = cohort[list(FLAG_WORDS)].fillna(False).astype(bool).any(axis=1)
    order = pd.DataFrame({"_unflagged": ~flagged, "_label": label}).sort_values(
        ["_unflagged", "_label"]
    )
    return cohort.loc[order.index].assign(label=label.loc[order.index])


def _flags(row: pd.Series, words: dict[str, str]) -> list[str]:
    return [word for flag, word in words.items() if bool(row.get(flag, False))]


def _summary(
    wh: Warehouse,
    fw: queries.FrameworkView,
    cohort: pd.DataFrame,
    month: date,
    level: str,
    who: Identity,
) -> dict[str, Any]:
    """One row per person: label, flags, counters, and the level shown per category."""
    cells = queries.attainment_at(wh, replace(Filters(month=month), levels=(level,)))
    shown = {
        (c["engineer_id"], c["category"]): (
            "—"
            if formats.missing(c["demonstrated_level"])
            else f"{c['demonstrated_level']}{STATUS_MARKS.get(str(c['status']), '')}"
        )
        for _, c in cells.iterrows()
    }
    rows = [
        {
            "person": row["label"],
            "flags": ", ".join(_flags(row, FLAG_SHORT)) or "—",
            "at_level": _count(row["months_at_level"]),
            "at_next": _count(row["months_at_next"]),
            "overall": "—" if formats.missing(row["overall_level"]) else str(row["overall_level"]),
            "cells": [shown.get((row["engineer_id"], c), "") for c in fw.categories],
        }
        for _, row in cohort.iterrows()
    ]
    return {
        "categories": list(fw.categories),
        "rows": rows,
        "need_level": str(int(fw.setting("promotion_months_at_level"))),
        "need_next": str(int(fw.setting("promotion_months_at_next"))),
    }


def _count(value: object) -> str:
    return "—" if formats.missing(value) else str(int(value))


def _person_page(wh: Warehouse, row: pd.Series, month: date, who: Identity) -> dict[str, Any]:
    """One person's engineer case, cut to a page and shown as `who` shows people."""
    case = engineer_case(wh, row["engineer_id"], month).document
    person = dict(case["person"])
    person["name"] = row["label"]
    person["manager"] = who.manager(row["manager_id"], row["manager_name"])
    person["level_since"] = who.date(row["level_since"])
    if who.anonymised:
        person["id"] = ""
    standing = dict(case["standing"])
    standing["reason"] = str(who.scrub(standing["reason"]))
    return {
        "person": person,
        "standing": standing,
        "grid": case["grid"],
        "footer": case["footer"],
    }


@cache
def _compiler() -> typst.Compiler:
    """One compiler per process: its font book is built once, not per pre-read."""
    fonts = [str(DEJAVU)] if DEJAVU.is_dir() else []
    return typst.Compiler(str(TEMPLATE), font_paths=fonts, ignore_system_fonts=True)
