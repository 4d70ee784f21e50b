"""The ``grades`` command: one row per student and assignment, from the nbgrader gradebook and grading.json.

Points come from the gradebook (so manual grades and corrections made in formgrader count); the status and its
reason come from ``autograded/<student>/<assignment>/grading.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import integrity
from ..course.coursedir import CourseDir
from ..course.deadlines import describe_duration, from_naive_utc
from ..course.text import terminal_safe
from ..grading import results
from . import spreadsheet

NO_SUBMISSION = "no_submission"   # neither a folder in submitted/ nor a submission in the gradebook
NOT_GRADED = "not_graded"         # submitted, not autograded yet
UNGRADED = "ungraded"             # in the gradebook, some points missing (e.g. graded by hand, unfinished)


@dataclass
class Exercise:
    notebook: str
    grade_id: str
    max_score: float

    def column(self, several_notebooks: bool) -> str:
        return f"{self.notebook}/{self.grade_id}" if several_notebooks else self.grade_id


@dataclass
class Row:
    student: str
    assignment: str
    status: str
    reason: str = ""
    points: dict[str, float | None] = field(default_factory=dict)  # grade_id (or notebook/grade_id) -> points
    late_penalty: float = 0.0
    max_total: float = 0.0
    needs_manual_grade: bool = False
    timestamp: str = ""
    flags: list[str] = field(default_factory=list)  # what the integrity review wants a human to look at
    due: str = ""                   # the student's due date (extension included), ISO 8601 in UTC
    extension: str = ""             # the student's extension, for people ("2 days")
    seconds_late: float = 0.0       # after the student's due date (nbgrader's total_seconds_late)
    messages: dict[str, list[str]] = field(default_factory=dict)  # column -> failure messages (grading.json)

    @property
    def late(self) -> str:
        """How late, for people ("1 day 3 h"), or "" when on time."""
        return describe_duration(self.seconds_late) if self.seconds_late > 0 else ""

    @property
    def total(self) -> float | None:
        if self.status in (NO_SUBMISSION, NOT_GRADED):
            return None
        return round(sum(p or 0.0 for p in self.points.values()) - self.late_penalty, 6)

    @property
    def label(self) -> str:
        return {NO_SUBMISSION: "no submission", NOT_GRADED: "not graded yet", UNGRADED: "points missing"}.get(
            self.status, results.LABELS.get(self.status, self.status))


@dataclass
class Table:
    assignments: list[str]
    exercises: dict[str, list[Exercise]]  # assignment -> exercises in notebook order
    rows: list[Row]

    def several(self, assignment: str) -> bool:
        return len({e.notebook for e in self.exercises[assignment]}) > 1

    def columns(self, assignment: str) -> list[str]:
        return [e.column(self.several(assignment)) for e in self.exercises[assignment]]

    def rows_of(self, assignment: str) -> list[Row]:
        return [r for r in self.rows if r.assignment == assignment]


def _exercises(gb, assignment: str) -> list[Exercise]:
    record = gb.find_assignment(assignment)
    exercises = []
    for notebook in record.notebooks:
        order = {c.name: i for i, c in enumerate(notebook.source_cells)}
        cells = sorted(notebook.grade_cells + notebook.task_cells, key=lambda c: order.get(c.name, len(order)))
        exercises += [Exercise(notebook.name, c.name, float(c.max_score)) for c in cells]
    return exercises


def table(cd: CourseDir, assignments: list[str] | None = None) -> Table:
    """Every (student, assignment) of the gradebook and of submitted/, with points, total and status."""
    names = assignments or cd.assignments()
    exercises: dict[str, list[Exercise]] = {}
    rows = []
    with cd.gradebook() as gb:
        students = sorted({s.id for s in gb.students} | set(cd.students()))
        for assignment in names:
            exercises[assignment] = _exercises(gb, assignment)
            several = len({e.notebook for e in exercises[assignment]}) > 1
            submissions = {s.student_id: s for s in gb.find_assignment(assignment).submissions}
            for student in students:
                rows.append(_row(cd, student, assignment, submissions.get(student), exercises[assignment], several))
    return Table(names, exercises, rows)


def _row(cd: CourseDir, student: str, assignment: str, submission, exercises: list[Exercise], several: bool) -> Row:
    row = Row(student, assignment, NO_SUBMISSION, max_total=sum(e.max_score for e in exercises))
    graded = results.load(cd.autograded_dir(student, assignment))
    row.flags = integrity.flag_labels(cd.autograded_dir(student, assignment))
    if submission is None:
        if cd.submission_dir(student, assignment).is_dir():
            row.status = NOT_GRADED
        return row
    row.timestamp = from_naive_utc(submission.timestamp).isoformat(sep=" ") if submission.timestamp else ""
    if submission.assignment.duedate is not None:  # nbgrader: naive UTC, the extension counted in duedate
        row.due = from_naive_utc(submission.duedate).isoformat(sep=" ")
        row.seconds_late = float(submission.total_seconds_late)
    if submission.extension:
        row.extension = describe_duration(submission.extension)
    scores = {}
    for notebook in submission.notebooks:
        row.late_penalty += notebook.late_submission_penalty or 0.0
        for grade in notebook.grades:
            key = f"{notebook.name}/{grade.name}" if several else grade.name
            scores[key] = grade.score
            row.needs_manual_grade |= bool(grade.needs_manual_grade)
    row.points = {e.column(several): scores.get(e.column(several)) for e in exercises}
    if graded is not None:
        row.status, row.reason = graded.status, graded.reason
        for cell in graded.cells:
            key = f"{cell.notebook}/{cell.grade_id}" if several else cell.grade_id
            if cell.messages:
                row.messages[key] = list(cell.messages)
    else:
        row.status = results.GRADED if all(v is not None for v in row.points.values()) else UNGRADED
    return row


def fmt(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def write_csv(t: Table, path: Path) -> Path:
    """The grades CSV ("wide"): student, assignment, one column per exercise, late_penalty, total, max_total, status,
    and when it was handed in against the student's due date. Every cell goes through :func:`.spreadsheet.cell`."""
    exercise_columns: list[str] = []
    for a in t.assignments:
        exercise_columns += [c for c in t.columns(a) if c not in exercise_columns]
    header = ["student", "assignment", *exercise_columns, "late_penalty", "total", "max_total", "status", "reason",
              "needs_manual_grade", "flags", "timestamp", "due", "extension", "hours_late"]
    rows = ([row.student, row.assignment, *(fmt(row.points.get(c)) for c in exercise_columns),
             fmt(row.late_penalty), fmt(row.total), fmt(row.max_total), row.status, row.reason,
             "yes" if row.needs_manual_grade or row.flags else "", "; ".join(row.flags), row.timestamp, row.due,
             row.extension, f"{row.seconds_late / 3600:.2f}" if row.seconds_late else ""] for row in t.rows)
    return spreadsheet.write(path, header, rows)


def text_table(t: Table) -> str:
    """Totals per student (rows) and assignment (columns), for the terminal (no control character of a student
    id reaches it)."""
    shown = {r.student: terminal_safe(r.student, one_line=True) for r in t.rows}
    width = max([len("student")] + [len(name) for name in shown.values()])
    header = f"{'student':<{width}}  " + "  ".join(f"{terminal_safe(a, one_line=True):>18}" for a in t.assignments)
    lines = [header, "-" * len(header)]
    for student in sorted({r.student for r in t.rows}):
        cells = []
        for a in t.assignments:
            row = next(r for r in t.rows if r.student == student and r.assignment == a)
            if row.total is None:
                cells.append(f"{row.label:>18}")
            else:
                flag = "" if row.status == results.GRADED else f" {row.label}"
                flag += " late" if row.late_penalty else ""
                cells.append(f"{fmt(row.total) + '/' + fmt(row.max_total) + flag:>18}")
        lines.append(f"{shown[student]:<{width}}  " + "  ".join(cells))
    return "\n".join(lines)
