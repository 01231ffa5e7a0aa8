"""CSV for people who open it in a spreadsheet: shared by the dashboard's downloads and the
`flags --format csv` command, so both neutralise formula cells the same way."""

from __future__ import annotations

import pandas as pd

# A cell starting with one of these runs as a formula in Excel, Sheets or LibreOffice.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_csv(df: pd.DataFrame) -> str:
    """The frame as CSV text, each text cell that a spreadsheet would run as a formula
    (=HYPERLINK(...), +cmd, @SUM) prefixed with a quote so it opens as plain text."""
    safe = df.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_STARTS) else v
            )
    return safe.to_csv(index=False)
