"""The grading corpora: every wrong variant loses points, only in its own test cell; every correct alternative keeps
full marks; a test cell that passes some hidden cases earns points in proportion.

The wrong variants of an assignment are graded in one kernel (:func:`coursetools.grading.scoring.sweep`): each
variant in its solution cell, then every test cell from there on, scored as autograde scores them. The correct
alternatives of all functions are graded together, the k-th alternative of every function in one full run.
"""

from __future__ import annotations

import ast
import json
import re

import pytest

from coursetools import samples
from coursetools.course import settings
from coursetools.grading.scoring import grade_solutions, solution_code, sweep
from coursetools.samples.corpus import corpora

CORPORA = corpora()
MIN_WRONG, MIN_CORRECT = 5, 2
POLICY = settings.load().partial_credit()
TALLY = re.compile(r"^(\d+) of (\d+) hidden cases of \w+ passed\.$", re.M)

def _correct_rounds(corpus):
    rounds = max(len(v) for v in corpus.CORRECT.values())
    for k in range(rounds):
        picked = {gid: list(v.items())[k] for gid, v in corpus.CORRECT.items() if k < len(v)}
        yield pytest.param(corpus.ASSIGNMENT, picked, id=f"{corpus.ASSIGNMENT}-alternatives-{k + 1}")


CORRECT_CASES = [case for c in CORPORA for case in _correct_rounds(c)]


def _calls_earlier(corpus, gid: str, code: str) -> list[str]:
    """The earlier graded functions a variant of ``gid`` calls by name (read from its code)."""
    order = list(solution_code(corpus.ASSIGNMENT))
    earlier = set(order[:order.index(gid)])
    called = {n.func.id for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    return sorted(called & earlier)


def _building_rounds(corpus):
    """Correct answers that call earlier graded functions, each earlier one answered with a wrong variant: the k-th
    such answer of every function in one run."""
    building = {gid: [(name, code) for name, code in variants.items() if _calls_earlier(corpus, gid, code)]
                for gid, variants in corpus.CORRECT.items()}
    building = {gid: v for gid, v in building.items() if v}
    for k in range(max((len(v) for v in building.values()), default=0)):
        picked = {gid: v[k] for gid, v in building.items() if k < len(v)}
        called = {c for gid, (_, code) in picked.items() for c in _calls_earlier(corpus, gid, code)} - set(picked)
        wrong = {gid: next(iter(corpus.WRONG[gid].items())) for gid in sorted(called)}
        yield pytest.param(corpus.ASSIGNMENT, picked, wrong, id=f"{corpus.ASSIGNMENT}-building-{k + 1}")


BUILDING_CASES = [case for c in CORPORA for case in _building_rounds(c)]


@pytest.mark.parametrize("corpus", CORPORA, ids=lambda c: c.ASSIGNMENT)
def test_corpus_covers_every_graded_function(corpus):
    functions = set(solution_code(corpus.ASSIGNMENT))
    for kind, variants, minimum in (("wrong", corpus.WRONG, MIN_WRONG), ("correct", corpus.CORRECT, MIN_CORRECT)):
        assert set(variants) == functions, f"{kind} variants for {sorted(set(variants) ^ functions)} missing or extra"
        thin = {gid: len(v) for gid, v in variants.items() if len(v) < minimum}
        assert not thin, f"fewer than {minimum} {kind} variants: {thin}"


@pytest.mark.parametrize("corpus", CORPORA, ids=lambda c: c.ASSIGNMENT)
def test_wrong_variants_lose_points_only_in_their_own_test_cell(corpus):
    variants = [(gid, name, code) for gid, named in corpus.WRONG.items() for name, code in named.items()]
    kept, cascades, unfair = [], [], []
    partial = 0
    for result in sweep(corpus.ASSIGNMENT, variants):
        own = f"test_{result.grade_id}"
        lost = {cell for cell, s in result.scores.items() if s.score < s.max_score}
        label = f"{result.grade_id}/{result.name}"
        if own not in lost:
            kept.append(label)
        if lost - {own}:
            cascades.append(f"{label} also lost {sorted(lost - {own})}")
        score = result.scores[own]
        if 0 < score.score < score.max_score:
            partial += 1
            tally = TALLY.findall(result.printed[own])
            passed, total = (int(n) for n in tally[-1]) if tally else (0, 0)
            if score.score != POLICY.points(own, score.max_score, passed, total):
                unfair.append(f"{label}: {score.score} for {passed} of {total} cases")
    assert not kept, f"wrong variants kept full marks on their own test cell: {kept}"
    assert not cascades, f"wrong variants lost points in other test cells: {cascades}"
    assert not unfair, f"partial points not in proportion to the cases passed: {unfair}"
    print(f"{corpus.ASSIGNMENT}: {len(variants)} wrong variants, {partial} with partial credit")


def test_demo_mistake_2_of_02_loses_only_test_propagate():
    assignment = "02_logistic_regression"
    mistakes = list(samples.spread(samples.wrong_variants(assignment), 2))
    (result,) = sweep(assignment, [mistakes[1]])
    lost = {cell for cell, s in result.scores.items() if s.score < s.max_score}
    assert lost == {f"test_{mistakes[1][0]}"}, (mistakes[1][:2], lost)


@pytest.mark.parametrize("assignment", settings.load().assignments)
def test_test_cells_read_nothing_a_student_function_computed(assignment):
    """A test cell builds its own inputs: no global it reads was made by a cell that calls a student's function
    (a crashed or wrong earlier cell would then fail it)."""
    notebook = json.loads(settings.load().source_notebook(assignment).read_text(encoding="utf-8"))
    graded: set[str] = set()
    made_by_student_code: dict[str, str] = {}
    reads = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        meta = cell["metadata"].get("nbgrader", {})
        tree = ast.parse("".join(cell["source"]))
        stored = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        if meta.get("grade"):
            loaded = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
            reads += [f"{meta['grade_id']} reads {n} (from {made_by_student_code[n]})"
                      for n in sorted(loaded - stored) if n in made_by_student_code]
        elif meta.get("solution"):
            graded |= {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        else:
            called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
            for name in stored:
                if called & graded:
                    made_by_student_code[name] = cell.get("id", "?")
                else:
                    made_by_student_code.pop(name, None)
    assert not reads, reads


@pytest.mark.parametrize("assignment, picked", CORRECT_CASES)
def test_correct_alternatives_keep_full_marks(assignment, picked):
    scores = grade_solutions(assignment, {gid: code for gid, (_, code) in picked.items()})
    lost = {cell: s.error for cell, s in scores.items() if s.score < s.max_score}
    names = {gid: name for gid, (name, _) in picked.items()}
    assert not lost, f"correct alternatives {names} lost points: {lost}"


@pytest.mark.parametrize("assignment, picked, wrong", BUILDING_CASES)
def test_a_correct_answer_that_builds_on_a_wrong_earlier_one_keeps_full_marks(assignment, picked, wrong):
    """One mistake costs points once: an answer that calls an earlier graded function (Xavier's initialization on
    He's, a derivative on its activation) is graded with the reference of that function, named in the test cell's
    ``uses`` or not, so the earlier function's mistake costs points in its own cell only."""
    answers = {gid: code for gid, (_, code) in {**picked, **wrong}.items()}
    scores = grade_solutions(assignment, answers)
    lost = {cell: s.error[:300] for cell, s in scores.items() if s.score < s.max_score}
    assert set(lost) == {f"test_{gid}" for gid in wrong}, (
        f"correct {({g: n for g, (n, _) in picked.items()})} on wrong {({g: n for g, (n, _) in wrong.items()})}: {lost}")
