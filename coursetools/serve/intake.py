"""What an upload must be before it is kept: an open assignment, a plain ``.ipynb`` name, not too large, a valid
notebook, and the notebook of that assignment. Each refusal says what to do, in a sentence a student can act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import nbformat

from ..grading.worker import read_submission
from .store import Refused


@dataclass(frozen=True)
class AssignmentInfo:
    """What the service knows of an open assignment (read once at start)."""

    name: str
    notebook: str                       # the one notebook students hand in (its file name without .ipynb)
    cell_ids: frozenset[str]            # the nbgrader ids of its release notebook's cells
    hidden: dict[str, str] = field(default_factory=dict)  # grade_id -> hidden part of the test cell (source)
    due: float | None = None            # the gradebook's due date, seconds since the epoch (None: no due date)


def mib(n: int) -> str:
    return f"{n / 1024 / 1024:g} MiB"


def check_assignment(name: str, open_: dict[str, AssignmentInfo]) -> AssignmentInfo:
    if not name or any(c in name for c in "/\\\0") or ".." in name or name.startswith("."):
        raise Refused(400, f"{name[:80]!r} is not an assignment name. Choose one of: {', '.join(open_) or 'none'}.")
    if name not in open_:
        raise Refused(404, f"There is no assignment {name[:80]!r} open for hand-in. Open now: "
                           f"{', '.join(open_) or 'none'}.")
    return open_[name]


def check_filename(filename: str | None) -> None:
    if filename is None or filename == "":
        return
    if any(c in filename for c in "/\\\0") or filename.startswith(".") or ".." in filename:
        raise Refused(400, f"The file name {filename[:80]!r} is not a plain file name: upload the notebook file "
                           "itself (for example 01_numpy_basics.ipynb).")
    if not filename.lower().endswith(".ipynb"):
        raise Refused(415, f"{filename[:80]!r} is not a Jupyter notebook: upload the .ipynb file (in Colab: File > "
                           "Download > Download .ipynb; in Jupyter: File > Download).")


def check_size(data: bytes, limit: int) -> None:
    if not data:
        raise Refused(400, "The file is empty: upload the .ipynb file you worked in.")
    if len(data) > limit:
        raise Refused(413, too_large(limit))


def too_large(limit: int) -> str:
    return (f"The upload is larger than the {mib(limit)} a notebook may be. Clear the outputs (Edit > Clear all "
            "outputs), save, and hand it in again.")


def check_notebook(data: bytes, info: AssignmentInfo, open_: dict[str, AssignmentInfo]):
    """The parsed notebook, or :class:`Refused` saying why it cannot be this assignment's."""
    try:
        notebook = read_submission(data)
    except ValueError as error:
        raise Refused(422, f"This file cannot be graded: it is {error}. Upload the .ipynb file you worked in.")
    try:
        nbformat.validate(notebook)  # read_submission has silenced nbformat's repairs of cell ids
    except nbformat.ValidationError as error:
        raise Refused(422, f"This file is not a valid Jupyter notebook ({str(error).splitlines()[0][:200]}). "
                           "Upload the .ipynb file as Jupyter or Colab saved it.")
    ids = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in notebook.cells}
    ids.discard(None)
    if ids & info.cell_ids:
        return notebook
    other = [a.name for a in open_.values() if a.name != info.name and ids & a.cell_ids]
    if other:
        raise Refused(422, f"This is the notebook of {other[0]}, not of {info.name}: choose {other[0]}, or upload "
                           f"your {info.notebook}.ipynb.")
    raise Refused(422, f"This notebook has none of the exercises of {info.name} (their cells carry nbgrader ids, "
                       "which a notebook made anew or copied cell by cell loses). Upload the "
                       f"{info.notebook}.ipynb you worked in.")
