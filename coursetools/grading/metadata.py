"""The grader's metadata of a submission put back as released, before nbgrader reads it; what was changed, noted.

nbgrader trusts the ``nbgrader`` metadata of the submitted cells: which cell is a test, how many points it gives,
which cells are locked. A student (or a Jupyter extension) can change it, and plain nbgrader then fails the whole
submission or grades it wrongly: a student-added cell claiming to be a test (``KeyError: 'grade_id'``), a test cell
marked as not graded ("Inconsistent checksums"), a solution cell marked as graded (invalid metadata), a solution
cell taking a test cell's id (the test is not run). :class:`RestoreGraderMetadata` runs first among the sanitizing
preprocessors and, from the gradebook snapshot and the release notebook (what the student was given):

* removes grader metadata from cells the assignment does not have (they run as ordinary cells);
* of several cells claiming one id, keeps the one that is that cell (its type and source), the others become
  ordinary cells; nbgrader's OverwriteCells then restores the test cells' sources, and puts back deleted ones;
* gives every known cell the metadata it was released with (test, solution, locked, points);
* removes the ``skip-execution`` tag: the grader runs every code cell of a submission, as "Run All" in Jupyter
  does, so a student cannot choose which of their cells (or of the tests) the grader leaves out, and the code the
  review scans is exactly the code that ran.

Each change is a note (``resources["coursetools"]["notes"]``) the worker turns into a flag with its reason.
"""

from __future__ import annotations

import copy
import re

from nbformat import NotebookNode
from nbgrader.preprocessors.base import NbGraderPreprocessor

#: Roles nbgrader reads from a cell's metadata, compared with the released cell's.
ROLES = ("grade", "solution", "locked", "task")


def _normalized(source) -> str:
    text = "".join(source) if isinstance(source, list) else str(source or "")
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def _without_hidden(source: str) -> str:
    return re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", "", source, flags=re.S)


def expected_cells(snapshot_notebook, release=None) -> dict[str, dict]:
    """grade_id -> what the course says the cell is: ``{"cell_type", "source", "metadata"}`` (nbgrader metadata).

    From the release notebook when there is one (the metadata the student was given), else from the gradebook.
    """
    sources = {c.name: c for c in snapshot_notebook.source_cells}
    grades = {c.name: c for c in snapshot_notebook.grade_cells}
    tasks = {c.name: c for c in snapshot_notebook.task_cells}
    solutions = {c.name for c in snapshot_notebook.solution_cells}
    released: dict[str, dict] = {}
    for cell in (release or {}).get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader")
        if isinstance(meta, dict) and isinstance(meta.get("grade_id"), str):
            released[meta["grade_id"]] = dict(meta)
    expected = {}
    for name, source in sources.items():
        meta = released.get(name)
        if meta is None:
            meta = {"grade": name in grades, "grade_id": name, "locked": bool(source.locked), "schema_version": 3,
                    "solution": name in solutions, "task": name in tasks, "cell_type": source.cell_type,
                    "checksum": source.checksum}
            if name in grades or name in tasks:
                meta["points"] = float((grades.get(name) or tasks[name]).max_score)
        expected[name] = {"cell_type": source.cell_type, "source": source.source, "metadata": meta}
    return expected


def _role(meta: dict) -> str:
    if meta.get("task"):
        return "a task cell"
    if meta.get("grade") and meta.get("solution"):
        return "a graded answer"
    if meta.get("grade"):
        return "a test cell" if meta.get("locked") else "a graded cell"
    if meta.get("solution"):
        return "a solution cell"
    if meta.get("locked"):
        return "a read-only cell"
    return "an ordinary cell"


def _fit(cell, expected: dict) -> tuple[int, int, int]:
    """How much ``cell`` looks like the course's cell (same source, same type, same roles): the best one keeps the id."""
    meta = cell.metadata.get("nbgrader", {})
    source = _normalized(cell.get("source", ""))
    same_source = source in (_normalized(expected["source"]), _normalized(_without_hidden(expected["source"])))
    same_roles = all(bool(meta.get(r)) == bool(expected["metadata"].get(r)) for r in ROLES)
    return int(same_source), int(cell.get("cell_type") == expected["cell_type"]), int(same_roles)


