"""The single writer against a second writer on the same gradebook: a lost race is tried again, never a lost grade."""

from __future__ import annotations

import pytest
from nbgrader.api import Gradebook

from coursetools.grading import batch as grading
from coursetools.grading import recorder, results
from tests.support.course import POINTS, REFERENCE, answered, make_course, scores, submit


def test_a_student_added_by_another_writer_between_look_and_insert_is_graded(dask_client, tmp_path, monkeypatch):
    """What two autograde processes on one new student do: both look, both insert; the second insert fails."""
    cd = make_course(tmp_path / "course")
    submit(cd, "student-00", answered(cd, REFERENCE))
    real_open = recorder.Recorder._open_submission
    raced = []

    def open_after_losing_the_race(self, gb, student, timestamp):
        if not raced:
            raced.append(student)
            other = Gradebook(cd.db_url, self.course_id)  # the other process: it inserts and commits first
            other.add_student(student)
            other.close()
            gb.add_student(student)  # our insert, made on what we looked up before: IntegrityError
        return real_open(self, gb, student, timestamp)

    monkeypatch.setattr(recorder.Recorder, "_open_submission", open_after_losing_the_race)
    batch = grading.autograde("tiny", cd, client=dask_client, progress=False)
    assert raced == ["student-00"]
    assert [(r.student, r.status) for r in batch.results] == [("student-00", results.GRADED)]
    assert scores(cd) == {"student-00": dict(POINTS)}


@pytest.mark.parametrize("message, retried", [("database is locked", True), ("no such table: grade", False)])
def test_only_contention_is_tried_again(message, retried):
    from sqlalchemy.exc import IntegrityError, OperationalError

    assert recorder._is_contention(OperationalError("UPDATE grade", {}, Exception(message))) is retried
    assert recorder._is_contention(IntegrityError("INSERT INTO student", {}, Exception("UNIQUE constraint failed")))
    assert not recorder._is_contention(ValueError("database is locked"))


def test_nbgraders_wrapped_integrity_error_is_contention_and_its_other_refusals_are_not():
    from nbgrader.api import InvalidEntry

    assert recorder._is_contention(InvalidEntry("(sqlite3.IntegrityError) UNIQUE constraint failed: student.id"))
    assert recorder._is_contention(InvalidEntry('(psycopg2.errors.UniqueViolation) duplicate key value'))
    assert not recorder._is_contention(InvalidEntry("No such assignment: tiny"))


def test_nbgraders_autoflush_warning_is_ignored_without_swapping_the_process_filters(tmp_path, monkeypatch):
    """The worker threads of a local cluster share the writer's process: the write must not swap its filters."""
    import types
    import warnings

    from sqlalchemy.exc import SAWarning

    gb = Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}")
    gb.add_assignment("a")
    gb.add_notebook("n", "a")
    gb.add_grade_cell("g", "n", "a", max_score=1, cell_type="code")
    recorder.ignore_nbgraders_autoflush_warnings()

    def swapped(*args, **kwargs):
        raise AssertionError("warnings.catch_warnings swaps the process's filters")

    writer = types.SimpleNamespace(deadlines=None, assignment="a")
    with warnings.catch_warnings(record=True) as seen:  # the test's own: records what the filters let through
        warnings.filterwarnings("error", category=SAWarning, append=True)  # any other SQLAlchemy warning fails
        with monkeypatch.context() as patch:
            patch.setattr(warnings, "catch_warnings", swapped)
            for _ in range(2):  # the second time, the submission exists: SQLAlchemy's autoflush warns
                recorder.Recorder._open_submission(writer, gb, "student-00", None)
        with pytest.raises(SAWarning):
            warnings.warn("another warning of SQLAlchemy's", SAWarning, stacklevel=1)
    gb.close()
    assert seen == []
