"""The grading corpora: every wrong variant loses points, every correct alternative keeps full marks.

Wrong variants are graded up to their own test cell (enough to show the loss); the correct alternatives of all
functions are graded together, the k-th alternative of every function in one full run of the notebook.
"""

from __future__ import annotations

import pytest

from coursetools.grading.scoring import grade_solutions, solution_code
from coursetools.samples.corpus import corpora

CORPORA = corpora()
MIN_WRONG, MIN_CORRECT = 5, 2

WRONG_CASES = [
    pytest.param(c.ASSIGNMENT, grade_id, name, code, id=f"{c.ASSIGNMENT}-{grade_id}-{name}")
    for c in CORPORA for grade_id, variants in c.WRONG.items() for name, code in variants.items()
]


def _correct_rounds(corpus):
    rounds = max(len(v) for v in corpus.CORRECT.values())
    for k in range(rounds):
        picked = {gid: list(v.items())[k] for gid, v in corpus.CORRECT.items() if k < len(v)}
        yield pytest.param(corpus.ASSIGNMENT, picked, id=f"{corpus.ASSIGNMENT}-alternatives-{k + 1}")


CORRECT_CASES = [case for c in CORPORA for case in _correct_rounds(c)]


@pytest.mark.parametrize("corpus", CORPORA, ids=lambda c: c.ASSIGNMENT)
def test_corpus_covers_every_graded_function(corpus):
    functions = set(solution_code(corpus.ASSIGNMENT))
    for kind, variants, minimum in (("wrong", corpus.WRONG, MIN_WRONG), ("correct", corpus.CORRECT, MIN_CORRECT)):
        assert set(variants) == functions, f"{kind} variants for {sorted(set(variants) ^ functions)} missing or extra"
        thin = {gid: len(v) for gid, v in variants.items() if len(v) < minimum}
        assert not thin, f"fewer than {minimum} {kind} variants: {thin}"


@pytest.mark.parametrize("assignment, grade_id, name, code", WRONG_CASES)
def test_wrong_variant_loses_points(assignment, grade_id, name, code):
    test_cell = f"test_{grade_id}"
    scores = grade_solutions(assignment, {grade_id: code}, stop_after=test_cell)
    assert scores[test_cell].score < scores[test_cell].max_score, (
        f"wrong variant {name!r} of {grade_id} kept full marks on {test_cell}")


@pytest.mark.parametrize("assignment, picked", CORRECT_CASES)
def test_correct_alternatives_keep_full_marks(assignment, picked):
    scores = grade_solutions(assignment, {gid: code for gid, (_, code) in picked.items()})
    lost = {cell: s.error for cell, s in scores.items() if s.score < s.max_score}
    names = {gid: name for gid, (name, _) in picked.items()}
    assert not lost, f"correct alternatives {names} lost points: {lost}"
