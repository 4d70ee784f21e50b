"""Grading that student code cannot fool: the grader's own check of the hidden cases, and flags for a human look.

Inside the sandbox the hidden tests still call ``solutions("<assignment>")``, but what they get are proxies: the
reference solutions stay outside, in the grader. Four parts, one module each:

* :mod:`.record`: before grading, the grader runs the source notebook itself and writes down every hidden case
  and reference call, test cell by test cell;
* :mod:`.attestation`: during grading, a server per sandboxed kernel judges the hidden cases against the record and
  answers the reference calls, only while a hidden-test cell runs;
* :mod:`.scan`: a static scan of the cells the student wrote;
* :mod:`.review`: after a submission ran, the test cells that passed only in the kernel score 0, and flags say
  what a human should look at.
"""

from __future__ import annotations

from .attestation import AttestationServer
from .record import Record, RecordError, has_record, record
from .review import (
                     CHEAT,
                     INTEGRITY_FILE,
                     LIMIT,
                     REVIEW,
                     Flag,
                     Review,
                     apply_overrides,
                     apply_partial_credit,
                     drop_kernel_results,
                     flag_labels,
                     load,
                     notice,
                     partial_text,
                     review,
                     save,
                     structure_changes,
                     unverified,
)
from .scan import scan_code

__all__ = [
    "CHEAT", "INTEGRITY_FILE", "LIMIT", "REVIEW", "AttestationServer", "Flag", "Record", "RecordError", "Review",
    "apply_overrides", "apply_partial_credit", "drop_kernel_results", "flag_labels", "has_record", "load", "notice", "partial_text", "record", "review", "save", "scan_code",
    "structure_changes", "unverified",
]
