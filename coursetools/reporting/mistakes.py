"""What the class got wrong: per exercise, the failure messages and diagnoses most students hit, with counts.

A message is grouped by its first line, normalised: the inputs of a hidden case and the numbers in it do not make
two messages different ("on hidden case 2 (inputs: array(3, 4))" and "on hidden case 5 (inputs: array(2, 7))" are
one mistake). A diagnosis is any line ``Likely mistake: ...`` of a message (the grader adds them where it can tell
what went wrong, e.g. a sum over the wrong axis). Counts are students, not messages: a student who hit the same
message twice counts once.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..grading import results
from .grades import Row, Table

DIAGNOSIS = "Likely mistake:"
_CASE = re.compile(r"on hidden case \d+")
_NUMBER = re.compile(r"(?<![\w.])[-+]?(\d+(\.\d+)?|\.\d+)([eE][-+]?\d+)?(?![\w])")
_SPACES = re.compile(r"\s+")
LIMIT = 200


def first_line(message: str) -> str:
    """The first line of a failure message, normalised so that the same mistake reads the same for everyone."""
    parts = [part.strip() for part in message.splitlines() if part.strip()]
    line = parts[0] if parts else ""
    if re.fullmatch(r"[A-Za-z_][\w.]*:", line) and len(parts) > 1:  # "CheckFailed:" with the text on the next line
        line = f"{line} {parts[1]}"
    if line.startswith(DIAGNOSIS):
        return ""
    line = without_case_inputs(line)
    line = _NUMBER.sub("#", line)
    line = _SPACES.sub(" ", line)
    return line if len(line) <= LIMIT else line[:LIMIT] + "..."


def without_case_inputs(line: str) -> str:
    """``f(...) on hidden case 3 (inputs: array(3, 4)) has...`` -> ``f(...) on a hidden case has...``."""
    out, position = [], 0
    for match in _CASE.finditer(line):
        if match.start() < position:
            continue
        out.append(line[position:match.start()] + "on a hidden case")
        position = match.end()
        rest = line[position:]
        if rest.lstrip().startswith("(inputs:"):
            start = position + len(rest) - len(rest.lstrip())
            depth = 0
            for index in range(start, len(line)):
                depth += {"(": 1, ")": -1}.get(line[index], 0)
                if depth == 0:
                    position = index + 1
                    break
            else:
                position = len(line)
    out.append(line[position:])
    return "".join(out)


def diagnoses(messages: list[str]) -> list[str]:
    """The ``Likely mistake: ...`` lines of ``messages``, in order, each once."""
    found: list[str] = []
    for message in messages:
        for part in message.splitlines():
            part = _SPACES.sub(" ", part.strip())
            if part.startswith(DIAGNOSIS) and part not in found:
                found.append(part[:LIMIT])
    return found


def headline(messages: list[str]) -> str:
    """The normalised first line of the first message that has one."""
    return next((line for line in (first_line(m) for m in messages) if line), "")


@dataclass
class ExerciseMistakes:
    exercise: str
    max_score: float
    attempted: int = 0                 # executed submissions
    failed: int = 0                    # of which lost points on this exercise
    messages: list[tuple[str, int]] = field(default_factory=list)   # (normalised first line, students), most first
    diagnoses: list[tuple[str, int]] = field(default_factory=list)  # (Likely mistake line, students), most first


def lost_points(row: Row, column: str, max_score: float) -> bool:
    points = row.points.get(column)
    return points is not None and points < max_score


def class_mistakes(t: Table, assignment: str) -> list[ExerciseMistakes]:
    """Per exercise of ``assignment`` (notebook order), what the students who lost points on it were told."""
    rows = [r for r in t.rows_of(assignment) if r.status in results.EXECUTED]
    found = []
    for exercise in t.exercises[assignment]:
        column = exercise.column(t.several(assignment))
        summary = ExerciseMistakes(column, exercise.max_score, attempted=len(rows))
        heads: Counter[str] = Counter()
        why: Counter[str] = Counter()
        for row in rows:
            if not lost_points(row, column, exercise.max_score):
                continue
            summary.failed += 1
            messages = row.messages.get(column, [])
            heads.update({line for line in (first_line(m) for m in messages) if line})
            why.update(set(diagnoses(messages)))
        summary.messages = sorted(heads.items(), key=lambda kv: (-kv[1], kv[0]))
        summary.diagnoses = sorted(why.items(), key=lambda kv: (-kv[1], kv[0]))
        found.append(summary)
    return found
