"""Write and edit source notebooks as plain text.

The source notebooks in ``source/`` are the truth; this module converts them to and from a plain-text form that
reads well in a diff and an editor, with the nbgrader metadata written as one short header per cell::

    %% markdown
    # Title
    %% code setup                   <- a cell tagged "setup" (imports the reference solutions depend on)
    import numpy as np
    %% solution sigmoid             <- an autograded answer cell, grade_id "sigmoid"
    def sigmoid(x): ...
    %% tests test_sigmoid points=2  <- a locked test cell worth 2 points
    ...
    %% code                         <- an ordinary code cell
    %% readonly intro               <- a locked markdown cell

Usage::

    python -m coursetools.course.authoring export source/01_numpy_basics/01_numpy_basics.ipynb notebook.txt
    python -m coursetools.course.authoring build notebook.txt source/01_numpy_basics/01_numpy_basics.ipynb

Cell ids are stable: nbgrader cells take their grade_id, other cells keep the id given after ``id=`` or get one
derived from their content, so rebuilding an unchanged notebook changes nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shlex
from pathlib import Path

import nbformat

from .notebooks import KERNELSPEC, LANGUAGE_INFO, write_notebook

HEADER = re.compile(r"^%% (markdown|readonly|code|solution|tests)\b(.*)$")


def _nbgrader(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def _content_id(kind: str, source: str, taken: set[str]) -> str:
    base = f"{kind[:2]}-" + hashlib.sha1(source.encode()).hexdigest()[:8]
    cell_id, n = base, 1
    while cell_id in taken:
        n += 1
        cell_id = f"{base}-{n}"
    return cell_id


def build(text: str) -> nbformat.NotebookNode:
    """Build a notebook from the plain-text form."""
    cells: list[tuple[str, dict, list[str]]] = []
    for line in text.splitlines():
        match = HEADER.match(line)
        if match:
            kind, rest = match.groups()
            words = shlex.split(rest)
            options: dict = dict(w.split("=", 1) for w in words if "=" in w)
            options["_flags"] = [w for w in words if "=" not in w]
            cells.append((kind, options, []))
        elif cells:
            cells[-1][2].append(line)
        elif line.strip():
            raise ValueError(f"Text before the first cell header: {line!r}")
    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO})
    taken: set[str] = set()
    for kind, options, lines in cells:
        source = "\n".join(lines).strip("\n")
        flags = options.pop("_flags")
        if kind in ("markdown", "readonly"):
            cell = nbformat.v4.new_markdown_cell(source)
        else:
            cell = nbformat.v4.new_code_cell(source)
        if kind == "solution":
            grade_id = flags[0]
            cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=False, solution=True, locked=False)
        elif kind == "tests":
            grade_id = flags[0]
            cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=True, solution=False, locked=True,
                                                  points=float(options.get("points", 1)))
        elif kind == "readonly":
            grade_id = flags[0]
            cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=False, solution=False, locked=True)
        else:
            grade_id = None
            if "setup" in flags:
                cell.metadata["tags"] = ["setup"]
        cell_id = grade_id or options.get("id") or _content_id(kind, source, taken)
        if cell_id in taken:
            raise ValueError(f"Two cells share the id {cell_id!r}")
        taken.add(cell_id)
        cell["id"] = cell_id
        notebook.cells.append(cell)
    return notebook


def export(notebook: nbformat.NotebookNode) -> str:
    """The plain-text form of a notebook (outputs are dropped)."""
    parts = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and not meta.get("grade"):
            header = f"%% solution {meta['grade_id']}"
        elif meta.get("grade") and cell.cell_type == "code":
            points = meta.get("points", 1)
            header = f"%% tests {meta['grade_id']} points={points:g}"
        elif meta.get("locked") and cell.cell_type == "markdown":
            header = f"%% readonly {meta['grade_id']}"
        elif cell.cell_type == "markdown":
            header = f"%% markdown id={cell.get('id')}"
        else:
            tags = " setup" if "setup" in cell.metadata.get("tags", []) else ""
            header = f"%% code{tags} id={cell.get('id')}"
        parts.append(header + "\n" + cell.source.strip("\n"))
    return "\n\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m coursetools.course.authoring", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="plain text -> notebook")
    b.add_argument("text", type=Path)
    b.add_argument("notebook", type=Path)
    e = sub.add_parser("export", help="notebook -> plain text")
    e.add_argument("notebook", type=Path)
    e.add_argument("text", type=Path)
    args = parser.parse_args(argv)
    if args.command == "build":
        write_notebook(build(args.text.read_text(encoding="utf-8")), args.notebook)
    else:
        args.text.write_text(export(nbformat.read(args.notebook, as_version=4)), encoding="utf-8")


if __name__ == "__main__":
    main()
