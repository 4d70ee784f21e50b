"""The gradebook rows that sanitizing reads, as plain data: workers grade without a database.

Two of nbgrader's preprocessors read the gradebook (the source cells of OverwriteCells, the kernelspec of
OverwriteKernelspec). The client takes a snapshot of those rows (:func:`snapshot_notebook`) and the workers answer
nbgrader's queries from it (:class:`SnapshotGradebook`): nbgrader's code runs unchanged on the same data.
"""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace

from nbgrader.api import MissingEntry


def snapshot_notebook(notebook) -> dict:
    """The rows of ``notebook`` (an nbgrader.api.Notebook) that sanitizing reads, as plain data, in ORM order."""
    return {
        "name": notebook.name,
        "kernelspec": notebook.kernelspec,
        "source_cells": [{"name": c.name, "cell_type": c.cell_type, "locked": bool(c.locked), "checksum": c.checksum,
                          "source": c.source} for c in notebook.source_cells],
        "grade_cells": [{"name": c.name, "max_score": c.max_score, "cell_type": c.cell_type}
                        for c in notebook.grade_cells],
        "solution_cells": [{"name": c.name} for c in notebook.solution_cells],
        "task_cells": [{"name": c.name, "max_score": c.max_score} for c in notebook.task_cells],
    }


def snapshot_hash(snapshot: dict[str, dict]) -> str:
    return hashlib.sha256(json.dumps(snapshot, sort_keys=True).encode()).hexdigest()


def _rows(rows: list[dict]) -> list[SimpleNamespace]:
    return [SimpleNamespace(**r) for r in rows]


class SnapshotGradebook:
    """Answers the few gradebook queries of OverwriteCells and OverwriteKernelspec from a snapshot."""

    def __init__(self, snapshot: dict[str, dict]):
        self._notebooks = {
            name: SimpleNamespace(name=name, kernelspec=data["kernelspec"], source_cells=_rows(data["source_cells"]),
                                  grade_cells=_rows(data["grade_cells"]), solution_cells=_rows(data["solution_cells"]),
                                  task_cells=_rows(data["task_cells"]))
            for name, data in snapshot.items()}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def close(self):
        return None

    def find_notebook(self, notebook: str, assignment: str):
        try:
            return self._notebooks[notebook]
        except KeyError:
            raise MissingEntry() from None

    def find_source_cell(self, name: str, notebook: str, assignment: str):
        for cell in self.find_notebook(notebook, assignment).source_cells:
            if cell.name == name:
                return cell
        raise MissingEntry()

    def find_graded_cell(self, name: str, notebook: str, assignment: str):
        nb = self.find_notebook(notebook, assignment)
        for cell in nb.grade_cells + nb.task_cells:
            if cell.name == name:
                return cell
        raise MissingEntry()
