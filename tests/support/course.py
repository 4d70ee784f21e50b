"""A tiny course for the toolkit's tests: one assignment of three quick exercises, released in a scratch folder.

Executing it takes about a second, so the end-to-end tests of autograde (statuses, time limits, re-runs,
PostgreSQL) stay fast; the test of equality with nbgrader uses the real assignment 01.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat

from coursetools.course import settings
from coursetools.course.authoring import build
from coursetools.course.coursedir import CourseDir
from coursetools.course.notebooks import read_notebook, write_notebook

TINY = "tiny"

TINY_TEXT = '''\
%% markdown id=title
# A tiny assignment
%% code setup id=imports
import time
%% solution add_one
def add_one(x):
    ### BEGIN SOLUTION
    return x + 1
    ### END SOLUTION
%% tests test_add_one points=1
assert add_one(1) == 2, "add_one(1) should be 2"
### BEGIN HIDDEN TESTS
assert add_one(41) == 42, "add_one(41) should be 42: the hidden test tiny-secret-one-forty-one"
### END HIDDEN TESTS
%% solution double
def double(x):
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION
%% tests test_double points=2
assert double(2) == 4, "double(2) should be 4"
### BEGIN HIDDEN TESTS
assert double(-3) == -6, "double(-3) should be -6: the hidden test tiny-secret-minus-three"
### END HIDDEN TESTS
%% solution square
def square(x):
    ### BEGIN SOLUTION
    return x * x
    ### END SOLUTION
%% tests test_square points=3
assert square(3) == 9, "square(3) should be 9"
### BEGIN HIDDEN TESTS
assert square(-4) == 16, "square(-4) should be 16: the hidden test tiny-secret-minus-four"
### END HIDDEN TESTS
'''

HIDDEN_MARKS = ("tiny-secret-one-forty-one", "tiny-secret-minus-three", "tiny-secret-minus-four")
REFERENCE = {"add_one": "def add_one(x):\n    return x + 1\n", "double": "def double(x):\n    return 2 * x\n",
             "square": "def square(x):\n    return x * x\n"}
POINTS = {"test_add_one": 1.0, "test_double": 2.0, "test_square": 3.0}


def make_course(root: Path, db_url: str | None = None, assignment: str = TINY) -> CourseDir:
    """A course folder at ``root`` with the tiny assignment released (and recorded in its gradebook)."""
    from coursetools.commands.release import release

    cd = CourseDir.open(root, db_url)
    write_notebook(build(TINY_TEXT), cd.source_notebook(assignment))
    release([assignment], cd, verify=False)
    return cd


def answered(cd: CourseDir, answers: dict[str, str], assignment: str = TINY) -> nbformat.NotebookNode:
    notebook = read_notebook(cd.release_notebook(assignment))
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") in answers:
            cell.source = answers[meta["grade_id"]]
    return notebook


def submit(cd: CourseDir, student: str, content, assignment: str = TINY) -> Path:
    """Write a submission: a notebook, or raw bytes / text (for broken files)."""
    path = cd.submission_dir(student, assignment) / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, nbformat.NotebookNode):
        content = nbformat.writes(content)
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return path


def scores(cd: CourseDir, assignment: str = TINY) -> dict[str, dict[str, float | None]]:
    """student -> grade_id -> score, from the gradebook."""
    with cd.gradebook() as gb:
        return {s.student_id: {g.name: g.score for nb in s.notebooks for g in nb.grades}
                for s in gb.find_assignment(assignment).submissions}


def colab_saved(notebook: nbformat.NotebookNode) -> str:
    """The notebook as Colab saves it: nbformat 4.0, no cell ids, no lock metadata."""
    data = json.loads(nbformat.writes(notebook))
    data["nbformat_minor"] = 0
    for cell in data["cells"]:
        cell.pop("id", None)
        cell["metadata"].pop("deletable", None)
        cell["metadata"].pop("editable", None)
    return json.dumps(data, indent=1)


def venv_environment() -> dict[str, str]:
    """This environment with the course's Python first on PATH (nbgrader's gradebook shells out to ``alembic``)."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def nbgrader_autograde(assignment: str, root: Path, db_url: str, timeout: float = 1200) -> None:
    """Plain serial ``nbgrader autograde --create`` of every submission in ``root``: the reference behaviour."""
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", assignment, "--create",
         f"--CourseDirectory.root={root}", f"--CourseDirectory.db_url={db_url}"],
        cwd=settings.ROOT, env=venv_environment(), capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
