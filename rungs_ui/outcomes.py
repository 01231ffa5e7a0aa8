"""Proposed and calibrated outcomes at one level in one cycle, against the framework's guideline.

One count for every page that states it: the Calibration worksheet draws and edits the
outcomes, the Calibration page shows the same live count beside its grid. Both read the
journal's current decisions through `current_at`, which hides what the viewer may not read
(a proposal about oneself, names of people outside the view).
"""

from __future__ import annotations

import pandas as pd

from pipelines.access import Scope
from pipelines.journal import entries
from pipelines.journal.store import Journal
from rungs_ui import queries
from rungs_ui.queries import FrameworkView
from rungs_ui.warehouse import Warehouse

PROMOTE = entries.OUTCOME_WORDS["promotion"]


def current_at(
    wh: Warehouse, journal: Journal, cycle: str, ids: list[str], scope: Scope
) -> pd.DataFrame:
    """The current proposal and calibrated outcome of each of `ids` in `cycle`. What a manager
    proposed about the viewer is theirs to discuss with them, not a row to find it on; names of
    people outside the viewer's scope are blanked in the free text, as everywhere else."""
    current = entries.decisions(journal, cycle)
    current = current.loc[current["engineer_id"].isin(ids)]
    current = current.loc[
        ~(current["engineer_id"].isin(scope.self_ids) & (current["stage"] == "proposed"))
    ]
    return queries.scrubbed_of_outsiders(wh, current.reset_index(drop=True), "rationale")


def counts(current: pd.DataFrame) -> pd.DataFrame:
    """outcome, stage (in words) and people: how many of `current` have each outcome."""
    return (
        current.assign(
            outcome=current["outcome"].map(entries.OUTCOME_WORDS),
            stage=current["stage"].map(entries.STAGE_WORDS),
        )
        .groupby(["outcome", "stage"])
        .size()
        .rename("people")
        .reset_index()
    )


def promotions(outcome_counts: pd.DataFrame, stage: str) -> int:
    """Promotions at `stage` ("Proposed" or "Calibrated")."""
    hit = outcome_counts.loc[
        (outcome_counts["outcome"] == PROMOTE) & (outcome_counts["stage"] == stage), "people"
    ]
    return int(hit.sum())


def guideline_share(fw: FrameworkView) -> float | None:
    """[calibration] promotion_share of the framework file; None when it sets none."""
    try:
        return fw.setting("promotion_share")
    except KeyError:
        return None


def sentence(outcome_counts: pd.DataFrame, people: int, level: str, share: float | None) -> str:
    """ "2 promotions calibrated and 3 proposed of 65 at IC2 (3% calibrated); guideline about
    15% (≈ 9.8 people)." `level` is shown as given: escape it first where Markdown reads it."""
    calibrated_n = promotions(outcome_counts, entries.STAGE_WORDS["calibrated"])
    proposed_n = promotions(outcome_counts, entries.STAGE_WORDS["proposed"])
    out = (
        f"{calibrated_n} {'promotion' if calibrated_n == 1 else 'promotions'} calibrated and "
        f"{proposed_n} proposed of {people} at {level} "
        f"({calibrated_n / people:.0%} calibrated)"
    )
    return out + (
        f"; guideline about {share:.0%} (≈ {share * people:.1f} people)."
        if share is not None
        else "; the framework file sets no guideline ([calibration] promotion_share)."
    )
