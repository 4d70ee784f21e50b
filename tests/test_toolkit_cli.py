"""The toolkit's command line: one entry point, every subcommand with --help."""

from __future__ import annotations

import subprocess
import sys

import pytest

from coursetools import settings
from coursetools.cli import COMMANDS, build_parser

SUBCOMMANDS = ["release", "bundle", "collect", "autograde", "feedback", "grades", "report", "demo"]


def test_every_subcommand_is_wired():
    assert sorted(COMMANDS) == sorted(SUBCOMMANDS)


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_subcommand_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args([command, "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert f"python -m coursetools {command}" in text
    assert "--root" in text and "--db-url" in text


def test_autograde_options():
    args = build_parser().parse_args(["autograde", "01_numpy_basics", "--workers", "3", "--scheduler",
                                      "tcp://10.0.0.5:8786", "--force", "--cell-timeout", "30",
                                      "--notebook-timeout", "300", "--student", "a", "--student", "b"])
    assert (args.workers, args.scheduler, args.force, args.cell_timeout, args.notebook_timeout, args.students) == (
        3, "tcp://10.0.0.5:8786", True, 30.0, 300.0, ["a", "b"])


def test_python_m_coursetools_help():
    result = subprocess.run([sys.executable, "-m", "coursetools", "--help"], cwd=settings.load().root,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for command in SUBCOMMANDS:
        assert command in result.stdout


def test_unknown_assignment_is_a_clear_error(tmp_path, capsys):
    from coursetools.cli import main

    code = main(["autograde", "no_such_assignment", "--root", str(tmp_path), "--no-progress"])
    assert code == 2
    assert "release it first" in capsys.readouterr().err


def test_autograde_without_bubblewrap_refuses_and_says_what_to_do(tmp_path, monkeypatch, capsys):
    """No sandbox, no grading: the command stops before running any submission and names the fix and the way out."""
    from coursetools import results
    from coursetools.cli import main
    from tests.toolkit_course import REFERENCE, TINY, answered, make_course, submit

    cd = make_course(tmp_path / "course")
    submit(cd, "alice", answered(cd, REFERENCE))
    monkeypatch.setenv("COURSETOOLS_BWRAP", str(tmp_path / "no-bwrap-here"))
    monkeypatch.delenv("COURSETOOLS_SANDBOX", raising=False)
    code = main(["autograde", TINY, "--root", str(cd.root), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Cannot isolate student code" in err and "apt-get install bubblewrap" in err and "--no-sandbox" in err
    assert results.load(cd.autograded_dir("alice", TINY)) is None, "nothing may be graded unisolated"


def test_no_sandbox_flag_is_passed_to_the_workers(monkeypatch):
    """--no-sandbox is an environment setting, so that the Dask worker processes (started afterwards) inherit it."""
    from coursetools import sandbox
    from coursetools.cli import _no_sandbox

    # setenv records the variable's state before the test, so that teardown restores it (a later test in this
    # process must not inherit "off").
    monkeypatch.setenv(sandbox.ENV_MODE, "required")
    _no_sandbox(build_parser().parse_args(["autograde", "a"]))
    assert sandbox.enabled()
    _no_sandbox(build_parser().parse_args(["autograde", "a", "--no-sandbox"]))
    assert not sandbox.enabled()
