"""The Calibration page's grid: everyone at one level, one row each, in the page's one order.

Each row: the person, their team, their flags, the counters of the promotion rule (consistent
months at the level and at the next, out of what the framework asks) and, per category, the
level shown in each of the last months as small cells coloured against the level held that
month (the attainment colours of every other chart), then the categories still short of the
next level. Drawn as one Altair chart laid out in pixels, so every column has the width its
longest text needs (no label is cut off) and a click anywhere on a row selects the person.

`in_order` and `shown` decide which rows the page draws and in what order; no Streamlit here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import altair as alt
import pandas as pd

from rungs_ui import charts, formats

# The param a click sets: the row's person (their label, as drawn).
PICK = "pick"
# Months of category cells per row: half a year shows a trend without crowding the row.
GRID_MONTHS = 6

# How the page can order the rows. "flagged" is the worksheet's and the pre-read's order.
SORTS = {
    "flagged": "Flagged first",
    "closest": "Closest to the next level",
    "flag": "By flag",
    "team": "By team",
    "name": "By name",
}
# Which rows it can keep: everyone, anyone flagged, or one flag (readiness columns).
SHOW_ALL, SHOW_FLAGGED = "all", "flagged"


def in_order(cohort: pd.DataFrame, labels: pd.Series, flags: Sequence[str], sort: str) -> pd.Index:
    """The index of `cohort` (readiness rows, closest to the next level first as readiness_at
    returns them) in the page's order. `labels` are the people as shown (same index), `flags`
    the flag columns in the order the dashboard names them. Ties fall back to the label, so
    the order never depends on the query's."""
    raised = cohort[list(flags)].fillna(False).astype(bool)
    frame = pd.DataFrame(
        {
            "_unflagged": ~raised.any(axis=1),
            # The first flag raised, by the dashboard's order of flags; unflagged last.
            "_flag": raised.values.argmax(axis=1).astype(int)
            + (~raised.any(axis=1)).astype(int) * len(flags),
            "_closest": range(len(cohort)),
            "_team": cohort["team"].fillna("").astype(str),
            "_label": labels.astype(str),
        },
        index=cohort.index,
    )
    by = {
        "flagged": ["_unflagged", "_label"],
        "closest": ["_closest"],
        "flag": ["_flag", "_label"],
        "team": ["_team", "_unflagged", "_label"],
        "name": ["_label"],
    }[sort]
    return frame.sort_values(by, kind="stable").index


def shown(cohort: pd.DataFrame, flags: Sequence[str], show: str, team: str | None) -> pd.Series:
    """Which rows of `cohort` the page's Show and Team choices keep (a boolean per row)."""
    raised = cohort[list(flags)].fillna(False).astype(bool)
    keep = pd.Series(True, index=cohort.index)
    if show == SHOW_FLAGGED:
        keep &= raised.any(axis=1)
    elif show in flags:
        keep &= raised[show]
    if team:
        keep &= cohort["team"].eq(team)
    return keep


@dataclass(frozen=True)
class GridSize:
    """Type, row and cell sizes in px: larger in presentation mode, read from the back."""

    font: int
    row: int
    cell: int

    @property
    def char(self) -> float:
        # A generous average glyph width of the theme's sans-serif: columns are sized from
        # it, and too wide is a gap where too narrow would overprint the next column.
        return self.font * 0.56


NORMAL = GridSize(font=15, row=26, cell=18)
PRESENTING = GridSize(font=21, row=34, cell=25)


def _width(texts: Sequence[str], size: GridSize, bold: bool = False) -> int:
    longest = max((len(str(t)) for t in texts), default=1)
    return int(longest * size.char * (1.06 if bold else 1.0)) + size.font


def _codes(values) -> pd.Series:
    """Small integers in the smallest type: what the browser decodes per cell."""
    return pd.to_numeric(pd.Series(values), downcast="integer").to_numpy()


def _pick_of(values: Sequence, index: str) -> str:
    """A Vega expression: the item of `values` (written once into the spec) at `index`; a
    missing value is null, as it is in a data set."""
    items = [None if formats.missing(v) else v for v in values]
    return f"{json.dumps(items)}[{index}]"


