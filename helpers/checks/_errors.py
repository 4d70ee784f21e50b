"""The two exceptions of the checks, shared by the student's kernel and the grader."""

from __future__ import annotations

import linecache
import os


class CheckFailed(AssertionError):
    """A test found a mistake; the message says what was expected and what came instead."""

    def _render_traceback_(self) -> list[str]:
        """What Jupyter shows for a failed check: the test cell's line that failed and the message, instead of a
        traceback through the checks' own code (IPython asks exceptions for this method). Display only: the grader
        reads the error's name and message, never this."""
        here, line = os.path.dirname(os.path.abspath(__file__)), ""
        try:
            frames = student_frames(self.__traceback__, (here + os.sep,))
            if frames:
                filename, lineno, _ = frames[-1]
                text = linecache.getline(filename, lineno).strip()
                line = f" in line {lineno} of this cell: {text}" if text else ""
        except Exception:  # noqa: BLE001 - a message without its line is better than none
            pass
        # A student's error keeps its own name (ValueError...), see _friendly; a failed check is a CheckFailed.
        name = type(self).__name__ if isinstance(type(self).__name__, str) else "CheckFailed"
        return [f"\x1b[0;31m{name}\x1b[0m{line}", *str(self).strip("\n").splitlines()]


def student_frames(tb, library_dirs: tuple[str, ...]) -> list[tuple[str, int, str]]:
    """(file, line, function) of every frame of a traceback outside ``library_dirs``, outermost first."""
    frames = []
    while tb is not None:
        code = tb.tb_frame.f_code
        if not os.path.abspath(code.co_filename).startswith(library_dirs):
            frames.append((code.co_filename, tb.tb_lineno, code.co_name))
        tb = tb.tb_next
    return frames


class ReferenceUnavailable(RuntimeError):
    """The reference solutions are not available here.

    They live in the instructor's checkout (``source/``); students' installs do not have them, and inside the
    grading sandbox the grader answers for them instead.
    """


def fail(message: str) -> None:
    """Raise :class:`CheckFailed` with ``message`` (raised from here, the student's traceback stays short)."""
    raise CheckFailed("\n" + message.strip() + "\n")
