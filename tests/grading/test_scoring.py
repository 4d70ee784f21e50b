"""The real thing: release, submit and ``nbgrader autograde`` a small class of assignment 01, SQLite gradebook.

Covers what Colab does to notebooks: deleted and edited test cells (restored from the gradebook), and a notebook
saved as nbformat 4.0 without cell ids. Also checks that the fast in-process grader used by the corpus tests
agrees with nbgrader on every student.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from coursetools.course import settings
from coursetools.course.generate import generate
from coursetools.course.notebooks import read_notebook
from coursetools.grading.scoring import execute_and_score, solution_code
from coursetools.samples.corpus import a01_numpy_basics as corpus
from tests.support.course import colab_saved, nbgrader_autograde

pytestmark = pytest.mark.slow
COURSE = settings.load()
ASSIGNMENT = "01_numpy_basics"


def _with_solutions(release: nbformat.NotebookNode, solutions: dict[str, str]) -> nbformat.NotebookNode:
    notebook = nbformat.from_dict(json.loads(json.dumps(release)))
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in solutions:
            cell.source = solutions[grade_id]
    return notebook


def _class(release: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    reference = solution_code(ASSIGNMENT)
    wrong = {**reference, "softmax": corpus.WRONG["softmax"]["unstable_exp"]}
    students = {
        "reference": _with_solutions(release, reference),
        "untouched": release,
        "wrong_softmax": _with_solutions(release, wrong),
    }
    # Warnings on stderr from a correct answer (overflow in the textbook sigmoid, a UserWarning) cost nothing.
    students["warns"] = _with_solutions(release, {
        **reference, "sigmoid": corpus.CORRECT["sigmoid"]["textbook_with_overflow_warning"],
        "basic_sigmoid": corpus.CORRECT["basic_sigmoid"]["warns_but_right"]})
    deleted = _with_solutions(release, reference)
    deleted.cells = [c for c in deleted.cells
                     if c.metadata.get("nbgrader", {}).get("grade_id") not in ("test_sigmoid", "test_softmax", "test_L1")]
    students["deleted_tests"] = deleted
    edited = _with_solutions(release, wrong)
    for cell in edited.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_softmax":
            cell.source = "pass  # the student 'fixed' the failing test"
            cell.metadata.pop("deletable", None)
            cell.metadata.pop("editable", None)
    students["edited_test"] = edited
    colab = _with_solutions(release, reference)
    students["colab_saved"] = colab  # written as nbformat 4.0 without ids below
    return students


def _write(notebook: nbformat.NotebookNode, path: Path, colab: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(colab_saved(notebook) if colab else nbformat.writes(notebook))


def test_nbgrader_autograde_round_trip(tmp_path):
    root = tmp_path / "course"
    shutil.copytree(COURSE.source / ASSIGNMENT, root / "source" / ASSIGNMENT)
    db_url = f"sqlite:///{root / 'gradebook.db'}"
    release = read_notebook(generate(ASSIGNMENT, root, db_url))
    students = _class(release)
    for student, notebook in students.items():
        _write(notebook, root / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", colab=student == "colab_saved")

    nbgrader_autograde(ASSIGNMENT, root, db_url, timeout=900)

    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gradebook:
        scores = {s: gradebook.find_submission(ASSIGNMENT, s).score for s in students}
        max_score = gradebook.find_assignment(ASSIGNMENT).max_score
        softmax_points = gradebook.find_grade_cell("test_softmax", ASSIGNMENT, ASSIGNMENT).max_score

    source_points = sum(c.metadata["nbgrader"]["points"] for c in read_notebook(COURSE.source_notebook(ASSIGNMENT)).cells
                        if c.metadata.get("nbgrader", {}).get("grade"))
    assert max_score == source_points
    assert scores["reference"] == max_score
    assert scores["untouched"] == 0
    assert scores["wrong_softmax"] == max_score - softmax_points
    assert scores["warns"] == max_score, "warnings on stderr must not cost points"
    assert scores["deleted_tests"] == max_score, "deleted test cells must be restored and graded"
    assert scores["edited_test"] == max_score - softmax_points, "an edited test cell must be restored from the gradebook"
    assert scores["colab_saved"] == max_score, "a Colab-saved notebook (nbformat 4.0, no ids) must grade normally"

    # The fast grader of the corpus tests gives the same totals as nbgrader.
    for student in ("reference", "wrong_softmax"):
        graded = read_notebook(root / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
        fast = execute_and_score(graded)
        assert sum(s.score for s in fast.values()) == scores[student], student