def calibration_grid(
    people: pd.DataFrame,
    cells: pd.DataFrame,
    categories: Sequence[str],
    months: Sequence[pd.Timestamp],
    headers: dict[str, str],
    flag_colours: dict[str, str],
    present: bool = False,
) -> alt.LayerChart:
    """One row per person of `people`, in its order.

    `people`: person (the label; distinct), team, flags (the flags' short words, "" for none),
    flag (the first flag's column name, "" for none), at_level, at_next and short_in (text as
    shown), and flag_words (the flags in full, for the tooltip). `cells`: person, category,
    month, current_level, status and shown (the level shown, or why the month was not
    judged). `headers`: the titles of person, team, flags, at_level, at_next and short_in.
    `flag_colours`: flag column -> hue of its badge.

    What the browser is sent is kept small, since it decodes and draws every value (a level
    of 300 people is some 7,000 cells): the people once, as the chart's one data set that
    every layer of the rows shares, with their row number; each cell as three small integers
    (the person's row, which of the row's cells, which of the few kinds of cell), its texts
    (person, category, month, levels) looked up from the people and from short lists written
    once into the spec."""
    size = PRESENTING if present else NORMAL
    gap = size.font  # between columns
    columns = ["person", "team", "flags", "at_level", "at_next"]
    x, widths = {}, {}
    at = 0
    for column in columns:
        widths[column] = max(
            _width(people[column], size, bold=column == "person"),
            _width([headers[column]], size),
        )
        x[column] = at
        at += widths[column] + gap
    block = size.cell * len(months)
    for category in categories:
        widths[category] = max(block, _width([category], size))
        x[category] = at
        at += widths[category] + gap
    widths["short_in"] = max(_width(people["short_in"], size), _width([headers["short_in"]], size))
    x["short_in"] = at
    width = at + widths["short_in"]

    # The rows, in the page's order: `row` places each one (and is how a cell finds its
    # person), `stripe` shades every other one.
    rows = people.reset_index(drop=True)[
        ["person", "team", "flags", "flag", "flag_words", "at_level", "at_next", "short_in"]
    ].assign(row=_codes(range(len(people))), stripe=_codes([i % 2 for i in range(len(people))]))
    y = alt.Y("row:O", sort="ascending", axis=None, title=None)
    scale = alt.Scale(domain=[0, width], range=[0, width], nice=False, zero=False)
    pick = alt.selection_point(name=PICK, fields=["person"], on="click", empty=False)
    row_tip = [
        alt.Tooltip("person:N", title=headers["person"]),
        alt.Tooltip("team:N", title=headers["team"]),
        alt.Tooltip("flag_words:N", title=headers["flags"]),
        alt.Tooltip("at_level:N", title=headers["at_level"]),
        alt.Tooltip("at_next:N", title=headers["at_next"]),
        alt.Tooltip("short_in:N", title=headers["short_in"]),
    ]
    # The whole row is the click target, and shows which row is open.
    background = (
        alt.Chart()
        .mark_rect(cursor="pointer", aria=False)
        .encode(
            y=y,
            x=alt.value(-4),
            x2=alt.value(width + 4),
            color=alt.condition(
                pick,
                alt.value("#BFD9F2"),
                alt.Color(
                    "stripe:N",
                    scale=alt.Scale(domain=[0, 1], range=["#FFFFFF", "#F2F2F2"]),
                    legend=None,
                ),
            ),
            tooltip=row_tip,
        )
        .add_params(pick)
    )
    is_flagged = "datum.flags !== ''"
    badge = (
        alt.Chart()
        .transform_filter(is_flagged)
        .mark_rect(cornerRadius=4, cursor="pointer", opacity=0.9, aria=False)
        .encode(
            y=y,
            x=alt.value(x["flags"]),
            x2=alt.value(
                x["flags"] + _width(rows.loc[rows["flags"].ne(""), "flags"], size) - size.font // 2
            ),
            color=alt.Color(
                "flag:N",
                scale=alt.Scale(domain=list(flag_colours), range=list(flag_colours.values())),
                legend=None,
            ),
            tooltip=row_tip,
        )
    )
    # Every text of a row is one mark: the row's columns folded into (column, text) pairs, each
    # placed at its column. A flagged person's name in bold: whom the room talks about first.
    shown_columns = ["person", "team", "flags", "at_level", "at_next", "short_in"]
    starts = [x[c] + (4 if c == "flags" else 0) for c in shown_columns]
    bold = f"datum.column === 'person' && {is_flagged}"
    texts = (
        alt.Chart()
        .transform_fold(shown_columns, as_=["column", "text"])
        .transform_calculate(
            x=_pick_of(starts, f"indexof({json.dumps(shown_columns)}, datum.column)")
        )
        .mark_text(
            align="left",
            baseline="middle",
            aria=False,
            fontSize=size.font,
            cursor="pointer",
            fontWeight=alt.ExprRef(f"{bold} ? 'bold' : 'normal'"),
            color=alt.ExprRef(f"{bold} ? '#000000' : '#222222'"),
        )
        .encode(y=y, x=alt.X("x:Q", scale=scale, axis=None), text="text:N", tooltip=row_tip)
    )

    # The cells: which row, which of the row's cells (category by month) and which kind (status,
    # level held, level shown: a few dozen combinations however many people).
    slot = {pd.Timestamp(m): i for i, m in enumerate(months)}
    category_at = {c: i for i, c in enumerate(categories)}
    row_of = dict(zip(rows["person"], rows["row"], strict=True))
    data = cells.loc[cells["person"].isin(row_of)].reset_index(drop=True)
    kind, kinds = pd.factorize(
        pd.Series(
            list(
                zip(
                    data["status"].astype(object),
                    data["current_level"].astype(object),
                    data["shown"].astype(object),
                    strict=True,
                )
            ),
            dtype=object,
        )
    )
    status, held, level_shown = ([k[i] for k in kinds] for i in range(3))
    marks = pd.DataFrame(
        {
            "row": _codes(data["person"].map(row_of)),
            "cell": _codes(
                [
                    category_at[c] * len(months) + slot[pd.Timestamp(m)]
                    for c, m in zip(data["category"], data["month"], strict=True)
                ]
            ),
            "kind": _codes(kind),
        }
    )
    cell_x = [x[c] + i * size.cell for c in categories for i in range(len(months))]
    cell_marks = (
        alt.Chart(marks)
        .transform_lookup(
            lookup="row", from_=alt.LookupData(data=rows, key="row", fields=["person"])
        )
        .transform_calculate(
            x=_pick_of(cell_x, "datum.cell"),
            x2=f"{_pick_of(cell_x, 'datum.cell')} + {size.cell}",
            category=_pick_of(categories, f"floor(datum.cell / {len(months)})"),
            month=_pick_of([formats.month(m) for m in months], f"datum.cell % {len(months)}"),
            status=_pick_of(status, "datum.kind"),
            current_level=_pick_of(held, "datum.kind"),
            shown=_pick_of(level_shown, "datum.kind"),
        )
        .mark_rect(stroke="#FFFFFF", strokeWidth=2, cursor="pointer", aria=False)
        .encode(
            y=y,
            x=alt.X("x:Q", scale=scale, axis=None),
            x2="x2:Q",
            # Above the headers, at the left: where the room looks first.
            color=charts._status_colour().legend(
                orient="none",
                direction="horizontal",
                titleOrient="left",
                legendX=0,
                legendY=-3.3 * size.row,
            ),
            tooltip=[
                alt.Tooltip("person:N", title=headers["person"]),
                alt.Tooltip("category:N", title="Category"),
                alt.Tooltip("month:N", title="Month"),
                alt.Tooltip("current_level:N", title="Level held"),
                alt.Tooltip("shown:N", title="Level shown"),
            ],
        )
    )

    # Two header lines above the rows: category names, then column titles and month letters;
    # one mark, each text with its own alignment, size and weight.
    lines = {0: -2.2 * size.row + 4, 1: -0.9 * size.row + 4}
    title = {"size": size.font, "weight": "bold"}
    top = pd.DataFrame(
        [
            {"x": x[c] + widths[c] / 2, "text": c, "dy": lines[0], "align": "center", **title}
            for c in categories
        ]
        + [
            {"x": x[c], "text": headers[c], "dy": lines[1], "align": "left", **title}
            for c in (*columns, "short_in")
        ]
        + [
            {
                "x": x[c] + (i + 0.5) * size.cell,
                "text": pd.Timestamp(m).strftime("%b")[0],
                "dy": lines[1],
                "align": "center",
                "size": size.font - 3,
                "weight": "normal",
            }
            for c in categories
            for i, m in enumerate(months)
        ]
    )
    heads = (
        alt.Chart(top)
        .mark_text(
            baseline="bottom",
            aria=False,
            color="#222222",
            align=alt.ExprRef("datum.align"),
            fontSize=alt.ExprRef("datum.size"),
            fontWeight=alt.ExprRef("datum.weight"),
            dy=alt.ExprRef("datum.dy"),
        )
        .encode(x=alt.X("x:Q", scale=scale, axis=None), y=alt.value(0), text="text:N")
    )

    layers = alt.layer(background, badge, texts, cell_marks, heads, data=rows)
    # Stripes, flag hues and attainment colours are three colour scales, not one.
    return layers.resolve_scale(color="independent").properties(
        width=width,
        height=alt.Step(size.row),
        # The header lines above the first row are inside the autosized bounds; the legend, placed
        # by hand, is not: room for it.
        padding={"top": int(1.1 * size.row), "left": 4, "right": 4, "bottom": 4},
        # Drawn on a canvas: some 10,000 marks at a level of 300 people are one element, not
        # one SVG node each (Streamlit picks the renderer by counting rows, which it cannot do
        # through the lookups above). Per-mark ARIA text is not drawn on a canvas: none made.
        usermeta={"embedOptions": {"renderer": "canvas"}},
    )
