"""Reading, writing and normalizing notebooks: committed notebooks carry no outputs and keep stable cell ids."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}


def normalized(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy with outputs, execution counts and volatile metadata removed, and nbformat 4.5 ids kept."""
    notebook = nbformat.from_dict(json.loads(json.dumps(notebook)))
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    notebook.metadata = nbformat.from_dict(
        {k: v for k, v in notebook.metadata.items() if k in ("kernelspec", "language_info")}
    )
    notebook.metadata.setdefault("kernelspec", KERNELSPEC)
    notebook.metadata["language_info"] = LANGUAGE_INFO
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for volatile in ("execution", "collapsed", "scrolled", "ExecuteTime"):
            cell.metadata.pop(volatile, None)
    return notebook


def dumps(notebook: nbformat.NotebookNode) -> str:
    """The canonical text of a notebook, as committed."""
    return nbformat.writes(normalized(notebook)) + "\n"


def write_notebook(notebook: nbformat.NotebookNode, path: Path) -> None:
    """Write ``notebook`` normalized to ``path`` (creating folders)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(normalized(notebook))
    path.write_text(dumps(notebook), encoding="utf-8")


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a notebook as nbformat 4."""
    return nbformat.read(path, as_version=4)
