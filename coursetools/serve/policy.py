"""The course's rules for one student's attempts: which one is of record, and what feedback says of hidden cases.

**Grade of record** (course.toml ``[serve] grade_of_record``): of the attempts handed in before the due date (the
gradebook's, nbgrader's ``duedate``), the ``last`` one or the ``best`` one (ties go to the later); an attempt
after the due date counts only while there is none before it (and then nbgrader's late penalty applies). A
grading error never replaces a graded attempt.

**Hidden cases** (course.toml ``[feedback] hidden_cases``): ``always`` shows the failure message of a hidden
case (what was expected, what came); ``after_due`` shows it once the due date has passed, and only "hidden case N
failed" before; ``never`` only that. Without a due date ``after_due`` is ``never``. A hidden-case message is one the
checks wrote for a hidden case (``... on hidden case N (inputs: ...)``), or the message of an ``assert`` written in
the hidden part of the source notebook's test cell.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..grading.results import ERROR
from ..reporting.feedback import hide_hidden_case
from .config import AFTER_DUE, ALWAYS, BEST

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
HIDDEN_FAILED = "A hidden test of this exercise failed."


@dataclass(frozen=True)
class Candidate:
    """What the rule of record needs to know of an attempt."""

    number: int
    submitted_at: float
    status: str
    score: float


def on_time(submitted_at: float, due: float | None) -> bool:
    return due is None or submitted_at <= due


def replaces(policy: str, due: float | None, new: Candidate, current: Candidate | None) -> bool:
    """Whether ``new`` becomes the attempt of record instead of ``current`` (None: there is none yet)."""
    if current is None:
        return new.status != ERROR
    if new.status == ERROR:
        return False
    if current.status == ERROR:
        return True
    new_on_time, current_on_time = on_time(new.submitted_at, due), on_time(current.submitted_at, due)
    if new_on_time != current_on_time:
        return new_on_time
    if policy == BEST and new.score != current.score:
        return new.score > current.score
    return new.number > current.number


def show_hidden(policy: str, due: float | None, now: float) -> bool:
    """Whether hidden-case messages are shown now."""
    if policy == ALWAYS:
        return True
    if policy == AFTER_DUE:
        return due is None or now > due  # no due date: nothing to wait for (as the feedback command)
    return False


def hidden_parts(notebook) -> dict[str, str]:
    """The hidden part of each test cell of a source notebook, by grade_id."""
    parts = {}
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or BEGIN not in cell.source:
            continue
        blocks = [chunk.split(END, 1)[0] for chunk in cell.source.split(BEGIN)[1:]]
        parts[meta["grade_id"]] = "\n".join(blocks)
    return parts


def redact(messages: dict[str, list[str]], hidden: dict[str, str], show: bool) -> dict[str, list[str]]:
    """``messages`` (by grade_id) with hidden-case messages cut to "hidden case N failed" unless ``show``."""
    if show:
        return messages
    out = {}
    for grade_id, lines in messages.items():
        kept = []
        for message in lines:
            text = message.split(": ", 1)[1].strip() if ": " in message else message.strip()
            short = hide_hidden_case(message)
            if short != message:
                kept.append(short)
            elif text and len(text) >= 8 and text in hidden.get(grade_id, ""):
                kept.append(HIDDEN_FAILED)
            else:
                kept.append(message)
        out[grade_id] = list(dict.fromkeys(kept))
    return out
