"""What the worker does to a submission before and after running it: grader metadata put back as released, text
repaired, and the executed notebook made inert (no student HTML or JavaScript runs when the instructor opens it)."""

from __future__ import annotations

import copy

import nbformat

from coursetools.grading.inert import REMOVED, course_texts, make_inert, repair_text
from coursetools.grading.metadata import expected_cells, restore
from coursetools.grading.snapshot import SnapshotGradebook

SOLUTION = {"grade": False, "grade_id": "f", "locked": False, "schema_version": 3, "solution": True, "task": False,
            "cell_type": "code", "checksum": "a"}
TEST = {"grade": True, "grade_id": "test_f", "locked": True, "points": 2.0, "schema_version": 3, "solution": False,
        "task": False, "cell_type": "code", "checksum": "b"}
SNAPSHOT = {"hw": {
    "name": "hw", "kernelspec": None,
    "source_cells": [{"name": "f", "cell_type": "code", "locked": False, "checksum": "a", "source": "def f(x):\n    ..."},
                     {"name": "test_f", "cell_type": "code", "locked": True, "checksum": "b",
                      "source": "assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(2) == 3\n### END HIDDEN TESTS"}],
    "grade_cells": [{"name": "test_f", "max_score": 2.0, "cell_type": "code"}],
    "solution_cells": [{"name": "f"}], "task_cells": []}}


def _release():
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Course text <b>bold</b>"),
        nbformat.v4.new_code_cell("def f(x):\n    raise NotImplementedError()", metadata={"nbgrader": dict(SOLUTION)}),
        nbformat.v4.new_code_cell("assert f(1) == 2", metadata={"nbgrader": dict(TEST)})])


def _restore(nb):
    expected = expected_cells(SnapshotGradebook(SNAPSHOT).find_notebook("hw", "a"), _release())
    return restore(nb, expected, {"skip-execution"})


def test_released_metadata_is_put_back():
    nb = _release()
    nb.cells[1].metadata.nbgrader["grade"] = True           # a solution cell marked graded
    nb.cells[1].metadata.nbgrader["points"] = 100
    nb.cells[2].metadata.nbgrader["grade"] = False          # a test cell marked not graded
    nb.cells.append(nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": {   # a cell the course does not have
        "grade": True, "grade_id": "bonus", "points": 50, "solution": False, "locked": False}}))
    notes = _restore(nb)
    assert nb.cells[1].metadata.nbgrader == SOLUTION and nb.cells[2].metadata.nbgrader == TEST
    assert "nbgrader" not in nb.cells[3].metadata
    text = " ".join(n["message"] for n in notes)
    assert "f (a solution cell) had its grader metadata changed" in text
    assert "test_f (a test cell) had its grader metadata changed" in text and "bonus" in text
    assert {n["code"] for n in notes} == {"grader_metadata_changed"}


def test_a_cell_taking_another_cells_id_becomes_an_ordinary_cell():
    nb = _release()
    nb.cells[1].source = "def f(x):\n    return x + 1"
    nb.cells[1].metadata.nbgrader["grade_id"] = "test_f"    # the solution cell takes the test's id
    notes = _restore(nb)
    assert "nbgrader" not in nb.cells[1].metadata and nb.cells[2].metadata.nbgrader == TEST
    assert "took the id test_f" in notes[0]["message"]
    duplicated = _release()
    duplicated.cells.insert(3, copy.deepcopy(duplicated.cells[2]))  # an honest slip: a copied test cell
    notes = _restore(duplicated)
    assert not notes and "nbgrader" not in duplicated.cells[2].metadata and duplicated.cells[3].metadata.nbgrader


def test_skip_execution_tags_are_removed():
    nb = _release()
    nb.cells[2].metadata["tags"] = ["skip-execution", "keep"]
    nb.cells[1].metadata["tags"] = ["skip-execution"]
    notes = _restore(nb)
    assert nb.cells[2].metadata.tags == ["keep"] and nb.cells[1].metadata.tags == []
    assert [n["cells"] for n in notes] == [["f"], ["test_f"]]


