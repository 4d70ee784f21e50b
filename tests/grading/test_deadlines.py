"""Due dates, extensions and the late policy: read from course.toml's table, applied by nbgrader's AssignLatePenalties
through the course's plugin, shown in grades and feedback. Every penalty below is recomputed by hand in its comment.
"""

from __future__ import annotations

import datetime

import pytest

from coursetools.course.deadlines import (
    DeadlineError,
    Deadlines,
    LatePenaltyPlugin,
    LatePolicy,
    configure,
    parse_duration,
    read_extensions,
)
from coursetools.grading import batch as grading
from coursetools.reporting import feedback, grades
from tests.support.course import REFERENCE, TINY, answered, make_course, submit

PARIS = datetime.timezone(datetime.timedelta(hours=2))  # Europe/Paris in October (CEST)
DUE = datetime.datetime(2026, 10, 5, 23, 59, tzinfo=PARIS)  # = 21:59 UTC
HOUR, DAY = 3600, 86400
TABLE = {
    "timezone": "Europe/Paris",
    "due": {TINY: "2026-10-05 23:59"},
    "late_policy": {"percent": 10, "per": "1 day", "grace": "15 minutes", "cap": 50, "accept_for": "7 days"},
}


def test_durations_and_times():
    assert parse_duration("2 days") == datetime.timedelta(days=2)
    assert parse_duration("1 day 12 h") == datetime.timedelta(hours=36)
    assert parse_duration("15 minutes") == datetime.timedelta(minutes=15)
    assert parse_duration(90) == datetime.timedelta(seconds=90)
    for bad in ("soon", "3 fortnights", "2 days later"):
        with pytest.raises(DeadlineError):
            parse_duration(bad)
    deadlines = Deadlines.from_table(TABLE, base=None)  # type: ignore[arg-type]
    assert deadlines.due_for(TINY) == DUE, "a time without offset is in the course's time zone"
    assert deadlines.due_for(TINY).utcoffset() == datetime.timedelta(hours=2)
    with pytest.raises(DeadlineError, match="unknown"):
        Deadlines.from_table({"due": {}, "late": {}}, base=None)  # type: ignore[arg-type]


def test_late_policy_by_hand():
    policy = LatePolicy.from_table(TABLE["late_policy"])
    assert policy.percent_for(10 * 60) == 0, "10 minutes: within the 15-minute grace period"
    assert policy.percent_for(16 * 60) == 10, "16 minutes: one started day"
    assert policy.percent_for(DAY) == 10, "exactly one day: one period"
    assert policy.percent_for(29 * HOUR) == 20, "29 h: two started days"
    assert policy.percent_for(145 * HOUR) == 50, "7 started days would be 70%: capped at 50%"
    assert policy.percent_for(7 * DAY + 1) == 100, "beyond 7 days: not accepted"
    assert policy.penalty(6, 29 * HOUR) == pytest.approx(1.2), "20% of the 6 points earned"
    assert policy.penalty(4, 29 * HOUR) == pytest.approx(0.8), "20% of the 4 points earned"


def test_extensions_file(tmp_path):
    path = tmp_path / "extensions.csv"
    path.write_text("student,assignment,extension,due\nada,tiny,2 days,\nbob,,36 hours,\n"
                    "cy,tiny,,2026-10-08 12:00\n")
    extensions = read_extensions(path, {TINY: DUE}, PARIS)
    assert extensions[("ada", TINY)] == datetime.timedelta(days=2)
    assert extensions[("bob", "*")] == datetime.timedelta(hours=36), "no assignment: every assignment"
    assert extensions[("cy", TINY)] == datetime.timedelta(days=2, hours=12, minutes=1), "a new due date"
    deadlines = Deadlines(due={TINY: DUE}, extensions=extensions)
    assert deadlines.student_due("bob", TINY) == DUE + datetime.timedelta(hours=36)
    path.write_text("who,extension\nada,2 days\n")
    with pytest.raises(DeadlineError, match="'student' column"):
        read_extensions(path, {}, PARIS)


def test_the_plugin_is_nbgraders_late_submission_plugin():
    from nbgrader.preprocessors import AssignLatePenalties
    from traitlets.config import Config

    config = Config()
    configure(config, Deadlines.from_table(TABLE, base=None), TINY)  # type: ignore[arg-type]
    preprocessor = AssignLatePenalties(config=config)
    preprocessor.init_plugin()
    assert isinstance(preprocessor.plugin_inst, LatePenaltyPlugin)
    assert preprocessor.plugin_inst.late_submission_penalty("ada", 6.0, 29 * HOUR) == pytest.approx(1.2)
    assert preprocessor.plugin_inst.late_submission_penalty("ada", 6.0, 60) is None, "within the grace period"


