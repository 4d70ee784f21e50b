"""course.toml's [grading.partial_credit]: one reading for the toolkit and a plain nbgrader run."""

from __future__ import annotations

import pytest

from coursetools.course import settings
from helpers.reference import partial_credit
from helpers.reference.policy import PartialCredit


def test_the_toolkit_and_the_reference_read_the_same_policy():
    assert settings.load().partial_credit() == partial_credit()


def test_points_in_proportion_rounded():
    policy = PartialCredit.from_table({"enabled": True, "round": 2, "all_or_nothing": ["test_train"]})
    assert policy.points("test_x", 2, 4, 6) == 1.33
    assert policy.points("test_x", 2, 6, 6) == 2.0
    assert policy.points("test_train", 3, 5, 6) == 0.0      # stays all or nothing


def test_off_is_all_or_nothing_as_serial_nbgrader():
    for off in (PartialCredit.from_table(None), PartialCredit.from_table({"enabled": False})):
        assert off.points("test_x", 2, 5, 6) == 0.0 and off.points("test_x", 2, 6, 6) == 2.0


@pytest.mark.parametrize("table", [{"round": -1}, {"round": True}, {"all_or_nothing": "test_x"}, {"enable": True}])
def test_a_mistyped_policy_is_refused(table):
    with pytest.raises(ValueError):
        PartialCredit.from_table(table)
