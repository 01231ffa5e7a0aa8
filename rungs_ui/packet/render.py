"""A case to PDF: the charts to SVG with vl-convert, the document typeset by typst.

The template (engineer.typ, beside this file) reads the case as JSON from `sys.inputs` and
prints every value as text: a name or summary holding `#`, `$`, `*`, `[` or `<` is never read as
typst markup, so there is nothing to escape and nothing a value can run. Fonts are DejaVu (the
Debian package) when installed, else typst's own; nothing is fetched while rendering.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from pathlib import Path

import altair as alt
import typst
import vl_convert

from rungs_ui.packet.appendix import Appendix
from rungs_ui.packet.case import EngineerCase, engineer_case
from rungs_ui.warehouse import Warehouse

TEMPLATE = Path(__file__).resolve().parent / "engineer.typ"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
CHART_FONT = "DejaVu Sans"
# A4 text width at the template's margins is about 170 mm; charts are drawn at this size in
# CSS px and scaled to the width by typst, so their type comes out near the body's.
CHART_WIDTH = 640
CHART_HEIGHT = 190
CHART_TYPE = 12


def engineer_packet(
    wh: Warehouse,
    engineer_id: str,
    month: date | None = None,
    appendix: Appendix | None = None,
) -> bytes:
    """The PDF case packet of one engineer as of `month`, in the view of `wh.scope`, with the
    what-if and/or fairness appendix when `appendix` asks for them."""
    return render_case(engineer_case(wh, engineer_id, month, appendix))


def render_case(case: EngineerCase) -> bytes:
    inputs = {"case": json.dumps(case.document, ensure_ascii=False)}
    for metric, chart in case.charts.items():
        if chart is not None:
            inputs[f"chart-{metric}"] = chart_svg(chart)
    return _compiler().compile(format="pdf", sys_inputs=inputs)


def chart_svg(chart: alt.TopLevelMixin) -> str:
    """One chart as SVG, in print size and the packet's font. No remote URL may be read: the
    data travels inline in the spec, and any other fetch is refused."""
    # The theme's type is sized for a projector; on paper it would dwarf the text around it.
    printed = (
        chart.properties(width=CHART_WIDTH, height=CHART_HEIGHT)
        .configure(font=CHART_FONT)
        .configure_axis(labelFontSize=CHART_TYPE, titleFontSize=CHART_TYPE)
        .configure_text(fontSize=CHART_TYPE)
    )
    return vl_convert.vegalite_to_svg(printed.to_json(), allowed_base_urls=[])


@cache
def _compiler() -> typst.Compiler:
    """One compiler per process: its font book is built once, not per packet."""
    fonts = [str(DEJAVU)] if DEJAVU.is_dir() else []
    return typst.Compiler(str(TEMPLATE), font_paths=fonts, ignore_system_fonts=True)
