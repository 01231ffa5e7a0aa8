"""Text from the data, made safe to print: the build report, `flags` and error messages show
names, ids and cells from the input files, which may hold anything.

Two rules, used by every command that prints data:

- Control characters are shown visibly, as Python writes them (`\\x1b`, `\\x07`, `\\u202e`),
  never passed through: an ESC sequence in a name could clear or rewrite the terminal, a BEL
  rings it, a carriage return overprints the line, and a bidirectional override reorders what
  is read. Visible rather than removed, so the odd byte can still be found and fixed in the
  file. Newline and tab stay: they are ordinary in free text and in a CSV cell.
- Rich prints data without interpreting it: no markup (`[/bad]`, `Sam Lee [contractor]`), no
  emoji codes (`:smile:`), no highlighting.
"""

from __future__ import annotations

from typing import IO

from rich.console import Console

_KEPT = {"\t", "\n"}
_BIDI_CONTROLS = [*range(0x200E, 0x2010), *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_C0_C1_AND_DEL = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]
_VISIBLE = {
    code: (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    for code in (*_C0_C1_AND_DEL, *_BIDI_CONTROLS)
    if chr(code) not in _KEPT
}


def printable(text: str) -> str:
    """`text` with every control character (but newline and tab) written as a visible escape."""
    return text.translate(_VISIBLE)


def plain_console(file: IO[str], width: int) -> Console:
    """A console that prints strings as they are: no markup, emoji codes or colours."""
    return Console(
        file=file,
        width=width,
        markup=False,
        emoji=False,
        highlight=False,
        color_system=None,
        force_terminal=False,
    )
