"""Grades for an LMS and for analysis: Canvas's and Moodle's import CSVs, and a long table (one row per exercise).

A **roster** CSV maps the student folders of ``submitted/`` to the LMS's people. Columns (a header row; names are
case-insensitive, unknown ones are ignored):

* ``student``: the folder name in ``submitted/`` (nbgrader's student CSV, whose column is ``id``, works as it is);
* ``first_name``, ``last_name`` (or ``name``), ``email``, ``section``;
* for Canvas: ``canvas_id`` (Canvas's numeric user ID, the ``ID`` column of its gradebook export), ``sis_user_id``,
  ``sis_login_id``;
* for Moodle: ``id_number`` (the "ID number" of the user's profile) or ``email``.

Every roster student gets a row in the LMS files: one without a submission scores 0 (status ``no_submission``).
A submission not graded yet, or left for manual grading, gets an empty cell (both LMSs leave an empty cell's grade
as it is) and a warning. A student graded here but not on the roster is left out of the LMS files, with a warning.

**Canvas** (``--format canvas``), as Canvas's gradebook import reads it (Canvas Instructor Guide, "How do I import
grades in the Gradebook?", https://community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807,
and the importer's own tests, instructure/canvas-lms ``spec/models/gradebook_importer_spec.rb``): the header
``Student, ID, SIS User ID, SIS Login ID, Section``, then one column per assignment (its name, or the column
name course.toml's ``[lms.columns]`` gives it, e.g. ``"Assignment 1 (1234)"`` as in Canvas's export, to match an
existing Canvas assignment); the second row ``Points Possible`` with each assignment's maximum; then a row per
student. ``Student`` is "Last, First" as in Canvas's export; Canvas finds the student by ID, SIS User ID or SIS
Login ID (or the name, when those are empty).

**Moodle** (``--format moodle``), for Moodle's CSV grade import (MoodleDocs, "Grade import",
https://docs.moodle.org/en/Grade_import): ``First name, Last name, ID number, Email address``, then one column per
assignment. On Moodle's import page, under "Identify user by", map from "Email address" to "useremail" (or from
"ID number" to "useridnumber"), and map each assignment column to its grade item.

**Long** (``--format long``): one row per student, assignment and exercise, with the failure message (first line,
normalised: :mod:`.mistakes`), the diagnoses, and how many students of the class hit the same message.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ..grading import results
from . import spreadsheet
from .grades import NO_SUBMISSION, NOT_GRADED, UNGRADED, Row, Table, fmt
from .mistakes import class_mistakes, diagnoses, headline

FORMATS = ("wide", "long", "canvas", "moodle")
_ALIASES = {
    "student": ("student", "folder", "id"),
    "first_name": ("first_name", "first name", "firstname", "given_name"),
    "last_name": ("last_name", "last name", "lastname", "surname", "family_name"),
    "name": ("name", "full_name", "full name"),
    "email": ("email", "email address", "e-mail"),
    "section": ("section",),
    "canvas_id": ("canvas_id", "canvas id", "lms_id", "user_id"),
    "sis_user_id": ("sis_user_id", "sis user id"),
    "sis_login_id": ("sis_login_id", "sis login id", "login", "login_id"),
    "id_number": ("id_number", "id number", "idnumber", "student_number"),
}


class RosterError(ValueError):
    """The roster cannot be read, or lacks what a format needs."""


@dataclass(frozen=True)
class Person:
    student: str
    first_name: str = ""
    last_name: str = ""
    name: str = ""
    email: str = ""
    section: str = ""
    canvas_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    id_number: str = ""

    @property
    def sortable_name(self) -> str:
        """"Last, First", as Canvas writes its students."""
        if self.last_name and self.first_name:
            return f"{self.last_name}, {self.first_name}"
        return self.name or self.last_name or self.first_name or self.student

    @property
    def full_name(self) -> tuple[str, str]:
        if self.first_name or self.last_name:
            return self.first_name, self.last_name
        first, _, last = (self.name or self.student).partition(" ")
        return first, last


def read_roster(path: Path) -> list[Person]:
    """The roster CSV (see the module's docstring), in its order."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise RosterError(f"cannot read the roster {path}: {error}") from None
    reader = csv.DictReader(text.splitlines())
    columns = {(c or "").strip().lower(): c for c in reader.fieldnames or []}
    found = {field: next((columns[a] for a in aliases if a in columns), None) for field, aliases in _ALIASES.items()}
    if found["student"] is None:
        raise RosterError(f"{path}: the roster needs a 'student' column (the folder names of submitted/; "
                          f"nbgrader's 'id' works too); it has {sorted(columns)}")
    people, seen = [], set()
    for number, raw in enumerate(reader, start=2):
        values = {field: (raw.get(column) or "").strip() for field, column in found.items() if column}
        if not values.get("student"):
            continue
        if values["student"] in seen:
            raise RosterError(f"{path}, line {number}: student {values['student']!r} is on the roster twice")
        seen.add(values["student"])
        people.append(Person(**values))
    return people


@dataclass
class Export:
    path: Path
    rows: int
    warnings: list[str]


def _rows_by_student(t: Table) -> dict[tuple[str, str], Row]:
    return {(r.student, r.assignment): r for r in t.rows}


def _grade_cell(row: Row | None, warnings: list[str], who: str) -> str:
    """An assignment's points for an LMS: the total after the late penalty; 0 without a submission; empty if unknown."""
    if row is None or row.status == NO_SUBMISSION:
        return "0"
    if row.status == NOT_GRADED:
        warnings.append(f"{who}: {row.assignment} is submitted but not autograded yet (left empty)")
        return ""
    if row.status == results.ERROR or row.status == UNGRADED or any(v is None for v in row.points.values()):
        warnings.append(f"{who}: {row.assignment} has points still to be given by hand (left empty)")
        return ""
    return fmt(row.total)


def _column_names(t: Table, columns: dict[str, str] | None) -> list[str]:
    columns = columns or {}
    return [str(columns.get(a, a)) for a in t.assignments]


def _left_out(t: Table, people: list[Person]) -> list[str]:
    known = {p.student for p in people}
    graded = sorted({r.student for r in t.rows if r.status != NO_SUBMISSION} - known)
    return [f"{s} has grades but is not on the roster: left out of the LMS file" for s in graded]


def write_canvas(t: Table, people: list[Person], path: Path, columns: dict[str, str] | None = None) -> Export:
    """Canvas's gradebook import CSV (see the module's docstring)."""
    warnings = _left_out(t, people)
    rows = _rows_by_student(t)
    maxima = [fmt(next((r.max_total for r in t.rows_of(a)), 0.0)) for a in t.assignments]
    body: list[list[str]] = [["Points Possible", "", "", "", "", *maxima]]
    for person in people:
        if not (person.canvas_id or person.sis_user_id or person.sis_login_id):
            warnings.append(f"{person.student}: no canvas_id, sis_user_id or sis_login_id on the roster "
                            f"(Canvas will look the student up by name)")
        body.append([person.sortable_name, person.canvas_id, person.sis_user_id, person.sis_login_id, person.section,
                     *(_grade_cell(rows.get((person.student, a)), warnings, person.student) for a in t.assignments)])
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *_column_names(t, columns)]
    spreadsheet.write(path, header, body)
    return Export(path, len(people), warnings)


