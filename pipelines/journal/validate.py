"""A form's entry checked by the same pandera models as evidence.csv and decisions.csv, so an
empty summary, an unknown level, a date in the future or a formula-looking text gets the
sentence the file would get, and nothing is written.

Whether the person is someone the user may record about is the app's check (rungs_ui), because
only it knows who is signed in.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Protocol

from pipelines.journal.entries import OUTCOME_AS_DECISION, DecisionDraft, EvidenceDraft
from pipelines.tables import TABLES_BY_NAME


class LevelsAndCategories(Protocol):
    """The part of a framework validation needs (the file's Framework or the warehouse's)."""

    levels: tuple[str, ...]
    categories: tuple[str, ...]


def evidence_problems(
    draft: EvidenceDraft, framework: LevelsAndCategories, *, recorded_by: str | None = None
) -> list[str]:
    """Why `draft` cannot be saved, in the loader's words; empty when it can."""
    row = {"evidence_id": "new", **asdict(draft), "recorded_by": recorded_by}
    row["summary"] = (row["summary"] or "").strip()
    row["link"] = (row["link"] or "").strip() or None
    return _problems("evidence", row, framework)


def decision_problems(draft: DecisionDraft, framework: LevelsAndCategories) -> list[str]:
    """Why a proposal or calibrated outcome cannot be saved; empty when it can."""
    problems = _problems(
        "decisions",
        {
            "engineer_id": draft.engineer_id,
            "decided_on": draft.decided_on,
            # Outcomes with no decisions.csv counterpart ("no change") are checked as deferred:
            # the date and the text are what can be wrong.
            "decision": OUTCOME_AS_DECISION.get(draft.outcome, "deferred"),
            "note": (draft.rationale or "").strip() or None,
        },
        framework,
    )
    problems = [
        p.replace("note ", "rationale ", 1) if p.startswith("note ") else p for p in problems
    ]
    if draft.outcome == "promotion":
        if draft.to_level not in framework.levels:
            problems.append(
                f"a promotion needs the level it is to; use one of {', '.join(framework.levels)}"
            )
        if draft.effective_on is None:
            problems.append("a promotion needs the date the new level takes effect")
    if draft.stage == "calibrated" and not (draft.rationale or "").strip():
        problems.append("rationale is empty; say in a sentence why the meeting decided this")
    return problems


def _problems(table: str, row: dict, framework: LevelsAndCategories) -> list[str]:
    # Imported on the first save, not when a page loads: pandera takes seconds to import.
    import pandera.polars as pa
    import polars as pl

    from pipelines.load.table import explain_failures
    from pipelines.schemas import schema_for

    spec = TABLES_BY_NAME[table]
    types = {
        name: pl.Date if meta["kind"] in ("date", "month") else pl.Utf8
        for name, meta in spec.columns().items()
    }
    frame = pl.DataFrame([{n: row.get(n) for n in types}], schema=types).with_columns(
        source_line=pl.lit(1, pl.Int64)
    )
    try:
        schema_for(spec, framework).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return list(dict.fromkeys(explain_failures(exc.failure_cases, frame)["reason"]))
    return []
