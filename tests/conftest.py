"""Shared fixtures. The repository root is importable so that tests reach coursetools and helpers.

* ``dask_client``: a local Dask cluster of two worker processes, shared by the tests of one test process;
* ``filled_course``: a course folder whose gradebook was filled by hand (no notebook executed), for the readers of
  the gradebook (grades, feedback, report, the snapshot).
"""

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from coursetools.course.coursedir import CourseDir  # noqa: E402
from coursetools.grading import results  # noqa: E402
from coursetools.grading.results import CellResult, GradingResult  # noqa: E402


@pytest.fixture(scope="session")
def dask_client():
    from coursetools.grading import cluster

    client, local = cluster.start(2, None)
    yield client
    cluster.close(client, local)


@pytest.fixture(scope="module")
def filled_course(tmp_path_factory):
    import warnings

    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    warnings.simplefilter("ignore", SAWarning)  # nbgrader's add_submission under SQLAlchemy 2

    cd = CourseDir.open(tmp_path_factory.mktemp("filled") / "course")
    release = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("def f(x):\n    raise NotImplementedError()",
                                  metadata={"nbgrader": {"grade_id": "f", "solution": True, "grade": False}}),
        nbformat.v4.new_code_cell("assert f(1) == 2  # visible",
                                  metadata={"nbgrader": {"grade_id": "test_f", "grade": True, "points": 2}}),
        nbformat.v4.new_code_cell("assert g(1) == 1",
                                  metadata={"nbgrader": {"grade_id": "test_g", "grade": True, "points": 1}}),
    ])
    cd.release_notebook("hw").parent.mkdir(parents=True)
    nbformat.write(release, cd.release_notebook("hw"))
    with Gradebook(cd.db_url, "course") as gb:
        gb.add_assignment("hw")
        gb.add_notebook("hw", "hw")
        for name, points in (("test_f", 2), ("test_g", 1)):
            gb.add_grade_cell(name, "hw", "hw", max_score=points, cell_type="code")
            gb.add_source_cell(name, "hw", "hw", cell_type="code", locked=True,
                               source=f"{name} visible\n# hidden: SECRET-{name}", checksum="x")
        for student in ("alice", "bob", "carol"):
            gb.add_student(student)
        for student, (f, g) in {"alice": (2, 1), "bob": (0, 1)}.items():
            gb.add_submission("hw", student)
            for grade in gb.find_submission_notebook("hw", "hw", student).grades:
                grade.auto_score = f if grade.name == "test_f" else g
                grade.needs_manual_grade = False
            gb.db.commit()
    results.save(GradingResult("bob", "hw", results.GRADED, cells=[
        CellResult("hw", "test_f", 0.0, 2.0, ["CheckFailed: f(3) should be 4, got 3"]),
        CellResult("hw", "test_g", 1.0, 1.0, [])]), cd.autograded_dir("bob", "hw"))
    results.save(GradingResult("alice", "hw", results.GRADED), cd.autograded_dir("alice", "hw"))
    cd.submission_dir("dave", "hw").mkdir(parents=True)  # submitted, not graded yet
    return cd