def write_moodle(t: Table, people: list[Person], path: Path, columns: dict[str, str] | None = None) -> Export:
    """Moodle's CSV grade import (see the module's docstring), keyed by email address or ID number."""
    warnings = _left_out(t, people)
    rows = _rows_by_student(t)
    body = []
    for person in people:
        if not (person.email or person.id_number):
            warnings.append(f"{person.student}: neither an email nor an id_number on the roster (Moodle cannot "
                            f"find the student)")
        first, last = person.full_name
        body.append([first, last, person.id_number, person.email,
                     *(_grade_cell(rows.get((person.student, a)), warnings, person.student) for a in t.assignments)])
    header = ["First name", "Last name", "ID number", "Email address", *_column_names(t, columns)]
    spreadsheet.write(path, header, body)
    return Export(path, len(people), warnings)


def write_long(t: Table, path: Path, people: list[Person] | None = None) -> Export:
    """One row per student, assignment and exercise: points, status, the failure message, diagnoses, and how many
    students of the class got the same message on that exercise."""
    warnings: list[str] = []
    by_person = {p.student: p for p in people or []}
    rows = _rows_by_student(t)
    students = sorted({r.student for r in t.rows} | set(by_person))
    header = ["student", "name", "section", "assignment", "exercise", "points", "max_points", "status",
              "late_penalty", "hours_late", "message", "students_with_message", "diagnosis"]
    body: list[list] = []
    for assignment in t.assignments:
        counts = {m.exercise: dict(m.messages) for m in class_mistakes(t, assignment)}
        several = t.several(assignment)
        for student in students:
            row = rows.get((student, assignment))
            person = by_person.get(student)
            name = person.sortable_name if person else ""
            section = person.section if person else ""
            for exercise in t.exercises[assignment]:
                column = exercise.column(several)
                if row is None or row.status == NO_SUBMISSION:
                    points = "0" if person else ""
                    body.append([student, name, section, assignment, column, points, fmt(exercise.max_score),
                                 NO_SUBMISSION, "", "", "", "", ""])
                    continue
                messages = row.messages.get(column, []) if (row.points.get(column) or 0) < exercise.max_score else []
                message = headline(messages)
                body.append([student, name, section, assignment, column, fmt(row.points.get(column)),
                             fmt(exercise.max_score), row.status, fmt(row.late_penalty),
                             f"{row.seconds_late / 3600:.2f}" if row.seconds_late else "", message,
                             counts.get(column, {}).get(message, "") if message else "",
                             "; ".join(diagnoses(messages))])
    spreadsheet.write(path, header, body)
    return Export(path, len(body), warnings)