def restore(nb: NotebookNode, expected: dict[str, dict], skip_tags: set[str]) -> list[dict]:
    """Put the grader metadata of ``nb`` back as released (see the module's docstring); returns the notes."""
    notes: list[dict] = []
    claimants: dict[str, list[int]] = {}
    for index, cell in enumerate(nb.cells):
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = NotebookNode()
            notes.append(_note("grader_metadata_changed", f"cell {index + 1} had unreadable metadata (removed)"))
        tags = cell.metadata.get("tags")
        if tags is not None and not isinstance(tags, list):
            # nbclient tests ``tag in tags``: on a string that is a substring test ("skip-execution" in "...").
            cell.metadata["tags"] = tags = [tags] if isinstance(tags, str) else []
        if isinstance(tags, list) and skip_tags & {t for t in tags if isinstance(t, str)}:
            cell.metadata["tags"] = [t for t in tags if t not in skip_tags]
            claimed = cell.metadata.get("nbgrader")
            where = claimed.get("grade_id") if isinstance(claimed, dict) and claimed.get("grade_id") else None
            notes.append(_note("skip_execution", f"{where or f'cell {index + 1}'} was tagged to be skipped; the "
                               "grader ran it like every cell", [where] if where else []))
        if "nbgrader" not in cell.metadata:
            continue
        meta = cell.metadata["nbgrader"]
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        if not isinstance(meta, dict) or not isinstance(grade_id, str) or grade_id not in expected:
            if isinstance(meta, dict) and any(meta.get(r) for r in ROLES):
                shown = grade_id if isinstance(grade_id, str) and grade_id else "no id"
                notes.append(_note("grader_metadata_changed",
                                   f"cell {index + 1} claimed to be {_role(meta)} ({str(shown)[:60]}) that this "
                                   "assignment does not have; it ran as an ordinary cell"))
            elif not isinstance(meta, dict):
                notes.append(_note("grader_metadata_changed", f"cell {index + 1} had unreadable grader metadata "
                                   "(removed)"))
            del cell.metadata["nbgrader"]
            continue
        claimants.setdefault(grade_id, []).append(index)
    for grade_id, indices in claimants.items():
        want = expected[grade_id]
        keep = max(indices, key=lambda i: (_fit(nb.cells[i], want), i))  # ties: the last, as nbgrader keeps
        for index in indices:
            if index == keep:
                continue
            cell = nb.cells[index]
            if _fit(cell, want) != _fit(nb.cells[keep], want) or cell.metadata["nbgrader"] != nb.cells[keep].metadata["nbgrader"]:
                notes.append(_note("grader_metadata_changed",
                                   f"cell {index + 1} took the id {grade_id} of {_role(want['metadata'])}; it ran as "
                                   "an ordinary cell", [grade_id]))
            del cell.metadata["nbgrader"]
        cell = nb.cells[keep]
        meta = cell.metadata["nbgrader"]
        released = want["metadata"]
        changed = [r for r in ROLES if bool(meta.get(r)) != bool(released.get(r))]
        points = released.get("points")
        if points is not None and _points(meta.get("points")) != float(points):
            changed.append("points")
        if changed:
            what = ", ".join(f"{r} {_describe(meta.get(r))} instead of {_describe(released.get(r))}" for r in changed)
            notes.append(_note("grader_metadata_changed",
                               f"{grade_id} ({_role(released)}) had its grader metadata changed ({what[:200]}); "
                               "restored as released", [grade_id]))
        cell.metadata["nbgrader"] = NotebookNode(copy.deepcopy(released))
    return notes


def _points(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _describe(value) -> str:
    if isinstance(value, bool) or value is None:
        return "yes" if value else "no"
    return str(value)[:20]


def _note(code: str, message: str, cells: list[str] | None = None) -> dict:
    return {"code": code, "message": message, "cells": list(cells or [])}


class RestoreGraderMetadata(NbGraderPreprocessor):
    """The first sanitizing step on a worker: the grader metadata put back as released (see the module's docstring).

    Reads the gradebook snapshot (``resources["coursetools"]["gradebook"]``) and the release notebook
    (``["release"]``); adds its notes to ``["notes"]``.
    """

    def preprocess(self, nb, resources):
        state = resources["coursetools"]
        notebook = state["gradebook"].find_notebook(resources["nbgrader"]["notebook"],
                                                    resources["nbgrader"]["assignment"])
        skip = {"skip-execution", str(state.get("skip_tag") or "skip-execution")}
        notes = restore(nb, expected_cells(notebook, state.get("release")), skip)
        state.setdefault("notes", []).extend(notes)
        return nb, resources
