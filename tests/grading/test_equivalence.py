"""Parallel autograde gives exactly what serial ``nbgrader autograde`` gives, on the real assignment 01.

The same class (the reference, the untouched release, typical mistakes from the corpus, warnings on stderr,
deleted and edited test cells, a notebook saved by Colab) is graded twice from the same release and gradebook:
by the ``nbgrader autograde`` command in one folder, by ``coursetools.autograde`` with two Dask workers in a copy.
Every grade, comment and autograded notebook must match.
"""

from __future__ import annotations

import shutil

import pytest

from coursetools import integrity, samples
from coursetools.commands import release
from coursetools.course import settings
from coursetools.course.coursedir import CourseDir
from coursetools.course.notebooks import read_notebook
from coursetools.grading import batch as grading
from coursetools.reporting import feedback
from tests.support.course import colab_saved, nbgrader_autograde

pytestmark = pytest.mark.slow
COURSE = settings.load()
A = "01_numpy_basics"


def _class(cd: CourseDir) -> list[samples.Submission]:
    released = read_notebook(cd.release_notebook(A))
    reference = samples.answered(released, samples.solution_code(A))
    corpus = samples.corpus(A)
    dump = samples.dump
    subs = [samples.Submission("reference", dump(reference), ""),
            samples.Submission("untouched", dump(released), ""),
            samples.Submission("deleted-tests", dump(samples.without_tests(reference)), "")]
    for k, (gid, name, code) in enumerate(samples.spread(samples.wrong_variants(A), 2)):
        subs.append(samples.Submission(f"wrong-{k}", dump(samples.answered(reference, {gid: code})), name))
    warns = samples.answered(reference, {"sigmoid": corpus.CORRECT["sigmoid"]["textbook_with_overflow_warning"]})
    subs.append(samples.Submission("warns", dump(warns), ""))
    edited = samples.answered(reference, {"softmax": next(iter(corpus.WRONG["softmax"].values()))})
    for cell in edited.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_softmax":
            cell.source = "pass  # the student 'fixed' the failing test"
    subs.append(samples.Submission("edited-test", dump(edited), ""))
    subs.append(samples.Submission("colab-saved", colab_saved(reference).encode(), ""))
    return subs


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    base = tmp_path_factory.mktemp("equivalence")
    serial = CourseDir.open(base / "serial")
    release.release([A], serial, verify=False)
    subs = _class(serial)
    samples.write(serial, A, subs)
    parallel_root = base / "parallel"
    shutil.copytree(serial.root, parallel_root)
    parallel = CourseDir.open(parallel_root)

    nbgrader_autograde(A, serial.root, serial.db_url)
    batch = grading.autograde(A, parallel, workers=2, progress=False)
    return serial, parallel, batch, subs


def _gradebook(cd: CourseDir) -> dict:
    with cd.gradebook() as gb:
        out = {}
        for submission in gb.find_assignment(A).submissions:
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    out[(submission.student_id, grade.name, "grade")] = (
                        grade.auto_score, grade.manual_score, grade.needs_manual_grade)
                for comment in notebook.comments:
                    out[(submission.student_id, comment.name, "comment")] = comment.auto_comment
                out[(submission.student_id, notebook.name, "late")] = notebook.late_submission_penalty
        return out


def _same_grades_as_serial_nbgrader(pair):
    serial, parallel, batch, subs = pair
    assert {r.student: r.status for r in batch.results} == {s.student: "graded" for s in subs}
    expected, got = _gradebook(serial), _gradebook(parallel)
    assert len(expected) > len(subs) * 10
    # The one intended difference: a submission the integrity review flags (its test cells were changed) is marked
    # for a manual look (needs_manual_grade), which plain nbgrader does not do. Its points are nbgrader's all the same.
    flagged = {s.student for s in subs if integrity.load(parallel.autograded_dir(s.student, A)).flags}
    assert flagged == {"deleted-tests", "edited-test"}
    for key, value in expected.items():
        if key[0] in flagged and key[2] == "grade":
            assert got[key][:2] == value[:2], key
        else:
            assert got[key] == value, key
    assert set(got) == set(expected)
    for student in flagged:
        assert any(v[2] for k, v in got.items() if k[0] == student and k[2] == "grade"), student


