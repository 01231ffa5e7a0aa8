"""Properties of the readiness rules that must hold for any history, checked on random ones."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_readiness import FRAMEWORK, Org, add_months, month

HIRED = date(2023, 1, 1)
AS_OF = "2024-12"
MONTHS = 24

# Monthly profiles from well above the bars to below IC1, plus samples too small to judge.
PROFILES = {
    "shows_ic4": {"sla": 0.99, "open_hours": 8.0, "volume": 1.2},
    "shows_ic3": {"sla": 0.97, "open_hours": 12.0, "volume": 1.0},
    "meets_ic2": {"sla": 0.95, "open_hours": 18.0, "volume": 0.9},
    "meets_ic1": {"sla": 0.91, "open_hours": 30.0, "volume": 0.6},
    "below_ic1": {"sla": 0.80, "open_hours": 40.0, "volume": 0.3},
}

evidence_items = st.tuples(
    st.integers(0, MONTHS - 1),  # month offset from hire
    st.sampled_from(FRAMEWORK.categories),
    st.sampled_from(FRAMEWORK.levels),
    st.sampled_from(["example", "example", "concern"]),
)

histories = st.fixed_dictionaries(
    {
        "level": st.sampled_from(FRAMEWORK.levels),
        "team_lead": st.booleans(),
        # A strong performer by default (so long consistent runs and promotions are common),
        # with a few dips: runs of months with another profile or too small a sample.
        "dips": st.lists(
            st.tuples(
                st.integers(0, MONTHS - 1),
                st.integers(1, 4),
                st.sampled_from(list(PROFILES)),
                st.sampled_from([100, 6]),
            ),
            max_size=3,
        ),
        # Shown one or two levels up in every category, every quarter from some month on.
        "shown": st.none() | st.tuples(st.integers(1, 2), st.integers(0, MONTHS - 1)),
        "evidence": st.lists(evidence_items, max_size=12),
    }
)

# Each example builds the readiness tables (twice for the comparisons): keep the suite quick.
PROPERTY_SETTINGS = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
PAIR_SETTINGS = settings(PROPERTY_SETTINGS, max_examples=12)


def _org(history: dict, extra: tuple | None = None) -> Org:
    org = Org().hire("e1", history["level"], HIRED, team_lead=history["team_lead"])
    last = f"{add_months(HIRED, MONTHS - 1):%Y-%m}"
    org.perform("e1", f"{HIRED:%Y-%m}", last, **PROFILES["shows_ic4"])
    for offset, length, profile, sample in history["dips"]:
        first, end = add_months(HIRED, offset), add_months(HIRED, offset + length - 1)
        org.perform(
            "e1",
            f"{first:%Y-%m}",
            f"{min(end, month(last)):%Y-%m}",
            **PROFILES[profile],
            sla_sample=sample,
            solved=sample,
        )
    if history["shown"]:
        step_up, start = history["shown"]
        rank = min(FRAMEWORK.rank(history["level"]) + step_up, len(FRAMEWORK.levels) - 1)
        for offset in range(start, MONTHS, 3):
            org.observe("e1", add_months(HIRED, offset), FRAMEWORK.levels[rank])
    for offset, category, level, kind in [*history["evidence"], *([extra] if extra else [])]:
        org.observe("e1", add_months(HIRED, offset), level, category, kind=kind)
    return org


def _demonstrated(org: Org) -> dict[tuple[date, str], int]:
    con = org.build(AS_OF)
    return {
        (m, c): rank
        for m, c, rank in con.execute(
            "select month, category, demonstrated_rank from category_attainment where judged"
        ).fetchall()
    }


@PROPERTY_SETTINGS
@given(histories)
def test_flags_are_consistent_with_their_counters(history):
    con = _org(history).build(AS_OF)
    rows = con.execute(
        "select months_at_level, months_at_next, promotion_ready, near_window, at_risk,"
        " in_band_candidate, level, overall_level from readiness"
    ).fetchall()
    at_level_needed = FRAMEWORK.rule("promotion_months_at_level")
    at_next_needed = FRAMEWORK.rule("promotion_months_at_next")
    for at_level, at_next, ready, near, at_risk, in_band, level, overall in rows:
        if ready:
            assert at_level >= at_level_needed and at_next >= at_next_needed
            assert not (near or in_band or at_risk)
        if at_next is not None:
            assert at_next <= at_level
        if at_risk:
            assert at_level == 0 and overall != level
        if level == FRAMEWORK.levels[-1]:
            assert at_next is None and not ready and not near


@PAIR_SETTINGS
@given(
    histories,
    st.tuples(
        st.integers(0, MONTHS - 1),
        st.sampled_from(FRAMEWORK.categories),
        st.sampled_from(FRAMEWORK.levels),
        st.just("example"),
    ),
)
def test_adding_an_example_never_lowers_a_demonstrated_level(history, example):
    before = _demonstrated(_org(history))
    after = _demonstrated(_org(history, example))
    assert before.keys() == after.keys()
    assert all(after[key] >= rank for key, rank in before.items())


@PAIR_SETTINGS
@given(
    histories,
    st.tuples(
        st.integers(0, MONTHS - 1),
        st.sampled_from(FRAMEWORK.categories),
        st.sampled_from(FRAMEWORK.levels),
        st.just("concern"),
    ),
)
def test_adding_a_concern_never_raises_a_demonstrated_level(history, concern):
    before = _demonstrated(_org(history))
    after = _demonstrated(_org(history, concern))
    assert before.keys() == after.keys()
    assert all(after[key] <= rank for key, rank in before.items())
