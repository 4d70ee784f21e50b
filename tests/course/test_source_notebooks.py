"""Every source notebook runs top to bottom, hidden tests included, with every test cell at full marks."""

from __future__ import annotations

import time

import pytest

from coursetools.course import settings
from coursetools.grading.scoring import grade_solutions

COURSE = settings.load()


@pytest.mark.parametrize("assignment", COURSE.assignments)
def test_source_notebook_earns_full_marks(assignment):
    start = time.perf_counter()
    scores = grade_solutions(assignment, {})
    seconds = time.perf_counter() - start
    lost = {cell: s.error for cell, s in scores.items() if s.score < s.max_score}
    assert scores and not lost, f"the reference loses points on {lost}"
    print(f"{assignment}: {len(scores)} test cells, {sum(s.max_score for s in scores.values()):g} points, "
          f"executed in {seconds:.1f} s")


@pytest.mark.parametrize("assignment", COURSE.assignments)
def test_every_exercise_is_a_function_of_the_reference(assignment):
    """While grading, a later test cell binds every earlier exercise's name to its reference (an answer may build on
    it), so each ``check.exercise`` name must be a function of the solutions."""
    import json
    import re

    from helpers.reference import solutions

    cells = json.loads(COURSE.source_notebook(assignment).read_text(encoding="utf-8"))["cells"]
    names = [m.group(1) for c in cells for m in re.finditer(r'check\.exercise\("[^"]+", "(\w+)"', "".join(c["source"]))]
    reference = solutions(assignment)
    assert names and not [n for n in names if not callable(getattr(reference, n, None))]
