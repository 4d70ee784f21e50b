"""Generate the student notebooks: ``nbgrader generate_assignment``, then the Colab badge and set-up cell.

``release/`` is committed (Colab opens notebooks from the repository) and must always be exactly what this module
generates from ``source/``; ``tests/test_release.py`` regenerates it in a scratch folder and compares.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

import nbformat

from . import colab_setup, settings
from .nbgrader import nbgrader_config
from .notebooks import read_notebook, write_notebook

COLAB_BADGE_ID = "colab-badge"
COLAB_SETUP_ID = "colab-setup"


class ReleaseError(RuntimeError):
    """nbgrader could not generate an assignment; the message carries nbgrader's log."""


def colab_cells(course: settings.Course, assignment: str) -> list[nbformat.NotebookNode]:
    """The badge and the set-up cell that open every release notebook."""
    badge = nbformat.v4.new_markdown_cell(
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({course.colab_url(assignment)})"
        f"  \n*{course.title}*: run the first code cell once; it installs the course helpers and data on Colab,"
        " checks them on your own computer, and says what to do if something is missing."
    )
    badge["id"] = COLAB_BADGE_ID
    # The set-up cell's code lives in colab_setup.py, where it is tested on its own; Colab shows it as a form
    # (its #@title line), JupyterLab folds it: students read what it prints, not its code.
    setup = nbformat.v4.new_code_cell(colab_setup.cell_source(course),
                                      metadata={"cellView": "form", "jupyter": {"source_hidden": True}})
    setup["id"] = COLAB_SETUP_ID
    return [badge, setup]


def add_colab_cells(notebook: nbformat.NotebookNode, course: settings.Course, assignment: str) -> nbformat.NotebookNode:
    """Put the Colab badge and set-up cell first (replacing older ones, so the step is idempotent)."""
    notebook.cells = [c for c in notebook.cells if c.get("id") not in (COLAB_BADGE_ID, COLAB_SETUP_ID)]
    notebook.cells[:0] = colab_cells(course, assignment)
    return notebook


def generate(assignment: str, root: Path, db_url: str) -> Path:
    """Run nbgrader's generate_assignment for ``assignment`` in the course folder ``root`` and finish the notebook.

    Records the assignment in the gradebook at ``db_url`` (autograde needs it) and returns the release notebook.
    """
    from nbgrader.apps import NbGraderAPI

    course = settings.load()
    api = NbGraderAPI(config=nbgrader_config(root, db_url))
    api.log.setLevel(logging.WARNING)
    result = api.generate_assignment(assignment, force=True, create=True)
    if not result.get("success"):
        raise ReleaseError(f"nbgrader could not generate {assignment}:\n{result.get('log', '')}{result.get('error', '')}")
    release_dir = root / "release" / assignment
    extra = sorted(p.name for p in release_dir.iterdir() if p.suffix != ".ipynb")
    if extra:
        raise ReleaseError(f"source/{assignment}/ holds files that would reach students: {extra}. Keep data in helpers/.")
    path = release_dir / f"{assignment}.ipynb"
    write_notebook(add_colab_cells(read_notebook(path), course, assignment), path)
    return path


def generate_to(assignment: str, destination: Path) -> Path:
    """Generate ``assignment`` in a scratch course folder and return the release notebook copied to ``destination``.

    Nothing in the repository (release/, the gradebook) changes: this is what the sync test compares against.
    """
    course = settings.load()
    with tempfile.TemporaryDirectory(prefix="release-") as scratch:
        root = Path(scratch)
        shutil.copytree(course.source / assignment, root / "source" / assignment)
        path = generate(assignment, root, f"sqlite:///{root / 'gradebook.db'}")
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
    return destination
