"""Grade a notebook the way nbgrader's autograde does, in-process and without a gradebook.

nbgrader's autograde (1) restores every test cell from the source version, hidden tests included, (2) executes the
notebook with ``NBGRADER_EXECUTION=autograde``, (3) drops stderr blocks matching ``IgnorePattern`` and (4) scores
each test cell with :func:`nbgrader.utils.determine_grade`: full points unless it raised or wrote to stderr.

For a submission whose cells are intact, step (1) gives the source notebook with the student's code in the
solution cells; :func:`graded_version` builds exactly that. The corpus tests use it to grade hundreds of variants
quickly; ``tests/grading/test_scoring.py`` checks that real ``nbgrader autograde`` gives the same scores.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass

import nbformat
from nbclient import NotebookClient
from nbgrader.utils import determine_grade, is_grade, is_solution

from ..course import settings
from ..course.kernel import GRADING_ENVIRONMENT, KERNEL_NAME, QUIET_KERNEL
from ..course.nbgrader import nbgrader_setting
from ..course.notebooks import read_notebook


@dataclass(frozen=True)
class CellScore:
    grade_id: str
    score: float
    max_score: float
    error: str  # the error name and message of a failed test cell, or ""


def graded_version(assignment: str, solutions: dict[str, str]) -> nbformat.NotebookNode:
    """The source notebook of ``assignment`` with the given solution cells' code replaced.

    ``solutions`` maps a solution cell's grade_id to the code a student wrote there; cells not named keep the
    reference solution.
    """
    notebook = read_notebook(settings.load().source_notebook(assignment))
    known = {c.metadata["nbgrader"]["grade_id"] for c in notebook.cells if is_solution(c)}
    unknown = set(solutions) - known
    if unknown:
        raise KeyError(f"{assignment} has no solution cell named {sorted(unknown)}; it has {sorted(known)}")
    for cell in notebook.cells:
        if is_solution(cell) and cell.metadata["nbgrader"]["grade_id"] in solutions:
            cell.source = solutions[cell.metadata["nbgrader"]["grade_id"]]
    return notebook


def execute_and_score(notebook: nbformat.NotebookNode, stop_after: str | None = None,
                      timeout: int = 120) -> dict[str, CellScore]:
    """Execute ``notebook`` as autograde would and score its test cells.

    With ``stop_after`` (a test cell's grade_id), cells after that one are not run: enough to show that a
    variant fails its own test, at a fraction of the cost.
    """
    notebook = nbformat.from_dict(notebook)
    if stop_after is not None:
        ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in notebook.cells]
        notebook.cells = notebook.cells[: ids.index(stop_after) + 1]
    pattern = nbgrader_setting("IgnorePattern", "pattern")
    with tempfile.TemporaryDirectory(prefix="grade-") as workdir:
        # A generous start-up limit: on a loaded machine a kernel can take long to start, and that is not the
        # submission's fault.
        for attempt in (1, 2):
            client = NotebookClient(notebook, timeout=timeout, startup_timeout=180, kernel_name=KERNEL_NAME,
                                    allow_errors=True, resources={"metadata": {"path": workdir}},
                                    extra_arguments=QUIET_KERNEL)
            try:
                client.execute(env={**os.environ, **GRADING_ENVIRONMENT})
                break
            except RuntimeError as error:
                # A kernel that dies while starting (a loaded machine) says nothing about the submission.
                if attempt == 2 or "before replying to kernel_info" not in str(error):
                    raise
    return {cell.metadata["nbgrader"]["grade_id"]: _cell_score(cell, pattern) for cell in notebook.cells
            if is_grade(cell) and cell.cell_type == "code"}


def grade_solutions(assignment: str, solutions: dict[str, str], stop_after: str | None = None,
                    timeout: int = 120) -> dict[str, CellScore]:
    """Scores of the source notebook with ``solutions`` substituted: see :func:`graded_version`."""
    return execute_and_score(graded_version(assignment, solutions), stop_after=stop_after, timeout=timeout)


def solution_code(assignment: str) -> dict[str, str]:
    """The reference code of every solution cell of ``assignment``, by grade_id."""
    notebook = read_notebook(settings.load().source_notebook(assignment))
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in notebook.cells if is_solution(c)}



def _cell_score(cell, pattern: str | None) -> CellScore:
    if pattern:
        cell.outputs = [o for o in cell.outputs if not (
            o.output_type == "stream" and o.name == "stderr" and re.search(pattern, o.text))]
    score, max_score = determine_grade(cell)
    errors = [f"{o.ename}: {o.evalue}" for o in cell.outputs if o.output_type == "error"]
    errors += [f"stderr: {o.text}" for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
    return CellScore(cell.metadata["nbgrader"]["grade_id"], float(score), float(max_score), "\n".join(errors))


def cell_text(cell) -> str:
    """What a test cell printed (its stdout), for the corpus tests' checks of the partial-credit tally."""
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


@dataclass(frozen=True)
class SweepResult:
    """One variant of a sweep: its scores on every test cell from its own on, and what those cells printed."""

    grade_id: str
    name: str
    scores: dict[str, CellScore]
    printed: dict[str, str]


def sweep(assignment: str, variants: list[tuple[str, str, str]], timeout: int = 300) -> list[SweepResult]:
    """Grade many one-answer variants of ``assignment`` in one kernel, as autograde scores them.

    ``variants``: (solution grade_id, variant name, code). The source notebook runs once with the reference
    solutions; then, for each variant, its code replaces its solution cell, every test cell from that cell on runs
    again and is scored, and the reference solution is put back. A mistake that reaches a later test cell through a
    function it calls shows there; one that would reach it only through a cell that is not a test (a training run)
    does not: the test cells build their own inputs, so that cannot happen.
    """
    from jupyter_core.utils import run_sync

    notebook = read_notebook(settings.load().source_notebook(assignment))
    pattern = nbgrader_setting("IgnorePattern", "pattern")
    index = {c.metadata.get("nbgrader", {}).get("grade_id"): i for i, c in enumerate(notebook.cells)}
    results = []
    with tempfile.TemporaryDirectory(prefix="sweep-") as workdir:
        client = NotebookClient(notebook, timeout=timeout, startup_timeout=180, kernel_name=KERNEL_NAME,
                                allow_errors=True, resources={"metadata": {"path": workdir}},
                                extra_arguments=QUIET_KERNEL)
        execute = run_sync(client.async_execute_cell)
        with client.setup_kernel(env={**os.environ, **GRADING_ENVIRONMENT}, cwd=workdir):
            for i, cell in enumerate(notebook.cells):
                if cell.cell_type == "code":
                    execute(cell, i, store_history=True)
            for grade_id, name, code in variants:
                start = index[grade_id]
                reference = notebook.cells[start]
                execute(nbformat.v4.new_code_cell(code, metadata=reference.metadata), start, store_history=True)
                scores, printed = {}, {}
                for i in range(start + 1, len(notebook.cells)):
                    cell = notebook.cells[i]
                    if cell.cell_type != "code" or not is_grade(cell):
                        continue
                    run = nbformat.from_dict(cell)
                    execute(run, i, store_history=True)
                    scores[run.metadata["nbgrader"]["grade_id"]] = _cell_score(run, pattern)
                    printed[run.metadata["nbgrader"]["grade_id"]] = cell_text(run)
                execute(nbformat.from_dict(reference), start, store_history=True)
                results.append(SweepResult(grade_id, name, scores, printed))
    return results
