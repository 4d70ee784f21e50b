"""The ``release`` command: generate assignments into a course folder and check that every stub fails its tests.

For the repository (the default) this is :func:`coursetools.release.release`: release/ and the gradebook of
nbgrader_config.py. For another folder (the demo's, a test's) the source folders are copied there first, and
the folder gets an nbgrader_config.py so that nbgrader's own commands work in it too.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from . import release as releasing
from . import settings
from .coursedir import CourseDir
from .notebooks import read_notebook


class StubsPass(AssertionError):
    """A test cell passes on the untouched release notebook: the tests would give points for no work."""


@dataclass
class Released:
    assignment: str
    notebook: Path
    failing_tests: int = 0  # test cells that fail on the untouched release (all of them, when verified)


def stub_scores(assignment: str, release_notebook: Path) -> dict:
    """Scores of the untouched release notebook (its stubs in the source notebook), graded in-process."""
    from .grading import grade_solutions

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
    if cd.root != course.root:
        cd.write_nbgrader_config()
    for assignment in names:
        if cd.root != course.root and course.source_notebook(assignment).is_file():
            target = cd.source_dir(assignment)
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(course.source / assignment, target)
        path = releasing.generate(assignment, cd.root, cd.db_url)
        done.append(Released(assignment, path, verify_stubs_fail(assignment, path) if verify else 0))
    return done
