"""95% intervals for the fairness lens, in closed form (no scipy): Wilson's score interval for a
share, Byar's approximation of the exact Poisson interval for a count per unit of exposure, and
a distribution-free interval for a median from the order statistics."""

from __future__ import annotations

import math
from collections.abc import Sequence

# The two-sided 95% normal quantile.
Z95 = 1.959963984540054
_NAN = float("nan")


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for k successes out of n; (nan, nan) when n is 0.

    Unlike the textbook p ± z·se it stays inside [0, 1] and is sensible at k = 0 or k = n,
    which small groups hit often."""
    if n <= 0:
        return _NAN, _NAN
    p = k / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    # At k = 0 (or k = n) the bound is 0 (or 1) exactly; floating point leaves 1e-17 crumbs.
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


def poisson_interval(k: int, exposure: float, z: float = Z95) -> tuple[float, float]:
    """Interval for the rate k / exposure of a Poisson count k (Byar's approximation, within
    a few percent of the exact chi-square limits from k = 1 on); (nan, nan) without exposure.

    At k = 0 the lower limit is 0 and the upper one the exact -ln(0.025) = 3.689 events."""
    if exposure <= 0:
        return _NAN, _NAN
    if k <= 0:
        return 0.0, -math.log((1 - _coverage(z)) / 2) / exposure
    low = k * (1 - 1 / (9 * k) - z / (3 * math.sqrt(k))) ** 3
    upper_k = k + 1
    high = upper_k * (1 - 1 / (9 * upper_k) + z / (3 * math.sqrt(upper_k))) ** 3
    return low / exposure, high / exposure


def median_interval(values: Sequence[float]) -> tuple[float, float]:
    """95% interval for the median of `values` from their order statistics: the j-th smallest
    and j-th largest values, with j the largest rank for which a Binomial(n, 1/2) count falls
    below j with probability at most 2.5%. Under 6 values no such rank exists: (nan, nan)."""
    ordered = sorted(values)
    n = len(ordered)
    below, j = 0.0, 0
    for rank in range(n):
        below += math.comb(n, rank) / 2**n  # P(count <= rank)
        if below > 0.025:
            break
        j = rank + 1
    if j == 0:
        return _NAN, _NAN
    return float(ordered[j - 1]), float(ordered[n - j])


def _coverage(z: float) -> float:
    """Two-sided coverage of ±z under the normal curve (0.95 for Z95)."""
    return math.erf(z / math.sqrt(2))
