"""release/ is what source/ generates, carries no solutions, and every stub fails its tests."""

from __future__ import annotations

import re

import pytest

from coursetools.course import settings
from coursetools.course.generate import COLAB_BADGE_ID, COLAB_SETUP_ID, generate_to
from coursetools.course.notebooks import read_notebook
from coursetools.grading.scoring import grade_solutions
from helpers.reference import cell_source, is_solution_cell

COURSE = settings.load()
SOLUTION_BLOCK = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


@pytest.mark.parametrize("assignment", COURSE.assignments)
def test_release_is_what_source_generates(assignment, tmp_path):
    fresh = generate_to(assignment, tmp_path / f"{assignment}.ipynb")
    committed = COURSE.release_notebook(assignment)
    assert committed.is_file(), f"release/{assignment} is missing: run `./run python -m coursetools release`"
    assert committed.read_text() == fresh.read_text(), (
        f"release/{assignment} is out of date with source/: run `./run python -m coursetools release {assignment}`")


@pytest.mark.parametrize("assignment", COURSE.assignments)
def test_release_holds_no_solution_and_no_hidden_test(assignment):
    release = COURSE.release_notebook(assignment).read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "helpers.reference"):
        assert marker not in release, f"release/{assignment} contains {marker!r}"
    source = read_notebook(COURSE.source_notebook(assignment))
    # Lines the instructor shows students on purpose (a hint, a worked example) may also appear in a solution.
    shown = "\n".join(SOLUTION_BLOCK.sub("", cell_source(cell)) for cell in source.cells)
    for cell in source.cells:
        if is_solution_cell(cell):
            for block in SOLUTION_BLOCK.findall(cell_source(cell)):
                for line in block.splitlines():
                    line = line.strip()
                    if len(line) > 25 and not line.startswith("#") and line not in shown:
                        assert line not in release, f"solution line of {cell.id} leaked: {line!r}"


@pytest.mark.parametrize("assignment", COURSE.assignments)
def test_release_starts_with_colab_badge_and_setup(assignment):
    cells = read_notebook(COURSE.release_notebook(assignment)).cells
    assert [cells[0].id, cells[1].id] == [COLAB_BADGE_ID, COLAB_SETUP_ID]
    assert COURSE.colab_url(assignment) in cells[0].source
    assert COURSE.helpers_ref in cells[1].source and COURSE.github_repository in cells[1].source


@pytest.mark.parametrize("assignment", COURSE.assignments)
def test_every_stub_fails_its_tests(assignment):
    """The untouched release scores zero on every test cell (nbgrader validate --invert)."""
    stubs = {c.metadata["nbgrader"]["grade_id"]: c.source
             for c in read_notebook(COURSE.release_notebook(assignment)).cells
             if c.metadata.get("nbgrader", {}).get("solution")}
    scores = grade_solutions(assignment, stubs)
    passing = [cell for cell, s in scores.items() if s.score > 0]
    assert scores and not passing, f"these test cells pass on the untouched release: {passing}"
