"""autograde end to end on a tiny assignment: every kind of broken submission gets a status and the batch goes on;
re-runs skip unchanged submissions; feedback, grades and report on the result.

The equality of scores with serial ``nbgrader autograde`` on the real assignment is in
tests/grading/test_equivalence.py; PostgreSQL in tests/grading/test_postgres.py.
"""

from __future__ import annotations

import csv
import re

import pytest

from coursetools.grading import batch as grading
from coursetools.grading import results
from coursetools.grading.job import GradingSettings
from coursetools.reporting import class_report, feedback, grades
from tests.support.course import (
    HIDDEN_MARKS,
    POINTS,
    REFERENCE,
    TINY,
    answered,
    colab_saved,
    make_course,
    scores,
    submit,
)

pytestmark = pytest.mark.slow
FULL = sum(POINTS.values())

# student -> (what they hand in, expected status, expected scores)
CLASS = {
    "ok": (lambda cd: answered(cd, REFERENCE), results.GRADED, POINTS),
    "colab": (lambda cd: colab_saved(answered(cd, REFERENCE)), results.GRADED, POINTS),
    "wrong": (lambda cd: answered(cd, {**REFERENCE, "double": "def double(x):\n    return x + x + 1\n"}),
              results.GRADED, {**POINTS, "test_double": 0.0}),
    "hidden-only": (lambda cd: answered(cd, {**REFERENCE, "square": "def square(x):\n    return abs(x) * x\n"}),
                    results.GRADED, {**POINTS, "test_square": 0.0}),
    "untouched": (lambda cd: answered(cd, {}), results.GRADED, dict.fromkeys(POINTS, 0.0)),
    "dies": (lambda cd: answered(cd, {**REFERENCE, "double": "import os\nos._exit(3)\n"}), results.KERNEL_DIED,
             {**POINTS, "test_double": 0.0, "test_square": 0.0}),
    "loops": (lambda cd: answered(cd, {**REFERENCE, "square": "while True:\n    pass\n"}), results.TIMED_OUT,
              {**POINTS, "test_square": 0.0}),
    "slow": (lambda cd: answered(cd, {**REFERENCE, "double": "time.sleep(4)\n" + REFERENCE["double"],
                                      "square": "time.sleep(4.5)\n" + REFERENCE["square"]}), results.TIMED_OUT,
             {**POINTS, "test_square": 0.0}),
    "broken": (lambda cd: '{"cells": [', results.INVALID, dict.fromkeys(POINTS, 0.0)),
    "not-a-notebook": (lambda cd: "[1, 2, 3]", results.INVALID, dict.fromkeys(POINTS, 0.0)),
    "binary": (lambda cd: b"\x89PNG\r\n\x1a\n\x00\xff", results.INVALID, dict.fromkeys(POINTS, 0.0)),
}
CELL_TIMEOUT, NOTEBOOK_TIMEOUT = 5, 8  # the slow student: two cells of 4 s and 4.5 s


@pytest.fixture(scope="module")
def client(dask_client):
    """The shared local Dask cluster (autograde can also start its own: the demo test covers that)."""
    return dask_client


@pytest.fixture(scope="module")
def graded(tmp_path_factory, client):
    cd = make_course(tmp_path_factory.mktemp("tiny") / "course")
    for student, (make, _, _) in CLASS.items():
        submit(cd, student, make(cd))
    cd.submission_dir("empty-folder", TINY).mkdir(parents=True)          # a folder without the notebook
    (cd.submitted / "other-assignment-only" / "something_else").mkdir(parents=True)  # no folder for TINY
    batch = grading.autograde(TINY, cd, client=client, progress=False, cell_timeout=CELL_TIMEOUT,
                              settings=GradingSettings(notebook_timeout=NOTEBOOK_TIMEOUT))
    return cd, batch


def _every_student_folder_ends_with_a_status(graded):
    cd, batch = graded
    statuses = {r.student: r.status for r in batch.results}
    assert set(statuses) == set(cd.students())
    expected = {s: status for s, (_, status, _) in CLASS.items()}
    expected.update({"empty-folder": results.MISSING, "other-assignment-only": results.MISSING})
    assert statuses == expected
    for student in statuses:
        recorded = results.load(cd.autograded_dir(student, TINY))
        assert recorded is not None and recorded.status == statuses[student]
        assert recorded.reason or recorded.status == results.GRADED, student


def _scores_in_the_gradebook(graded):
    cd, _ = graded
    got = scores(cd)
    for student, (_, _, expected) in CLASS.items():
        assert got[student] == expected, student
    assert got["empty-folder"] == dict.fromkeys(POINTS, 0.0)


def _reasons_say_what_happened(graded):
    _, batch = graded
    reason = {r.student: r.reason for r in batch.results}
    assert "died in double" in reason["dies"]
    assert "square" in reason["loops"] and f"{CELL_TIMEOUT} s limit for a cell" in reason["loops"]
    assert f"{NOTEBOOK_TIMEOUT:g} s limit for a notebook" in reason["slow"]
    assert "not valid JSON" in reason["broken"]
    assert "not a Jupyter notebook" in reason["not-a-notebook"]
    assert "not UTF-8" in reason["binary"]
    assert "no tiny.ipynb" in reason["empty-folder"]
    assert "no folder" in reason["other-assignment-only"]


def _autograded_folder_as_nbgrader_writes_it(graded):
    cd, _ = graded
    folder = cd.autograded_dir("ok", TINY)
    assert (folder / f"{TINY}.ipynb").is_file() and (folder / results.GRADING_FILE).is_file()
    assert oct((folder / f"{TINY}.ipynb").stat().st_mode & 0o777) == "0o444"
    text = (folder / f"{TINY}.ipynb").read_text()
    assert all(mark in text for mark in HIDDEN_MARKS), "hidden tests are restored and run"


