"""Sample classes of submissions, made from the course's own material: for the demo, the benchmark and the tests.

* the reference: the release notebook with the source notebook's solution cells pasted in;
* the untouched release notebook;
* typical mistakes: the reference with one answer replaced by a WRONG variant of the corpus (:mod:`.corpus`, the
  single source of truth for mistakes; ``tests/samples/test_corpus.py`` proves that each one loses points);
* correct alternatives: CORRECT variants of the corpus;
* broken files: a notebook cut off in the middle (invalid JSON), a kernel that dies, a cell that never ends.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

import nbformat

from ..course import settings
from ..course.coursedir import CourseDir
from ..course.notebooks import read_notebook
from . import corpus as corpora

MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$\n?", re.M)


@dataclass(frozen=True)
class Submission:
    student: str
    content: bytes          # the file submitted as <assignment>.ipynb (not necessarily a valid notebook)
    note: str               # what it is, for tables
    expect: str = "graded"  # the status autograde should give it


def is_solution_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("solution")) and not meta.get("grade")


def is_test_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def solution_code(assignment: str) -> dict[str, str]:
    """The source notebook's solution cells, markers removed, by grade_id."""
    notebook = read_notebook(settings.load().source_notebook(assignment))
    return {c.metadata["nbgrader"]["grade_id"]: MARKER.sub("", c.source) for c in notebook.cells
            if is_solution_cell(c)}


def answered(release: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """The release notebook with the named solution cells' code replaced (as a student would have typed it)."""
    notebook = nbformat.from_dict(json.loads(json.dumps(release)))
    for cell in notebook.cells:
        if is_solution_cell(cell) and cell.metadata["nbgrader"]["grade_id"] in answers:
            cell.source = answers[cell.metadata["nbgrader"]["grade_id"]]
    return notebook


def dump(notebook: nbformat.NotebookNode) -> bytes:
    return (nbformat.writes(notebook) + "\n").encode("utf-8")


@cache
def corpus(assignment: str) -> ModuleType | None:
    """The corpus module of ``assignment`` (:mod:`.corpus`), or None if it has none."""
    for module in corpora.corpora():
        if getattr(module, "ASSIGNMENT", None) == assignment:
            return module
    return None


def wrong_variants(assignment: str) -> list[tuple[str, str, str]]:
    """Every (grade_id, variant name, code) of the corpus WRONG variants, in notebook order."""
    module = corpus(assignment)
    if module is None:
        return []
    order = list(solution_code(assignment))
    items = sorted(module.WRONG.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
    return [(gid, name, code) for gid, variants in items for name, code in variants.items()]


def correct_variants(assignment: str) -> list[dict[str, str]]:
    """Rounds of correct alternatives: the k-th alternative of every function (as tests/test_corpus.py does)."""
    module = corpus(assignment)
    if module is None:
        return []
    rounds = max((len(v) for v in module.CORRECT.values()), default=0)
    return [{gid: list(v.values())[k] for gid, v in module.CORRECT.items() if k < len(v)} for k in range(rounds)]


def spread(items: list, n: int) -> list:
    """``n`` items spread evenly over ``items`` (first and last included)."""
    if n >= len(items):
        return list(items)
    if n == 1:
        return [items[0]]
    return [items[round(i * (len(items) - 1) / (n - 1))] for i in range(n)]


def broken_json(release: nbformat.NotebookNode) -> bytes:
    """A notebook file cut off halfway, as an interrupted upload leaves it."""
    data = dump(release)
    return data[: len(data) // 2]


def without_tests(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with every test cell deleted (Colab lets students delete locked cells)."""
    copy = nbformat.from_dict(json.loads(json.dumps(notebook)))
    copy.cells = [c for c in copy.cells if not is_test_cell(c)]
    return copy


def demo_class(cd: CourseDir, assignment: str, mistakes: int = 2) -> list[Submission]:
    """The demo's class: reference, untouched release, a few typical mistakes, deleted tests, one broken file, and a
    copied pair: correct alternatives of every answer, and a disguised copy of them (:mod:`.copied`)."""
    from .copied import copied

    release = read_notebook(cd.release_notebook(assignment))
    reference = answered(release, solution_code(assignment))
    subs = [Submission("ref-solution", dump(reference), "the reference solution"),
            Submission("untouched", dump(release), "the release notebook, untouched")]
    for k, (gid, name, code) in enumerate(spread(wrong_variants(assignment), mistakes), start=1):
        subs.append(Submission(f"mistake-{k}", dump(answered(reference, {gid: code})),
                               f"reference with one mistake: {gid} {name.replace('_', ' ')}"))
    subs.append(Submission("deleted-tests", dump(without_tests(reference)),
                           "reference with every test cell deleted (autograde puts them back)"))
    subs.append(Submission("broken-json", broken_json(release), "a file cut off halfway: not valid JSON", "invalid"))
    rounds = correct_variants(assignment)
    if rounds:
        alternative = answered(reference, rounds[0])
        subs.append(Submission("alternative", dump(alternative), "correct answers written differently (the corpus)"))
        subs.append(Submission("copier", dump(copied(alternative)),
                               "a copy of alternative's notebook: local variables renamed, comments changed"))
    return subs


def bench_class(cd: CourseDir, assignment: str, size: int = 44) -> list[Submission]:
    """A class of ``size`` submissions: correct alternatives, wrong variants, untouched, broken and crashing ones."""
    release = read_notebook(cd.release_notebook(assignment))
    reference = answered(release, solution_code(assignment))
    subs = [Submission("s000-reference", dump(reference), "the reference solution"),
            Submission("s001-untouched", dump(release), "the release notebook, untouched"),
            Submission("s002-broken-json", broken_json(release), "not valid JSON", "invalid"),
            Submission("s003-kernel-dies", dump(answered(reference, {_first(reference): "import os\nos._exit(1)\n"})),
                       "the kernel dies in the first answer", "kernel_died"),
            Submission("s004-deleted-tests", dump(without_tests(reference)), "every test cell deleted")]
    for k, answers in enumerate(correct_variants(assignment)):
        subs.append(Submission(f"s{len(subs):03d}-correct-{k + 1}", dump(answered(reference, answers)),
                               f"correct alternatives, round {k + 1}"))
    wrong = wrong_variants(assignment)
    for gid, name, code in spread(wrong, max(0, size - len(subs))):
        subs.append(Submission(f"s{len(subs):03d}-wrong-{gid}-{name}".replace("_", "-"),
                               dump(answered(reference, {gid: code})), f"{gid}: {name}"))
    while len(subs) < size:  # a course without a corpus: more references
        subs.append(Submission(f"s{len(subs):03d}-reference", dump(reference), "the reference solution"))
    return subs[:size] if len(subs) > size else subs


def _first(notebook: nbformat.NotebookNode) -> str:
    return next(c.metadata["nbgrader"]["grade_id"] for c in notebook.cells if is_solution_cell(c))


def write(cd: CourseDir, assignment: str, submissions: list[Submission]) -> list[Path]:
    """Put ``submissions`` in submitted/<student>/<assignment>/<assignment>.ipynb (replacing what was there)."""
    paths = []
    for sub in submissions:
        path = cd.submission_dir(sub.student, assignment) / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_bytes() != sub.content:
            path.write_bytes(sub.content)
        paths.append(path)
    return paths
