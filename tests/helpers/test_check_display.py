"""What a student sees in Jupyter when a check fails: the failing line of the cell and the message, no traceback.

IPython asks an exception for ``_render_traceback_`` before formatting a traceback; CheckFailed answers with the
cell's line and its message. tests/test_browser.py sees the same on a JupyterLab page.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

CELL = 'from helpers import checks as check\ncheck.close(np.array([1.0, 2.0]), [1.0, 2.5], "your y")\n'


def _shown(cell: str) -> str:
    program = textwrap.dedent(f"""
        import numpy as np
        from IPython.core.interactiveshell import InteractiveShell
        shell = InteractiveShell.instance(colors="nocolor")
        shell.user_ns["np"] = np
        result = shell.run_cell({cell!r})
        print("ename:", type(result.error_in_exec).__name__)
    """)
    return subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60,
                          check=True).stdout


def test_a_failed_check_shows_its_line_and_message_only():
    shown = _shown(CELL)
    assert "Traceback" not in shown and "checks.py" not in shown, shown
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in shown.splitlines() if line.strip()]   # no colours
    assert lines[0] == 'CheckFailed in line 2 of this cell: check.close(np.array([1.0, 2.0]), [1.0, 2.5], "your y")'
    assert "your y" in lines[1] and lines[-1] == "ename: CheckFailed"


def test_other_errors_keep_their_traceback():
    shown = _shown("def f():\n    return 1 / 0\nf()\n")
    assert "Traceback" in shown and "ZeroDivisionError" in shown
