"""The reference solutions, read from the source notebooks themselves.

Each reference solution is written exactly once: in its solution cell of ``source/<assignment>/<assignment>.ipynb``.
:func:`solutions` executes an assignment's setup cells (tagged ``setup``) and its solution cells, in notebook
order, into a fresh module, so the hidden tests compare students against the very code the instructor wrote and
the two can never drift apart.

This subpackage is instructor-only: it is left out of the student package (see ``pyproject.toml``), and it
only works inside the instructor's checkout, where ``source/`` exists.

While a submission is graded, none of this is visible: the grading sandbox (``coursetools/sandbox/``) replaces this
package with a stub whose ``solutions()`` returns proxies, and the grader answers for them from outside the sandbox
(``coursetools/integrity/``), using what it recorded by running the source notebook through :func:`solutions`
with ``COURSE_REFERENCE_RECORD`` set (then every hidden case and reference call is written down).
"""

from __future__ import annotations

import json
import os
import types
from functools import cache
from pathlib import Path

from helpers.checks import ReferenceUnavailable

#: The repository root: helpers/reference/__init__.py -> helpers/reference -> helpers -> root.
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRECTORY = REPOSITORY_ROOT / "source"


def source_notebook(assignment: str) -> Path:
    """The path of an assignment's source notebook: ``source/<assignment>/<assignment>.ipynb``."""
    path = SOURCE_DIRECTORY / assignment / f"{assignment}.ipynb"
    if not path.is_file():
        raise ReferenceUnavailable(
            f"No source notebook for assignment {assignment!r} at {path}. The reference solutions live in the "
            "instructor's checkout of the course repository (source/); they are not part of the student package."
        )
    return path


def is_setup_cell(cell: dict) -> bool:
    """A code cell the solutions depend on (imports, constants), marked with the cell tag ``setup``."""
    return cell["cell_type"] == "code" and "setup" in cell.get("metadata", {}).get("tags", [])


def is_solution_cell(cell: dict) -> bool:
    """An nbgrader solution cell (autograded answer) holding reference code."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell["cell_type"] == "code" and bool(meta.get("solution")) and not meta.get("grade")


def cell_source(cell: dict) -> str:
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def solutions(assignment: str) -> types.ModuleType:
    """The reference solutions of ``assignment`` as a module: ``solutions("01_numpy_basics").sigmoid``.

    Results are cached per process; the notebook is read and executed once.
    """
    module = _solutions(assignment)
    if os.environ.get("COURSE_REFERENCE_RECORD"):
        from helpers.checks._grader import recording_solutions

        return recording_solutions(assignment, module)
    return module


@cache
def _solutions(assignment: str) -> types.ModuleType:
    path = source_notebook(assignment)
    notebook = json.loads(path.read_text(encoding="utf-8"))
    module = types.ModuleType(f"reference_{assignment}", f"Reference solutions of {assignment}, from {path.name}")
    module.__file__ = str(path)
    for index, cell in enumerate(notebook["cells"]):
        if not (is_setup_cell(cell) or is_solution_cell(cell)):
            continue
        label = cell.get("id") or f"cell {index}"
        code = compile(cell_source(cell), f"<{path.name}: {label}>", "exec")
        exec(code, module.__dict__)  # noqa: S102 - the instructor's own notebook
    return module


def reference_function(assignment: str, name: str):
    """The reference solution ``name`` of ``assignment`` itself (never the recording wrapper): what a test cell
    puts in place of the student's function of that name while another exercise is graded."""
    function = getattr(_solutions(assignment), name, None)
    if not callable(function):
        raise ReferenceUnavailable(f"{assignment} has no reference function {name!r}")
    return function


def partial_credit():
    """The course's partial-credit policy (``course.toml`` ``[grading.partial_credit]``)."""
    from .policy import read_policy

    return read_policy(REPOSITORY_ROOT / "course.toml")


@cache
def cell_points(assignment: str, grade_id: str) -> float:
    """The points of the test cell ``grade_id`` in the source notebook of ``assignment``."""
    notebook = json.loads(source_notebook(assignment).read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id") == grade_id and meta.get("grade"):
            return float(meta.get("points", 0))
    raise ReferenceUnavailable(f"{assignment} has no test cell {grade_id!r}")


def _provide() -> None:
    from helpers.checks import _isolation

    _isolation.provide(reference_function, partial_credit, cell_points)


_provide()
