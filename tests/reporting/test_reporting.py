"""Grades, feedback and the class report, on a gradebook filled by hand (no notebook is executed here)."""

from __future__ import annotations

import csv

from coursetools import integrity
from coursetools.reporting.class_report import report
from coursetools.reporting.feedback import feedback
from coursetools.reporting.grades import table, text_table, write_csv


def test_grades_table_and_csv(filled_course, tmp_path):
    t = table(filled_course)
    assert t.assignments == ["hw"] and t.columns("hw") == ["test_f", "test_g"]
    rows = {r.student: r for r in t.rows}
    assert (rows["alice"].total, rows["bob"].total, rows["carol"].total) == (3, 1, None)
    assert (rows["carol"].status, rows["dave"].status) == ("no_submission", "not_graded")
    path = write_csv(t, tmp_path / "grades.csv")
    data = {r["student"]: r for r in csv.DictReader(path.open())}
    assert data["bob"]["test_f"] == "0" and data["bob"]["total"] == "1" and data["bob"]["max_total"] == "3"
    assert data["carol"]["total"] == "" and data["carol"]["status"] == "no_submission"
    assert "alice" in text_table(t) and "3/3" in text_table(t)
    assert data["alice"]["flags"] == "" and data["alice"]["needs_manual_grade"] == ""


def test_integrity_flags_reach_the_csv_and_the_report(filled_course, tmp_path):
    review = integrity.Review()
    review.add("tampering", integrity.CHEAT, "replaced in the kernel while grading: numpy.allclose")
    integrity.save(review, filled_course.autograded_dir("alice", "hw"))
    data = {r["student"]: r for r in csv.DictReader(write_csv(table(filled_course), tmp_path / "grades.csv").open())}
    assert "numpy.allclose" in data["alice"]["flags"] and data["alice"]["needs_manual_grade"] == "yes"
    assert data["bob"]["flags"] == "" and data["bob"]["needs_manual_grade"] == ""
    html = report(filled_course, tmp_path / "r.html").read_text()
    assert "flagged for a look" in html and "numpy.allclose" in html


def test_feedback_page_shows_points_and_messages_only(filled_course):
    pages = {p.student: p.path.read_text() for p in feedback("hw", filled_course)}
    assert set(pages) == {"alice", "bob"}
    bob = pages["bob"]
    assert "f(3) should be 4, got 3" in bob and "assert f(1) == 2  # visible" in bob
    assert "SECRET" not in bob and "hidden:" not in bob
    assert "Score: <strong>1 / 3</strong>" in bob


def test_report_is_self_contained(filled_course, tmp_path):
    html = report(filled_course, tmp_path / "r.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and html.count("data:image/png;base64,") == 2
    assert "dave" in html and "not autograded yet" in html
