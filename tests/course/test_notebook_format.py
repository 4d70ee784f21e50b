"""Committed notebooks carry no outputs, keep stable unique ids, and are in canonical form."""

from __future__ import annotations

from pathlib import Path

import pytest

from coursetools.course import settings
from coursetools.course.notebooks import dumps, read_notebook

COURSE = settings.load()
NOTEBOOKS = sorted((COURSE.root / "source").glob("*/*.ipynb")) + sorted((COURSE.root / "release").glob("*/*.ipynb"))


def test_every_assignment_has_a_source_notebook():
    for assignment in COURSE.assignments:
        assert COURSE.source_notebook(assignment).is_file(), assignment
    assert sorted(p.parent.name for p in (COURSE.root / "source").glob("*/*.ipynb")) == sorted(COURSE.assignments)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(COURSE.root)))
def test_notebook_is_canonical(path: Path):
    notebook = read_notebook(path)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{cell.id} has outputs"
    ids = [cell.id for cell in notebook.cells]
    assert len(ids) == len(set(ids)), "duplicate cell ids"
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id:
            assert cell.id == grade_id, f"cell {cell.id} should take its grade_id {grade_id} as id"
    assert path.read_text() == dumps(notebook), f"{path.name} is not normalized: rebuild or run the release"
