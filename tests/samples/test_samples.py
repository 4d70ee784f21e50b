"""The sample classes: made from the course's own material."""

from __future__ import annotations

from coursetools import samples

A = "01_numpy_basics"


def test_sample_class_material():
    solutions = samples.solution_code(A)
    assert solutions and not any("BEGIN SOLUTION" in code for code in solutions.values())
    wrong = samples.wrong_variants(A)
    assert len(wrong) >= 5 * len(solutions), "the corpus is the source of the mistakes"
    assert set(gid for gid, _, _ in wrong) == set(solutions)
    assert samples.spread(list(range(10)), 3) == [0, 4, 9]
    assert samples.corpus("no_such_assignment") is None