def _messages_without_tracebacks(graded):
    cd, _ = graded
    recorded = results.load(cd.autograded_dir("hidden-only", TINY))
    messages = {c.grade_id: c.messages for c in recorded.cells}
    assert messages["test_square"] == ["AssertionError: square(-4) should be 16: the hidden test tiny-secret-minus-four"]
    assert messages["test_add_one"] == []
    for cell in recorded.cells:
        for message in cell.messages:
            assert "Traceback" not in message and "\x1b[" not in message


def _rerun_skips_unchanged_and_grades_changed(graded, client):
    cd, first = graded
    again = grading.autograde(TINY, cd, client=client, progress=False, cell_timeout=CELL_TIMEOUT,
                              settings=GradingSettings(notebook_timeout=NOTEBOOK_TIMEOUT))
    assert sorted(again.skipped) == sorted(cd.students()), "nothing changed: nothing regraded"
    assert [(r.student, r.status) for r in again.results] == [(r.student, r.status) for r in first.results]

    submit(cd, "wrong", answered(cd, REFERENCE))  # the student fixed the bug and handed in again
    third = grading.autograde(TINY, cd, client=client, progress=False, cell_timeout=CELL_TIMEOUT,
                              settings=GradingSettings(notebook_timeout=NOTEBOOK_TIMEOUT))
    assert sorted(set(cd.students()) - set(third.skipped)) == ["wrong"]
    assert scores(cd)["wrong"] == POINTS

    relaxed = grading.autograde(TINY, cd, client=client, progress=False, students=["ok", "slow"],
                                cell_timeout=CELL_TIMEOUT, settings=GradingSettings(notebook_timeout=NOTEBOOK_TIMEOUT + 1))
    assert relaxed.skipped == ["ok"], "new time limits regrade only what ran out of time"

    forced = grading.autograde(TINY, cd, client=client, progress=False, force=True, students=["ok", "broken"],
                               cell_timeout=CELL_TIMEOUT, settings=GradingSettings(notebook_timeout=NOTEBOOK_TIMEOUT))
    assert not forced.skipped and [r.student for r in forced.results] == ["broken", "ok"]


def _feedback_pages(graded):
    cd, _ = graded
    pages = {p.student: p.path for p in feedback.feedback(TINY, cd)}
    assert set(pages) == set(cd.students())
    for student, path in pages.items():
        page = path.read_text()
        assert path == cd.feedback / student / TINY / f"{TINY}.html"
        assert "Traceback" not in page and "BEGIN HIDDEN TESTS" not in page
        assert "assert add_one(41)" not in page and "assert square(-4)" not in page, "no hidden test source"
    hidden_only = pages["hidden-only"].read_text()
    assert "square(-4) should be 16" in hidden_only, "the failure message of the hidden test is shown"
    assert "assert square(3) == 9" in hidden_only, "the visible test, as released, may be shown"
    assert re.search(r"Score: <strong>3 / 6</strong>", hidden_only)
    assert "could not be opened as a Jupyter notebook" in pages["broken"].read_text()


def _grades_csv(graded, tmp_path):
    cd, _ = graded
    path = grades.write_csv(grades.table(cd, [TINY]), tmp_path / "grades.csv")
    rows = {r["student"]: r for r in csv.DictReader(path.open())}
    assert set(rows) == set(cd.students())
    assert rows["ok"]["total"] == f"{FULL:g}" and rows["ok"]["status"] == "graded"
    assert rows["hidden-only"]["test_square"] == "0" and rows["hidden-only"]["total"] == "3"
    assert rows["slow"]["status"] == "timed_out" and rows["broken"]["status"] == "invalid"
    assert {"test_add_one", "test_double", "test_square", "total", "status", "late_penalty"} <= set(rows["ok"])


def _class_report(graded, tmp_path):
    cd, _ = graded
    html = class_report.report(cd, tmp_path / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 2
    assert "src='http" not in html and 'src="http' not in html, "self-contained"
    for student in ("dies", "loops", "slow", "broken", "binary", "empty-folder"):
        assert student in html
    assert "kernel died" in html and "timed out" in html and "invalid notebook" in html
    assert "test_square" in html and "pass rate" in html


def _profile_says_where_the_cpu_went(graded):
    """The batch's profile: CPU-seconds by phase, summed over the submissions the workers graded."""
    _, batch = graded
    assert batch.profiled == len(CLASS)  # every notebook handed in went to a worker (the invalid ones too)
    p = batch.profile
    assert p["kernel.cells"] > 0 and p["kernel.startup"] > 0  # every executed notebook had a kernel, measured
    assert p["worker.total"] >= p["worker.execute"] + p["worker.sanitize"] > 0
    assert p["client.total"] >= p["client.record"] + p["client.read_hash"] + p["client.setup"] > 0
    assert p["client.setup"] > 0 and p["client.teardown"] >= 0  # the kit, the probe; nothing to close here
    assert "kernel.idle" not in p  # the cluster is the tests': its spares outlive the batch


def test_tiny_class_end_to_end(graded, client, tmp_path):
    """One test for the whole class: graded once, even when pytest-xdist spreads a module's tests over workers."""
    _every_student_folder_ends_with_a_status(graded)
    _scores_in_the_gradebook(graded)
    _reasons_say_what_happened(graded)
    _autograded_folder_as_nbgrader_writes_it(graded)
    _messages_without_tracebacks(graded)
    _feedback_pages(graded)
    _grades_csv(graded, tmp_path)
    _class_report(graded, tmp_path)
    _profile_says_where_the_cpu_went(graded)
    _rerun_skips_unchanged_and_grades_changed(graded, client)  # last: it changes the class
