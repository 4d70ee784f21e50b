"""Fast tests of the toolkit's parts: results files, reading submissions, failure messages, hashes, the sample
class, and grades/feedback/report on a gradebook filled by hand (no notebook is executed here)."""

from __future__ import annotations

import csv
import json

import nbformat
import pytest

from coursetools import results, sample_class
from coursetools.autograde import cell_messages, content_hash, _files
from coursetools.coursedir import CourseDir
from coursetools.results import CellResult, GradingResult
from coursetools.worker import JobResult, NotebookOutcome, _read

A = "01_numpy_basics"


def test_results_round_trip_and_atomic_save(tmp_path):
    result = GradingResult("s", "a", results.TIMED_OUT, "cell x ran too long", "h1", "h2",
                           [CellResult("a", "test_x", 0.0, 2.0, ["NotRun: not run"]), CellResult("a", "test_y", 1, 1)])
    results.save(result, tmp_path / "dir")
    loaded = results.load(tmp_path / "dir")
    assert loaded == result and loaded.score == 1 and loaded.max_score == 3 and loaded.label == "timed out"
    (tmp_path / "dir" / results.GRADING_FILE).chmod(0o444)
    results.save(result, tmp_path / "dir")  # replaced even when read-only (nbgrader makes files read-only)
    assert results.load(tmp_path / "nothing") is None
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / results.GRADING_FILE).write_text("{not json")
    assert results.load(tmp_path / "bad") is None


def test_worst_status():
    assert results.worst([]) == results.GRADED
    assert results.worst([results.GRADED, results.MISSING]) == results.MISSING
    assert results.worst([results.INVALID, results.KERNEL_DIED, results.TIMED_OUT]) == results.KERNEL_DIED
    job = JobResult("s", "a", [NotebookOutcome("n1", results.GRADED), NotebookOutcome("n2", results.INVALID, "bad")])
    assert job.status == results.INVALID and job.reason == "n2.ipynb: bad"


@pytest.mark.parametrize("data, reason", [
    (b'{"cells": [', "not valid JSON"),
    (b"", "not valid JSON"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    (b"[1, 2]", "not a Jupyter notebook"),
    (b'{"hello": "world"}', "not a Jupyter notebook"),
])
def test_reading_broken_submissions(data, reason):
    with pytest.raises(ValueError, match=reason):
        _read(data)


def test_reading_a_notebook():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    assert _read(nbformat.writes(notebook).encode()).cells[0].source == "1"


def test_messages_are_error_name_and_value_never_tracebacks():
    cell = nbformat.v4.new_code_cell("### hidden test source\nassert secret == 1", outputs=[
        nbformat.v4.new_output("stream", name="stdout", text="fine\n"),
        nbformat.v4.new_output("error", ename="CheckFailed", evalue="\nsigmoid(0) should be 0.5, got 1\n",
                               traceback=["\x1b[0;31mTraceback\x1b[0m", "assert secret == 1  # hidden"]),
        nbformat.v4.new_output("stream", name="stderr", text="\x1b[31mUserWarning: careful\x1b[0m"),
        nbformat.v4.new_output("error", ename="AssertionError", evalue="", traceback=["hidden line"]),
    ])
    messages = cell_messages(cell)
    assert messages == ["CheckFailed: \nsigmoid(0) should be 0.5, got 1", "printed to stderr: UserWarning: careful",
                        "AssertionError"]
    assert not any("secret" in m or "Traceback" in m for m in messages)
    long = nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output("error", ename="E", evalue="x" * 5000,
                                                                            traceback=[])])
    assert len(cell_messages(long)[0]) < 2100


def test_content_hash_follows_content_and_ignores_checkpoints(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "a.ipynb").write_text("1")
    ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]
    first = content_hash(_files(folder, ignore))
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "a-checkpoint.ipynb").write_text("old")
    assert content_hash(_files(folder, ignore)) == first
    (folder / "a.ipynb").write_text("2")
    assert content_hash(_files(folder, ignore)) != first
    assert content_hash({}) == content_hash(_files(tmp_path / "missing", ignore))


def test_sample_class_material():
    solutions = sample_class.solution_code(A)
    assert solutions and not any("BEGIN SOLUTION" in code for code in solutions.values())
    wrong = sample_class.wrong_variants(A)
    assert len(wrong) >= 5 * len(solutions), "the corpus is the source of the mistakes"
    assert set(gid for gid, _, _ in wrong) == set(solutions)
    assert sample_class.spread(list(range(10)), 3) == [0, 4, 9]
    assert sample_class.corpus("no_such_assignment") is None