# --- end to end: autograde writes timestamps, extensions and penalties into the gradebook ---------------------
#: student -> (timestamp.txt, extension, answers, points earned, seconds late (hand computed), penalty (by hand))
CLASS = {
    "early": ("2026-10-05 20:00:00+02:00", None, REFERENCE, 6, 0, 0.0),
    "grace": ("2026-10-06 00:09:00+02:00", None, REFERENCE, 6, 10 * 60, 0.0),           # 10 min: grace
    "late": ("2026-10-07T02:59:00+00:00", None, REFERENCE, 6, 29 * HOUR, 1.2),          # 2 days: 20% of 6
    "extended": ("2026-10-07T02:59:00+00:00", "2 days", REFERENCE, 6, 0, 0.0),          # due moved by 48 h
    "extended-late": ("2026-10-07T02:59:00+00:00", "1 day", REFERENCE, 6, 5 * HOUR, 0.6),  # 5 h: 10% of 6
    "capped": ("2026-10-11T22:59:00+00:00", None, REFERENCE, 6, 145 * HOUR, 3.0),       # 70% capped at 50%
    "too-late": ("2026-10-13T22:00:00+00:00", None, REFERENCE, 6, 8 * DAY + 60, 6.0),   # > 7 days: 0 points
    "naive": ("2026-10-06 21:59:00", None, REFERENCE, 6, DAY, 0.6),                     # no offset: UTC (nbgrader)
    "wrong-late": ("2026-10-07T02:59:00+00:00", None,
                   {**REFERENCE, "double": "def double(x):\n    return x + 1\n"}, 4, 29 * HOUR, 0.8),  # 20% of 4
}


@pytest.mark.slow
def test_autograde_applies_due_dates_extensions_and_the_policy(tmp_path, dask_client):
    cd = make_course(tmp_path / "course")
    extensions = tmp_path / "extensions.csv"
    extensions.write_text("student,assignment,extension\n" + "".join(
        f"{s},{TINY},{ext}\n" for s, (_, ext, *_rest) in CLASS.items() if ext))
    deadlines = Deadlines.from_table({**TABLE, "extensions": str(extensions)}, tmp_path)
    for student, (stamp, _, answers, *_rest) in CLASS.items():
        submit(cd, student, answered(cd, answers))
        (cd.submission_dir(student, TINY) / "timestamp.txt").write_text(stamp)
    grading.autograde(TINY, cd, client=dask_client, progress=False, deadlines=deadlines)

    with cd.gradebook() as gb:
        assert gb.find_assignment(TINY).duedate == datetime.datetime(2026, 10, 5, 21, 59), "naive UTC, as nbgrader"
        for student, (_, extension, _, earned, late, penalty) in CLASS.items():
            submission = gb.find_submission(TINY, student)
            assert submission.total_seconds_late == late, student
            assert (submission.extension or datetime.timedelta(0)) == (
                parse_duration(extension) if extension else datetime.timedelta(0)), student
            assert submission.score == pytest.approx(earned), "nbgrader keeps the penalty apart from the score"
            assert (submission.late_submission_penalty or 0.0) == pytest.approx(penalty), student

    rows = {r.student: r for r in grades.table(cd, [TINY]).rows}
    for student, (_, _, _, earned, late, penalty) in CLASS.items():
        assert rows[student].late_penalty == pytest.approx(penalty), student
        assert rows[student].total == pytest.approx(earned - penalty), student
        assert rows[student].seconds_late == late, student
    assert rows["extended"].extension == "2 days" and rows["late"].late == "1 day 5 h"
    assert rows["late"].due.startswith("2026-10-05 21:59:00+00:00")

    pages = {p.student: p.path.read_text() for p in feedback.feedback(TINY, cd, deadlines=deadlines)}
    assert "1 day 5 h late" in pages["late"] and "1.2 points" in pages["late"]
    assert "on time" in pages["extended"] and "your extension of 2 days" in pages["extended"]
    assert "due 2026-10-05 23:59 CEST" in pages["early"], "times in the course's time zone"

    # The same run again regrades nothing; a changed extension regrades that student only.
    again = grading.autograde(TINY, cd, client=dask_client, progress=False, deadlines=deadlines)
    assert sorted(again.skipped) == sorted(CLASS)
    extensions.write_text(f"student,assignment,extension\nlate,{TINY},1 day\nextended,{TINY},2 days\n"
                          f"extended-late,{TINY},1 day\n")
    changed = Deadlines.from_table({**TABLE, "extensions": str(extensions)}, tmp_path)
    third = grading.autograde(TINY, cd, client=dask_client, progress=False, deadlines=changed)
    assert sorted(set(CLASS) - set(third.skipped)) == ["late"]
    with cd.gradebook() as gb:
        submission = gb.find_submission(TINY, "late")
        assert submission.total_seconds_late == 5 * HOUR and submission.late_submission_penalty == pytest.approx(0.6)
