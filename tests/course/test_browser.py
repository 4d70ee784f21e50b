"""A student's JupyterLab in a real browser: release 01 with the reference answers, run from the Run menu.

tests/support/browser_lab.py starts JupyterLab 4 on the loopback and drives headless Debian chromium through Debian's
chromedriver (Selenium); it runs inside bubblewrap with no network but a loopback, so it also shows that nothing
JupyterLab starts (server, kernels) needs one. It reports what the page shows; this test judges it: every test
cell shows its success line and nothing on stderr, and after a wrong answer is typed in, its test cell shows the
check's friendly message.

Screenshots and the report stay in tests/artifacts/browser/<assignment>/ (gitignored) for a person to look at.
Without chromium, chromedriver or bubblewrap this FAILS under CI=true (.ci/run installs them) and is skipped
elsewhere.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from coursetools import sandbox
from coursetools.course import settings
from coursetools.course.notebooks import read_notebook
from coursetools.samples import answered, solution_code
from coursetools.sandbox import bubblewrap
from helpers import checks as check
from tests.support.browser_lab import CHROMEDRIVER, CHROMIUM

pytestmark = pytest.mark.slow

COURSE = settings.load()
ASSIGNMENT = "01_numpy_basics"
ARTIFACTS = COURSE.root / "tests" / "artifacts" / "browser" / ASSIGNMENT
# A classic slip: the sign of the exponent. Typed on one line, as the editor's auto-indent would mangle more.
WRONG = ("basic_sigmoid", "def basic_sigmoid(x): return 1.0 / (1.0 + math.exp(x))")


def _require(what: str, ok: bool) -> None:
    if not ok:
        reason = f"the browser test needs {what} (Debian: apt-get install chromium chromium-driver bubblewrap)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; .ci/run installs them")
        pytest.skip(reason)


def _success_line(name: str) -> str:
    """What check.passed(name) prints, asked from the checks themselves."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        check.passed(name)
    return out.getvalue().strip()


def _wrong_answer_message() -> str:
    """The message of the first visible check the wrong answer fails, computed here with the same code."""
    namespace = {"math": math}
    exec(WRONG[1], namespace)  # noqa: S102 - the test's own wrong answer
    try:
        check.close(namespace["basic_sigmoid"](3), 0.9525741268224334, "basic_sigmoid(3)", rtol=1e-9)
    except check.CheckFailed as failure:
        return str(failure).strip()
    raise AssertionError("the wrong answer passes the visible check")


def _session(tmp_path_factory) -> dict:
    _require("/usr/bin/chromium", os.access(CHROMIUM, os.X_OK))
    _require("/usr/bin/chromedriver", os.access(CHROMEDRIVER, os.X_OK))
    usable, why = sandbox.available()
    _require(f"bubblewrap ({why})", usable)
    notebook = tmp_path_factory.mktemp("browser") / f"{ASSIGNMENT}.ipynb"
    release = read_notebook(COURSE.release_notebook(ASSIGNMENT))
    nbformat.write(answered(release, solution_code(ASSIGNMENT)), notebook)
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    # No network inside: only a loopback, where JupyterLab, chromedriver and chromium talk to each other.
    command = [bubblewrap.bwrap_path(), "--dev-bind", "/", "/", "--unshare-net", "--die-with-parent", "--",
               sys.executable, str(COURSE.root / "tests" / "support" / "browser_lab.py"), str(notebook), str(ARTIFACTS),
               "--answer", *WRONG]
    result = subprocess.run(command, cwd=COURSE.root, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, (f"the browser session failed (screenshots and logs in {ARTIFACTS}):\n"
                                    f"{result.stdout[-3000:]}{result.stderr[-3000:]}")
    data = json.loads((ARTIFACTS / "report.json").read_text())
    print(f"browser session: {data['timings']}")
    return data


def test_a_student_runs_01_in_jupyterlab(tmp_path_factory):
    """One test, one browser session (pytest-xdist would otherwise run a shared fixture once per worker)."""
    report = _session(tmp_path_factory)
    _every_test_cell_shows_its_success_line(report)
    _the_whole_notebook_ran_clean(report)
    _a_wrong_answer_shows_the_friendly_message(report)
    _screenshots_are_kept()


def _every_test_cell_shows_its_success_line(report):
    release = read_notebook(COURSE.release_notebook(ASSIGNMENT))
    code = [c for c in release.cells if c.cell_type == "code"]
    tests = [i for i, c in enumerate(code) if c.metadata.get("nbgrader", {}).get("grade")]
    assert report["test_cells"] == tests and len(tests) == 10
    cells = report["run_all"]
    assert len(cells) == len(code)
    for i in tests:
        name = re.search(r'check\.passed\("([^"]+)"\)', code[i].source).group(1)
        assert cells[i]["output"].strip() == _success_line(name), (i, cells[i])
        assert cells[i]["stderr"] == 0, (i, cells[i])


def _the_whole_notebook_ran_clean(report):
    cells = report["run_all"]
    assert [c for c in cells if c["stderr"]] == [], "something reached stderr (a test cell would score 0)"
    assert all(re.fullmatch(r"\[\d+\]:", c["prompt"]) for c in cells[1:]), [c["prompt"] for c in cells]
    version = COURSE.helpers_ref.removeprefix("v")
    assert cells[0]["output"].strip() == (f"✅ {COURSE.title} ({COURSE.helpers_ref}): course helpers {version} found, "
                                          "ready to go.")
    math_exp = next(c for c, source in zip(cells, report["code_cells"]) if "math.exp([1, 2, 3]) raises" in source)
    assert "math.exp([1, 2, 3]) raises TypeError" in math_exp["output"] and "np.exp" in math_exp["output"]


def _a_wrong_answer_shows_the_friendly_message(report):
    answer = report["answer"]
    assert answer["source"] == WRONG[1], "the page holds something else than what was typed"
    assert answer["cell"]["stderr"] == 0
    shown = answer["test"]["output"]
    assert answer["test"]["stderr"] > 0 and "CheckFailed" in shown
    for line in _wrong_answer_message().splitlines():
        assert line in shown, (line, shown)
    assert "all visible tests passed" not in shown
    # The message and the line that failed, not a traceback through the checks' own code.
    assert "Traceback" not in shown and "checks.py" not in shown, shown
    # (line 1 of the test cell is its comment, line 2 check.exercise(...), line 3 the check that fails)
    assert 'in line 3 of this cell: check.close(basic_sigmoid(3), 0.9525741268224334, "basic_sigmoid(3)"' in shown


def _screenshots_are_kept():
    for name in ("1-run-all-top.png", "2-run-all-last-test.png", "3-wrong-answer.png"):
        assert (ARTIFACTS / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
