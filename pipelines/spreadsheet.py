"""Files for people who open them in a spreadsheet: shared by the dashboard's downloads and the
`flags --format csv` command, so every export neutralises formula cells the same way.

CSV has no types, so a text cell a spreadsheet would run as a formula gets a leading quote. An
.xlsx cell has a type: text is written as a string cell (never as a formula), and one that looks
like a formula also carries Excel's quote prefix, so editing it later does not start running it.
"""

from __future__ import annotations

import io
from datetime import date, datetime

import pandas as pd
import xlsxwriter

# A cell starting with one of these runs as a formula in Excel, Sheets or LibreOffice.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel's limits: a sheet name is at most 31 characters; column widths are in characters.
_SHEET_NAME_MAX = 31
_WIDTH_MIN, _WIDTH_MAX = 8, 60


def looks_like_formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith(_FORMULA_STARTS)


def safe_csv(df: pd.DataFrame) -> str:
    """The frame as CSV text, each text cell that a spreadsheet would run as a formula
    (=HYPERLINK(...), +cmd, @SUM) prefixed with a quote so it opens as plain text."""
    safe = df.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(lambda v: "'" + v if looks_like_formula(v) else v)
    return safe.to_csv(index=False)


def safe_xlsx(sheets: dict[str, pd.DataFrame]) -> bytes:
    """A workbook with one sheet per frame (in order): a bold header row that stays in view
    when scrolling, columns as wide as their contents (within reason), and every cell typed by
    its value, text always as text."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    formats = {
        "header": book.add_format({"bold": True, "bottom": 1}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        "quoted": book.add_format({"quote_prefix": True}),
    }
    for name, frame in sheets.items():
        sheet = book.add_worksheet(name[:_SHEET_NAME_MAX])
        for col, header in enumerate(frame.columns):
            sheet.write_string(0, col, str(header), formats["header"])
            for row, value in enumerate(frame.iloc[:, col].tolist(), start=1):
                _write_cell(sheet, row, col, value, formats)
            sheet.set_column(col, col, _width(header, frame.iloc[:, col]))
        sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()


def _write_cell(sheet, row: int, col: int, value: object, formats: dict) -> None:
    """One cell by its type. Nothing goes through xlsxwriter's `write`, which would turn a
    string starting with '=' into a formula."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        sheet.write_blank(row, col, None)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value)
    elif isinstance(value, datetime | date):  # pd.Timestamp is a datetime
        sheet.write_datetime(row, col, pd.Timestamp(value).to_pydatetime(), formats["date"])
    elif hasattr(value, "item") and not isinstance(value, str):  # a numpy scalar
        _write_cell(sheet, row, col, value.item(), formats)
    else:
        text = str(value)
        sheet.write_string(row, col, text, formats["quoted"] if looks_like_formula(text) else None)


def _width(header: object, column: pd.Series) -> int:
    longest = max([len(str(header)), *(len(str(v)) for v in column.dropna().tolist())])
    return min(max(longest + 2, _WIDTH_MIN), _WIDTH_MAX)