def _same_scores_in_both_gradebooks_and_expected_totals(pair):
    serial, parallel, _, _ = pair
    with serial.gradebook() as gb:
        max_score = gb.find_assignment(A).max_score
        totals = {s.student_id: s.score for s in gb.find_assignment(A).submissions}
    assert totals["reference"] == totals["deleted-tests"] == totals["colab-saved"] == totals["warns"] == max_score
    assert totals["untouched"] == 0
    assert all(totals[f"wrong-{k}"] < max_score for k in range(2))
    assert totals["edited-test"] < max_score, "an edited test cell is restored from the gradebook"


def _same_autograded_notebooks(pair):
    serial, parallel, _, subs = pair
    for sub in subs:
        ours = read_notebook(parallel.autograded_dir(sub.student, A) / f"{A}.ipynb")
        theirs = read_notebook(serial.autograded_dir(sub.student, A) / f"{A}.ipynb")
        assert [c.source for c in ours.cells] == [c.source for c in theirs.cells], sub.student
        assert [c.metadata.get("nbgrader") for c in ours.cells] == [c.metadata.get("nbgrader") for c in theirs.cells]
        assert ours.metadata.kernelspec == theirs.metadata.kernelspec
        for a, b in zip(ours.cells, theirs.cells):
            if a.cell_type == "code" and a.metadata.get("nbgrader", {}).get("grade"):
                # (a stream may arrive in one piece or several, depending on timing: compare the kinds of output)
                kinds = lambda cell: sorted({(o.output_type, o.get("ename", o.get("name", ""))) for o in cell.outputs})  # noqa: E731
                assert kinds(a) == kinds(b), (sub.student, a.metadata["nbgrader"]["grade_id"])


def _feedback_shows_messages_not_hidden_tests(pair):
    _, parallel, _, _ = pair
    source = read_notebook(COURSE.source_notebook(A))
    hidden = [line.strip() for cell in source.cells for block in cell.source.split("### BEGIN HIDDEN TESTS")[1:]
              for line in block.split("### END HIDDEN TESTS")[0].splitlines() if len(line.strip()) > 20]
    assert hidden
    pages = feedback.feedback(A, parallel)
    for page in pages:
        text = page.path.read_text()
        assert "Traceback" not in text
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"{page.student}: hidden test lines in the feedback: {leaked[:3]}"
    wrong = next(p for p in pages if p.student == "wrong-0").path.read_text()
    assert "CheckFailed" in wrong and "points lost" in wrong


def _profile_counts_what_the_batch_spent_once(pair):
    """A batch on a local cluster of its own also counts what its workers spent on no submission (the bench's
    profile: bench/autograde_parallel.py): the probe's kernels, the spares left at the end, the warm template."""
    _, _, batch, _ = pair
    p = batch.profile
    assert p["client.setup"] > 0 and p["client.teardown"] > 0  # the cluster started, probed; closed
    # The probe's kernels graded the first submissions and the last ones started no spare, but a worker may still
    # have started one for nothing (the other took the last submission): counted, whatever it is.
    assert p["sandbox.template"] > 0 and p["kernel.idle"] >= 0, p


def test_parallel_autograde_equals_serial_nbgrader(pair):
    """One test, so that the class is graded once (twice over) even when pytest-xdist spreads a module's tests."""
    _same_grades_as_serial_nbgrader(pair)
    _same_scores_in_both_gradebooks_and_expected_totals(pair)
    _same_autograded_notebooks(pair)
    _feedback_shows_messages_not_hidden_tests(pair)
    _profile_counts_what_the_batch_spent_once(pair)
