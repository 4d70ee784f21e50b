"""A cell past the cell limit is interrupted; a kernel that ignores the interrupt is killed, the submission timed
out with the points earned before; one that is only slow to stop goes on with the next cells."""

from __future__ import annotations

import pytest

from coursetools.grading import batch as grading
from coursetools.grading import results
from coursetools.grading.job import GradingSettings
from tests.support.course import POINTS, REFERENCE, TINY, answered, make_course, scores, submit

pytestmark = pytest.mark.slow
CELL_TIMEOUT = 4

IGNORES = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n"
SLOW_TO_STOP = ("import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nstart = time.time()\n"
                "while time.time() - start < 9:\n    pass\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"
                + REFERENCE["double"])


def test_interrupts_ignored_or_late(tmp_path, dask_client):
    cd = make_course(tmp_path / "course")
    submit(cd, "ignores", answered(cd, {**REFERENCE, "double": IGNORES}))
    submit(cd, "slow", answered(cd, {**REFERENCE, "double": SLOW_TO_STOP}))
    batch = grading.autograde(TINY, cd, client=dask_client, progress=False, cell_timeout=CELL_TIMEOUT,
                              settings=GradingSettings(notebook_timeout=120))
    got = {r.student: r for r in batch.results}
    assert got["ignores"].status == results.TIMED_OUT
    assert "did not stop when interrupted: the kernel was stopped" in got["ignores"].reason
    assert got["slow"].status == results.TIMED_OUT and "was interrupted" in got["slow"].reason
    points = scores(cd)
    assert points["ignores"] == {**POINTS, "test_double": 0.0, "test_square": 0.0}, "earlier cells keep their points"
    assert points["slow"]["test_add_one"] == POINTS["test_add_one"]
    assert points["slow"]["test_square"] == POINTS["test_square"], "the notebook went on after the late stop"
