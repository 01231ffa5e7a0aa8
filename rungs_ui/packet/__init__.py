"""Case packets: the PDF a manager hands over, made from the rows the Engineer page shows.

`engineer_packet(wh, engineer_id, month)` gathers one person's case through the same query
functions the page reads (`rungs_ui.queries`, on a scoped Warehouse handle, so scope is the
query layer's to enforce), draws the page's charts to SVG and typesets the whole with typst.
Nothing here imports Streamlit itself: the command line (`python -m pipelines packet`) uses it.
"""

from rungs_ui.packet.case import EngineerCase, NotInView, engineer_case
from rungs_ui.packet.render import engineer_packet, render_case

__all__ = ["EngineerCase", "NotInView", "engineer_case", "engineer_packet", "render_case"]
