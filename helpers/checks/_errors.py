"""The two exceptions of the checks, shared by the student's kernel and the grader."""

from __future__ import annotations


class CheckFailed(AssertionError):
    """A test found a mistake; the message says what was expected and what came instead."""


class ReferenceUnavailable(RuntimeError):
    """The reference solutions are not available here.

    They live in the instructor's checkout (``source/``); students' installs do not have them, and inside the
    grading sandbox the grader answers for them instead.
    """


def fail(message: str) -> None:
    """Raise :class:`CheckFailed` with ``message`` (raised from here, the student's traceback stays short)."""
    raise CheckFailed("\n" + message.strip() + "\n")
