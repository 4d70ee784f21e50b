"""The course's rules for attempts: the grade of record, and what feedback says of hidden cases."""

from __future__ import annotations

import pytest

from coursetools.course import settings
from coursetools.serve import config, policy
from coursetools.serve.policy import Candidate, redact, replaces, show_hidden

DUE = 1000.0


def c(number, at, score, status="graded"):
    return Candidate(number, at, status, score)


def test_last_attempt_before_the_due_date_is_of_record():
    assert replaces("last", DUE, c(1, 10, 5), None)
    assert replaces("last", DUE, c(2, 20, 1), c(1, 10, 5))          # the later one, even if worse
    assert not replaces("last", DUE, c(3, 2000, 6), c(2, 20, 1))    # late: the on-time one stays
    assert replaces("last", DUE, c(2, 2000, 6), c(1, 1500, 1))       # both late: the later
    assert replaces("last", None, c(2, 5000, 0), c(1, 10, 5))        # no due date: the last


def test_best_attempt_before_the_due_date_is_of_record():
    assert not replaces("best", DUE, c(2, 20, 4), c(1, 10, 5))
    assert replaces("best", DUE, c(2, 20, 5), c(1, 10, 5))           # ties go to the later
    assert replaces("best", DUE, c(2, 20, 6), c(1, 10, 5))
    assert not replaces("best", DUE, c(3, 2000, 9), c(1, 10, 5))     # late never beats on time
    assert replaces("best", DUE, c(2, 20, 0), c(1, 2000, 9))         # on time beats late


def test_grading_errors_never_replace_a_grade():
    assert not replaces("last", DUE, c(2, 20, 0, "error"), c(1, 10, 5))
    assert not replaces("last", DUE, c(1, 10, 0, "error"), None)
    assert replaces("best", DUE, c(2, 20, 0, "timed_out"), c(1, 10, 0, "error"))


def test_hidden_policy_in_time():
    assert show_hidden("always", DUE, 0)
    assert not show_hidden("never", DUE, 5000)
    assert not show_hidden("after_due", DUE, 999) and show_hidden("after_due", DUE, 1001)
    assert show_hidden("after_due", None, 10 ** 10), "no due date: nothing to wait for, as the feedback command"


SOURCE_CELL = '''assert add_one(1) == 2, "add_one(1) should be 2"
### BEGIN HIDDEN TESTS
assert add_one(41) == 42, "add_one(41) should be 42: the hidden test tiny-secret"
### END HIDDEN TESTS
'''


def test_redaction_keeps_visible_messages_and_cuts_hidden_ones():
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SOURCE_CELL, metadata={
        "nbgrader": {"grade": True, "grade_id": "test_add_one", "points": 1}})])
    hidden = policy.hidden_parts(nb)
    assert "tiny-secret" in hidden["test_add_one"] and "should be 2" not in hidden["test_add_one"]
    messages = {"test_add_one": ["AssertionError: add_one(41) should be 42: the hidden test tiny-secret"],
                "test_visible": ["AssertionError: add_one(1) should be 2"],
                "test_sigmoid": ["CheckFailed: sigmoid(...) on hidden case 3 (inputs: array(3, 4)): expected 0.5, "
                                 "got 0.7 at [0, 1]"]}
    cut = redact(messages, hidden, show=False)
    assert cut["test_add_one"] == [policy.HIDDEN_FAILED]
    assert cut["test_visible"] == messages["test_visible"]
    assert cut["test_sigmoid"] == ["sigmoid(...): hidden case 3 failed."]
    assert redact(messages, hidden, show=True) == messages


def test_settings_defaults_and_validation():
    defaults = config.ServeSettings()
    assert (defaults.grade_of_record, defaults.hidden_messages, defaults.accept_late) == ("last", "after_due", True)
    assert config.load(settings.load()).attempts_per_hour >= 1  # the repository's course.toml reads
    with pytest.raises(ValueError, match="grade_of_record"):
        config.ServeSettings(grade_of_record="first")
    with pytest.raises(ValueError, match="hidden_cases"):
        config.ServeSettings(hidden_messages="sometimes")
    with pytest.raises(ValueError, match="attempts_per_hour"):
        config.ServeSettings(attempts_per_hour=0)
    assert defaults.with_overrides(attempts_per_hour=None, queue_limit=3).queue_limit == 3
