"""grades --format canvas|moodle|long from a roster, the mistakes table, and the feedback policy for hidden cases, on
the hand-filled gradebook of tests/conftest.py (alice 3/3, bob 1/3, carol in the gradebook without a submission,
dave submitted but not graded)."""

from __future__ import annotations

import csv
import datetime

from coursetools.cli import main
from coursetools.grading import results
from coursetools.grading.results import CellResult, GradingResult
from coursetools.reporting import feedback, lms
from coursetools.reporting.class_report import report
from coursetools.reporting.grades import Row, table
from coursetools.reporting.spreadsheet import cell

ROSTER = """student,first_name,last_name,email,section,canvas_id,sis_user_id,sis_login_id,id_number
alice,Ada,Lovelace,ada@example.edu,Lab 1,101,S1,alovelace,2001
bob,Bob,"=HYPERLINK(""http://x"")",bob@example.edu,Lab 2,102,S2,bbaker,2002
carol,Carol,Cole,carol@example.edu,Lab 1,103,S3,ccole,2003
dave,Dave,Dunn,dave@example.edu,Lab 2,104,S4,ddunn,2004
erin,Erin,Eve,erin@example.edu,Lab 1,105,S5,eeve,2005
"""


def _rows(path):
    return list(csv.reader(path.open(encoding="utf-8")))


def test_canvas_file_column_by_column(filled_course, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    out = tmp_path / "canvas.csv"
    assert main(["grades", "--root", str(filled_course.root), "--format", "canvas", "--roster", str(roster),
                 "--output", str(out), "--quiet"]) == 0
    rows = _rows(out)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "hw"]
    assert rows[1] == ["Points Possible", "", "", "", "", "3"], "the points-possible row Canvas's export has"
    by_login = {r[3]: r for r in rows[2:]}
    assert by_login["alovelace"] == ["Lovelace, Ada", "101", "S1", "alovelace", "Lab 1", "3"]
    assert by_login["bbaker"][0] == "'=HYPERLINK(\"http://x\"), Bob", "a formula in student text is neutralised"
    assert by_login["bbaker"][5] == "1"
    assert by_login["ccole"][5] == "0" and by_login["eeve"][5] == "0", "roster students without a submission: 0"
    assert by_login["ddunn"][5] == "", "submitted, not graded yet: left empty (Canvas keeps the grade it has)"


def test_moodle_file_and_warnings(filled_course, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER.replace("alice,", "alicia,", 1))
    t = table(filled_course)
    export = lms.write_moodle(t, lms.read_roster(roster), tmp_path / "moodle.csv")
    rows = _rows(export.path)
    assert rows[0] == ["First name", "Last name", "ID number", "Email address", "hw"]
    assert rows[2] == ["Bob", "'=HYPERLINK(\"http://x\")", "2002", "bob@example.edu", "1"]
    assert any("alice has grades but is not on the roster" in w for w in export.warnings)
    assert any("dave" in w and "not autograded" in w for w in export.warnings)


def test_long_table_has_messages_and_counts(filled_course, tmp_path):
    path = lms.write_long(table(filled_course), tmp_path / "long.csv").path
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    bob = {r["exercise"]: r for r in rows if r["student"] == "bob"}
    assert bob["test_f"]["points"] == "0" and bob["test_f"]["max_points"] == "2"
    assert bob["test_f"]["message"] == "CheckFailed: f(#) should be #, got #"
    assert bob["test_f"]["students_with_message"] == "1" and bob["test_g"]["message"] == ""
    assert {r["status"] for r in rows if r["student"] == "carol"} == {"no_submission"}


def test_cells_are_safe_for_spreadsheets():
    assert [cell(v) for v in ("=1+1", "+cmd", "-2+3", "@SUM(A1)", "-0.5", "ok", 1.5, None, True)] == [
        "'=1+1", "'+cmd", "'-2+3", "'@SUM(A1)", "'-0.5", "ok", "1.5", "", "yes"]
    assert cell(-0.5) == "-0.5", "numbers the toolkit writes stay numbers"


def test_report_says_what_the_class_got_wrong(filled_course, tmp_path):
    html = report(filled_course, tmp_path / "r.html").read_text()
    assert "What the class got wrong" in html
    assert "CheckFailed: f(#) should be #, got #</code> <b>&times;1</b>" in html
    assert "Not compared yet" in html


def test_feedback_holds_back_hidden_cases_by_policy(filled_course):
    message = ("CheckFailed: f(...) on hidden case 2 (inputs: 3) has the wrong value.\n  expected: 4\n  got:      3")
    results.save(GradingResult("bob", "hw", results.GRADED, cells=[
        CellResult("hw", "test_f", 0.0, 2.0, [message]), CellResult("hw", "test_g", 1.0, 1.0, [])]),
        filled_course.autograded_dir("bob", "hw"))
    t = table(filled_course, ["hw"])
    bob = next(r for r in t.rows if r.student == "bob")

    def page(policy: str, row: Row) -> str:
        return feedback.render(filled_course, row, t.exercises["hw"], "hw", False, hidden_cases=policy)

    assert "expected: 4" in page("always", bob)
    never = page("never", bob)
    assert "f(...): hidden case 2 failed." in never and "expected: 4" not in never
    assert "does not show what hidden cases expected" in never
    soon = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).isoformat(sep=" ")
    before = Row(**{**bob.__dict__, "due": soon})
    assert "expected: 4" not in page("after_due", before) and "once the due date" in page("after_due", before)
    past = Row(**{**bob.__dict__, "due": "2020-01-01 00:00:00+00:00"})
    assert "expected: 4" in page("after_due", past)
    assert "expected: 4" in page("after_due", bob), "no due date: nothing to wait for"
