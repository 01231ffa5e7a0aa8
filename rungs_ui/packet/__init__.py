"""Case packets: the PDF a manager hands over, made from the rows the Engineer page shows.

`engineer_packet(wh, engineer_id, month)` gathers one person's case through the same query
functions the page reads (`rungs_ui.queries`, on a scoped Warehouse handle, so scope is the
query layer's to enforce), draws the page's charts to SVG and typesets the whole with typst.
`pre_read_packet(wh, level, month, anonymise)` is the calibration pre-read of one level: the
Calibration page's matrix, then one page per person. Either takes an `Appendix` (appendix.py):
a policy what-if and/or the fairness lens, for admins and leadership only. Nothing here
imports Streamlit itself: the command line (`python -m pipelines packet`) uses it.
"""

from rungs_ui.packet.appendix import Appendix, AppendixRefused
from rungs_ui.packet.case import EngineerCase, NotInView, engineer_case
from rungs_ui.packet.pre_read import NobodyAtLevel, pre_read_packet
from rungs_ui.packet.render import engineer_packet, render_case

__all__ = [
    "Appendix",
    "AppendixRefused",
    "EngineerCase",
    "NobodyAtLevel",
    "NotInView",
    "engineer_case",
    "engineer_packet",
    "pre_read_packet",
    "render_case",
]
