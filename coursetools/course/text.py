"""Student-controlled text made harmless where it goes: terminals and spreadsheets.

Student ids (folder names), file names inside an upload, reasons quoting an error message: all of it can carry
terminal escape sequences (which recolour, retitle or rewrite an instructor's terminal) or start like a spreadsheet
formula. Every command that prints such text passes it through :func:`terminal_safe`; the grades CSV passes its
cells through :func:`csv_safe`.
"""

from __future__ import annotations

import re

#: Escape sequences as terminals read them: CSI (ESC [ ... final byte), OSC (ESC ] ... BEL or ST), and the rest of
#: the ESC-initiated forms (two bytes). Removed whole, so that no parameter bytes are left behind as text.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|"
                      r"\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]|\x9d[^\x07\x9c]*[\x07\x9c]?")
#: Control characters a terminal acts on (C0 but newline, DEL, C1), and the invisible Unicode formatting characters
#: that reorder or hide text on screen (bidirectional overrides and isolates, zero-width characters, BOM).
_CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_LINE_BREAKS = re.compile(r"[\r\n]+")
#: Lone surrogates: a file name that is not UTF-8 (Python's surrogateescape) can be written nowhere as text.
_SURROGATES = re.compile("[\ud800-\udfff]")

#: What makes a spreadsheet read a cell as a formula (OWASP's list, and the full-width forms some spreadsheets
#: also accept).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def terminal_safe(text: object, *, one_line: bool = False) -> str:
    """``text`` with escape sequences and control characters removed (tabs become spaces, what is not Unicode U+FFFD).

    ``one_line``: line breaks become spaces too (for a value inside a line: a student id, a file name), so a value
    cannot forge lines of its own.
    """
    text = str(text)
    if one_line:
        text = _LINE_BREAKS.sub(" ", text)
    else:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ESCAPES.sub("", text).replace("\t", " ")
    return _SURROGATES.sub("\ufffd", _CONTROLS.sub("", text))


def csv_safe(text: object) -> str:
    """A CSV cell a spreadsheet shows as text: one line, no control characters, a leading quote before a formula."""
    value = terminal_safe(text, one_line=True)
    return "'" + value if value.startswith(FORMULA_STARTS) or str(text).startswith(FORMULA_STARTS) else value
