"""The one way the toolkit writes a CSV that people open in a spreadsheet or upload to an LMS.

Every CSV writer (the grades table in all its formats) goes through :func:`cell`, so a rule about what a cell may
hold applies to all of them. The rule: student text (a name, a failure message, a flag) must never run as a
formula in the spreadsheet that opens the file. Spreadsheets read a cell starting with ``=``, ``+``, ``-`` or ``@``
(and, in some, a tab or carriage return) as a formula ("CSV injection", OWASP); such a cell gets a leading
apostrophe, which spreadsheets show as text (:func:`coursetools.course.text.csv_safe`, which also takes out control
characters). Numbers the toolkit writes as numbers (``-0.5``) stay numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from ..course.text import csv_safe


def cell(value) -> str:
    """``value`` as the text of one CSV cell, safe to open in a spreadsheet."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, (int, float)):
        return f"{value:g}" if isinstance(value, float) else str(value)
    # Text is text whatever it looks like ("-3" as a student id): only numbers passed as numbers stay numbers.
    return csv_safe(value)


def write(path: Path, header: list[str], rows: Iterable[Iterable]) -> Path:
    """Write a CSV (UTF-8, one header row), every cell through :func:`cell`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([cell(h) for h in header])
        for row in rows:
            writer.writerow([cell(v) for v in row])
    return path
