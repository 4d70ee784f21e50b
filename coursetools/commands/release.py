"""``release [ASSIGNMENT...]``: generate assignments into a course folder and check that every stub fails its tests.

For the repository (the default): release/ and the gradebook of nbgrader_config.py. For another folder (the
demo's, a test's) the source folders are copied there first, and the folder gets an nbgrader_config.py so that
nbgrader's own commands work in it too.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from ..course import generate, settings
from ..course.coursedir import CourseDir
from ..course.deadlines import to_naive_utc
from ..course.notebooks import read_notebook
from ..grading.scoring import grade_solutions
from ._options import course_dir

NAME = "release"
SUMMARY = "generate assignments into release/ and check the stubs"
DESCRIPTION = ("Generate assignments (all of course.toml by default) into release/ with nbgrader generate_assignment, "
               "add the Colab badge and set-up cell, record them in the gradebook, and check that every test fails "
               "on the untouched release.")


class StubsPass(AssertionError):
    """A test cell passes on the untouched release notebook: the tests would give points for no work."""


@dataclass
class Released:
    assignment: str
    notebook: Path
    failing_tests: int = 0  # test cells that fail on the untouched release (all of them, when verified)


def stub_scores(assignment: str, release_notebook: Path) -> dict:
    """Scores of the untouched release notebook (its stubs in the source notebook), graded in-process."""
    stubs = {c.metadata["nbgrader"]["grade_id"]: c.source for c in read_notebook(release_notebook).cells
             if c.metadata.get("nbgrader", {}).get("solution") and not c.metadata["nbgrader"].get("grade")}
    return grade_solutions(assignment, stubs)


def verify_stubs_fail(assignment: str, release_notebook: Path) -> int:
    """Raise :class:`StubsPass` if any test cell passes on the untouched release; returns the number of tests."""
    scores = stub_scores(assignment, release_notebook)
    passing = sorted(cell for cell, s in scores.items() if s.score > 0)
    if not scores:
        raise StubsPass(f"{assignment} has no test cell")
    if passing:
        raise StubsPass(f"{assignment}: these test cells pass on the untouched release notebook: {passing}")
    return len(scores)


def release(assignments: list[str] | None = None, cd: CourseDir | None = None, verify: bool = True) -> list[Released]:
    """Generate ``assignments`` (all of course.toml by default) into ``cd`` (the repository by default)."""
    course = settings.load()
    cd = cd or CourseDir.open()
    names = list(assignments or course.assignments)
    unknown = [a for a in names if not course.source_notebook(a).is_file() and not cd.source_notebook(a).is_file()]
    if unknown:
        raise FileNotFoundError(f"no source notebook for {unknown} (expected source/<assignment>/<assignment>.ipynb)")
    done = []
    deadlines = course.deadlines()
    if cd.root != course.root:
        cd.write_nbgrader_config()
    for assignment in names:
        if cd.root != course.root and course.source_notebook(assignment).is_file():
            target = cd.source_dir(assignment)
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(course.source / assignment, target)
        path = generate.generate(assignment, cd.root, cd.db_url)
        _record_due_date(cd, assignment, deadlines)
        done.append(Released(assignment, path, verify_stubs_fail(assignment, path) if verify else 0))
    return done


def _record_due_date(cd: CourseDir, assignment: str, deadlines) -> None:
    """course.toml's due date into the gradebook (nbgrader's Assignment.duedate, naive UTC), so formgrader shows it."""
    due = deadlines.due_for(assignment)
    if due is not None:
        with cd.gradebook() as gb:
            gb.update_or_create_assignment(assignment, duedate=to_naive_utc(due))


def add_arguments(parser) -> None:
    parser.add_argument("assignments", nargs="*", metavar="ASSIGNMENT")
    parser.add_argument("--no-verify", action="store_true", help="skip the check that every stub fails its tests")


def run(args) -> int:
    for r in release(args.assignments or None, course_dir(args), verify=not args.no_verify):
        checked = f", {r.failing_tests} tests all failing on the stubs" if r.failing_tests else ""
        print(f"released {r.assignment}: {r.notebook}{checked}")
    return 0
