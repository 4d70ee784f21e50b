"""Corpora of student answers, one module per assignment, graded by tests/samples/test_corpus.py.

Each module defines ``ASSIGNMENT`` (the assignment id), ``WRONG`` and ``CORRECT``: dicts from a solution cell's
grade_id to ``{variant name: code}``, where code is the whole content a student could have written in that cell.
Every wrong variant must lose points on its own test cell (``test_<grade_id>``); every correct one must keep full
marks everywhere.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def corpora() -> list[ModuleType]:
    """Every corpus module in this package, in name order."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    return [importlib.import_module(f"{__name__}.{name}") for name in names]
