"""The one progress display of autograde: a line per assignment, in the order asked, redrawn in place on a terminal,
each printed once when done anywhere else."""

from __future__ import annotations

import io

from coursetools.grading.progress import BatchProgress


def test_lines_on_a_log_are_printed_once_each_when_done():
    out = io.StringIO()
    display = BatchProgress(out, interactive=False, order=["autograde a", "autograde b"])
    b, a = display.line("autograde b", 2), display.line("autograde a", 1)
    a.set_postfix_str("graded=1")
    a.update()
    b.update()
    display.message("Sandbox: none")
    b.update()
    b.close()
    a.close()
    display.close()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("autograde a    1/1") and "done in" in lines[0] and "graded=1" in lines[0]
    assert lines[1] == "Sandbox: none"
    assert lines[2].startswith("autograde b    2/2") and len(lines) == 3


def test_a_terminal_gets_the_block_redrawn_in_place():
    out = io.StringIO()
    display = BatchProgress(out, interactive=True, order=["autograde a", "autograde b"])
    b, a = display.line("autograde b", 2), display.line("autograde a", 2)
    a.update()
    b.update(2)
    display.close()
    text = out.getvalue()
    assert "\x1b[2F\x1b[J" in text, "the two lines are redrawn together"
    last = text.rsplit("\x1b[J", 1)[-1].splitlines()
    assert last[0].startswith("autograde a    1/2") and last[1].startswith("autograde b    2/2")
    assert BatchProgress(io.StringIO(), enabled=False).line("x", 1).display.enabled is False
