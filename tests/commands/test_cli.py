"""The toolkit's command line: one entry point, every subcommand with --help."""

from __future__ import annotations

import subprocess
import sys

import pytest

from coursetools.cli import build_parser
from coursetools.commands import COMMANDS
from coursetools.course import settings

SUBCOMMANDS = ["release", "bundle", "collect", "autograde", "feedback", "grades", "similarity", "report", "tokens",
               "serve", "demo"]


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
    from coursetools.cli import main
    from coursetools.grading import results
    from tests.support.course import REFERENCE, TINY, answered, make_course, submit

    cd = make_course(tmp_path / "course")
    submit(cd, "alice", answered(cd, REFERENCE))
    code = main(["autograde", TINY, "--root", str(cd.root), "--no-progress", "--bwrap", str(tmp_path / "no-bwrap")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Cannot start a sandboxed kernel" in err and "apt-get install bubblewrap" in err and "--no-sandbox" in err
    assert results.load(cd.autograded_dir("alice", TINY)) is None, "nothing may be graded unisolated"


def test_isolation_options_become_settings():
    """--no-sandbox and --limit become data (SandboxSettings) that travel with every job to the workers."""
    from coursetools.commands._options import grading_settings

    default = grading_settings(build_parser().parse_args(["autograde", "a"]))
    assert default.sandbox.enabled and default.sandbox.limits.cpu_seconds == 600 and default.notebook_timeout == 600
    asked = grading_settings(build_parser().parse_args(
        ["autograde", "a", "--no-sandbox", "--limit", "cpu_seconds=17", "--limit", "output_bytes=1e6",
         "--notebook-timeout", "99"]))
    assert not asked.sandbox.enabled and asked.notebook_timeout == 99
    assert (asked.sandbox.limits.cpu_seconds, asked.sandbox.limits.output_bytes) == (17, 1_000_000)
    with pytest.raises(ValueError, match="unknown sandbox limit"):
        grading_settings(build_parser().parse_args(["autograde", "a", "--limit", "cpus=1"]))
    with pytest.raises(ValueError, match="NAME=VALUE"):
        grading_settings(build_parser().parse_args(["autograde", "a", "--limit", "cpu_seconds"]))