# --- grades, feedback and report on a gradebook filled by hand -------------------------------------------------------
@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    import warnings

    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    warnings.simplefilter("ignore", SAWarning)  # nbgrader's add_submission under SQLAlchemy 2

    cd = CourseDir.open(tmp_path_factory.mktemp("filled") / "course")
    release = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("def f(x):\n    raise NotImplementedError()",
                                  metadata={"nbgrader": {"grade_id": "f", "solution": True, "grade": False}}),
        nbformat.v4.new_code_cell("assert f(1) == 2  # visible",
                                  metadata={"nbgrader": {"grade_id": "test_f", "grade": True, "points": 2}}),
        nbformat.v4.new_code_cell("assert g(1) == 1",
                                  metadata={"nbgrader": {"grade_id": "test_g", "grade": True, "points": 1}}),
    ])
    cd.release_notebook("hw").parent.mkdir(parents=True)
    nbformat.write(release, cd.release_notebook("hw"))
    with Gradebook(cd.db_url, "course") as gb:
        gb.add_assignment("hw")
        gb.add_notebook("hw", "hw")
        for name, points in (("test_f", 2), ("test_g", 1)):
            gb.add_grade_cell(name, "hw", "hw", max_score=points, cell_type="code")
            gb.add_source_cell(name, "hw", "hw", cell_type="code", locked=True,
                               source=f"{name} visible\n# hidden: SECRET-{name}", checksum="x")
        for student in ("alice", "bob", "carol"):
            gb.add_student(student)
        for student, (f, g) in {"alice": (2, 1), "bob": (0, 1)}.items():
            gb.add_submission("hw", student)
            for grade in gb.find_submission_notebook("hw", "hw", student).grades:
                grade.auto_score = f if grade.name == "test_f" else g
                grade.needs_manual_grade = False
            gb.db.commit()
    results.save(GradingResult("bob", "hw", results.GRADED, cells=[
        CellResult("hw", "test_f", 0.0, 2.0, ["CheckFailed: f(3) should be 4, got 3"]),
        CellResult("hw", "test_g", 1.0, 1.0, [])]), cd.autograded_dir("bob", "hw"))
    results.save(GradingResult("alice", "hw", results.GRADED), cd.autograded_dir("alice", "hw"))
    cd.submission_dir("dave", "hw").mkdir(parents=True)  # submitted, not graded yet
    return cd


def test_grades_table_and_csv(filled, tmp_path):
    from coursetools.gradebook_export import table, text_table, write_csv

    t = table(filled)
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


def test_integrity_flags_reach_the_csv_and_the_report(filled, tmp_path):
    from coursetools import integrity
    from coursetools.gradebook_export import table, write_csv
    from coursetools.report import report

    review = integrity.Review()
    review.add("tampering", integrity.CHEAT, "replaced in the kernel while grading: numpy.allclose")
    integrity.save(review, filled.autograded_dir("alice", "hw"))
    data = {r["student"]: r for r in csv.DictReader(write_csv(table(filled), tmp_path / "grades.csv").open())}
    assert "numpy.allclose" in data["alice"]["flags"] and data["alice"]["needs_manual_grade"] == "yes"
    assert data["bob"]["flags"] == "" and data["bob"]["needs_manual_grade"] == ""
    html = report(filled, tmp_path / "r.html").read_text()
    assert "flagged for a look" in html and "numpy.allclose" in html


def test_feedback_page_shows_points_and_messages_only(filled):
    from coursetools.feedback import feedback

    pages = {p.student: p.path.read_text() for p in feedback("hw", filled)}
    assert set(pages) == {"alice", "bob"}
    bob = pages["bob"]
    assert "f(3) should be 4, got 3" in bob and "assert f(1) == 2  # visible" in bob
    assert "SECRET" not in bob and "hidden:" not in bob
    assert "Score: <strong>1 / 3</strong>" in bob


def test_report_is_self_contained(filled, tmp_path):
    from coursetools.report import report

    html = report(filled, tmp_path / "r.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and html.count("data:image/png;base64,") == 2
    assert "dave" in html and "not autograded yet" in html


def test_snapshot_gradebook_answers_like_the_gradebook(filled):
    from nbgrader.api import MissingEntry

    from coursetools.worker import SnapshotGradebook, snapshot_notebook

    with filled.gradebook() as gb:
        notebook = gb.find_notebook("hw", "hw")
        snap = SnapshotGradebook({"hw": snapshot_notebook(notebook)})
        assert [c.name for c in snap.find_notebook("hw", "hw").source_cells] == [c.name for c in notebook.source_cells]
        real, mine = gb.find_source_cell("test_g", "hw", "hw"), snap.find_source_cell("test_g", "hw", "hw")
        assert (mine.source, mine.checksum, mine.locked, mine.cell_type) == (
            real.source, real.checksum, real.locked, real.cell_type)
        assert snap.find_graded_cell("test_f", "hw", "hw").max_score == gb.find_graded_cell("test_f", "hw", "hw").max_score
    with pytest.raises(MissingEntry):
        snap.find_source_cell("nope", "hw", "hw")
    json.dumps(snapshot_notebook(notebook))  # plain data: travels to any worker
