"""``./run demo`` (``python -m coursetools demo``) from a fresh process: release, sample class, autograde, grade table,
report; and a second run that works too (idempotent) and regrades nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from coursetools.course import settings
from tests.support.course import venv_environment

pytestmark = pytest.mark.slow
COURSE = settings.load()


def _demo(root: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coursetools", "demo", "--root", str(root), "--no-progress", *extra],
                          cwd=COURSE.root, env=venv_environment(), capture_output=True, text=True, timeout=1500)


def test_demo_runs_twice(tmp_path):
    root = tmp_path / "demo"
    first = _demo(root)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    out = first.stdout
    for student in ("ref-solution", "untouched", "mistake-1", "deleted-tests", "broken-json"):
        assert student in out
    assert "UNEXPECTED" not in out
    assert "Sandbox: bubblewrap" in out, "the demo grades in the sandbox where bubblewrap works (CI installs it)"
    assert "invalid notebook" in out and "total" in out
    assert "late:      mistake-1 handed 01_numpy_basics in 1 day 5 h after the due date: penalty" in out
    assert "extension: mistake-2 (2 days) handed 01_numpy_basics in 1 day 5 h after the due date: on time" in out
    assert "similar:   alternative & copier in 01_numpy_basics" in out and "(flagged)" in out
    assert (root / "reports" / "report.html").is_file() and (root / "reports" / "grades.csv").is_file()
    for assignment in COURSE.assignments:
        assert (root / "feedback" / "ref-solution" / assignment / f"{assignment}.html").is_file()
        assert (root / "release" / assignment / f"{assignment}.ipynb").is_file()

    second = _demo(root)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "unchanged since the last run" in second.stdout
    table = lambda text: text[text.index("\nstudent "):text.index("What each student")]  # noqa: E731
    assert table(second.stdout) == table(first.stdout)


def test_demo_without_bubblewrap_says_so_once_and_keeps_the_terminal_clean(tmp_path):
    """No bubblewrap: the demo grades its own sample class unsandboxed, says so once, and no kernel chatter."""
    result = _demo(tmp_path / "demo", "--bwrap", "/nonexistent")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    text = result.stdout + result.stderr
    assert text.count("no sandbox on this machine") == 1 and "grading WITHOUT a sandbox" not in text
    assert "[IPKernelApp]" not in text and "without encryption" not in text
    assert "UNEXPECTED" not in result.stdout and "late:      mistake-1" in result.stdout