def test_lone_surrogates_are_repaired():
    nb = nbformat.from_dict({"cells": [{"cell_type": "markdown", "metadata": {}, "source": "bad \ud800 text"},
                                       {"cell_type": "code", "metadata": {"\udc00": 1}, "source": "x",
                                        "outputs": [], "execution_count": None}],
                             "metadata": {}, "nbformat": 4, "nbformat_minor": 4})
    assert repair_text(nb) == ["cell 1", "cell 2"]
    assert nb.cells[0].source == "bad \ufffd text" and "\ufffd" in nb.cells[1].metadata
    nbformat.writes(nb).encode("utf-8")  # storable now


def test_executed_notebooks_are_made_inert():
    release = _release()
    nb = _release()
    nb.cells[1].outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": "<script>steal()</script>",
                                                     "text/plain": "<IPython.core.display.HTML object>"}),
        nbformat.v4.new_output("display_data", data={"application/javascript": "steal()"}),
        nbformat.v4.new_output("execute_result", data={"text/plain": "0.5", "image/png": "iVBOR"}, execution_count=1),
        nbformat.v4.new_output("display_data", data={"text/html": "<table><tr><td>1</td></tr></table>",
                                                     "text/plain": "table"}),
    ]
    nb.cells.append(nbformat.v4.new_markdown_cell("My answer <img src=x onerror=steal()> [x](javascript:steal())"))
    nb.cells.append(nbformat.v4.new_raw_cell("<script>steal()</script>", metadata={"format": "text/html"}))
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    active = make_inert(nb, course_texts(release))
    outputs = nb.cells[1].outputs
    assert outputs[0].data == {"text/plain": "<IPython.core.display.HTML object>"}
    assert outputs[1].data["text/plain"] == REMOVED.format(types="application/javascript")
    assert outputs[2].data == {"text/plain": "0.5", "image/png": "iVBOR"}, "plain text and images stay (points too)"
    assert outputs[3].data == {"text/plain": "table"}
    assert nb.cells[0].source == "# Course text <b>bold</b>", "the course's own cells stay as released"
    assert "<img" not in nb.cells[3].source and "&lt;img" in nb.cells[3].source
    assert "javascript:" not in nb.cells[3].source.replace("unsafe-javascript:", "")
    assert "format" not in nb.cells[4].metadata and "widgets" not in nb.metadata
    assert active == ["f", "cell 4", "cell 5"]


def test_a_test_cell_as_released_is_restored_without_a_warning_and_an_edited_one_is_reported(caplog):
    """nbgrader warns of a changed checksum for every test cell with hidden tests, untouched or not (its issue
    #1961); the grader warns only of a cell that differs from the one the student was given."""
    import logging

    from nbgrader.utils import compute_checksum

    from coursetools.grading.preprocessors import SnapshotOverwriteCells

    snapshot = copy.deepcopy(SNAPSHOT)
    sources = {c["name"]: c for c in snapshot["hw"]["source_cells"]}
    for cell, meta in (("f", SOLUTION), ("test_f", TEST)):
        sources[cell]["checksum"] = compute_checksum(nbformat.v4.new_code_cell(
            sources[cell]["source"], metadata={"nbgrader": {**meta, "points": 2.0}}))
    release = _release()
    for edited in (False, True):
        nb = copy.deepcopy(release)
        if edited:
            nb.cells[2].source = "assert True"
        resources = {"nbgrader": {"notebook": "hw", "assignment": "a", "db_url": None},
                     "coursetools": {"gradebook": SnapshotGradebook(snapshot), "release": release}}
        caplog.clear()
        # A logger of the test's own: traitlets' shared one may have been set not to propagate by an earlier test.
        log = logging.getLogger("tests.overwrite_cells")
        with caplog.at_level(logging.WARNING, logger=log.name):
            nb, _ = SnapshotOverwriteCells(log=log)(nb, resources)
        assert nb.cells[2].source == sources["test_f"]["source"], "the test cell is restored, hidden tests and all"
        warned = [r.getMessage() for r in caplog.records if "checksum" in r.getMessage()]
        assert len(warned) == edited, warned
