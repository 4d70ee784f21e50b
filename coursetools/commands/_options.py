"""Options several commands share, and the settings they turn into (data handed to the layers below)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..course import settings
from ..course.coursedir import CourseDir
from ..grading.batch import DEFAULT_NOTEBOOK_TIMEOUT
from ..grading.job import GradingSettings
from ..sandbox import Limits, SandboxSettings

NO_SANDBOX_HELP = ("grade WITHOUT isolating student code (no bubblewrap sandbox): it then runs with your rights, can "
                   "read the hidden tests and solutions, change your files and use the network. Only for trusted "
                   "notebooks, or a machine that cannot run bubblewrap")


def add_workers_option(parser: argparse.ArgumentParser) -> None:
    """--workers: the local cluster's size (its workers are threads, see coursetools.grading.cluster)."""
    parser.add_argument("--workers", type=int, default=None,
                        help="local workers, each grading one submission at a time (default: one per core)")


def course_options() -> argparse.ArgumentParser:
    """--root, --db-url, --verbose: the course folder every command works on."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("course folder")
    group.add_argument("--root", type=Path, default=None,
                       help="course folder in nbgrader's layout (default: the repository)")
    group.add_argument("--db-url", default=None,
                       help="gradebook URL (default: nbgrader_config.py's for the repository, "
                            "<root>/gradebook.db for another folder)")
    group.add_argument("-v", "--verbose", action="store_true", help="log what nbgrader does")
    return common


def add_sandbox_options(parser: argparse.ArgumentParser, no_sandbox_help: str = NO_SANDBOX_HELP) -> None:
    """--no-sandbox, --limit NAME=VALUE, --bwrap: how submissions are isolated."""
    group = parser.add_argument_group("isolation of student code")
    group.add_argument("--no-sandbox", action="store_true", help=no_sandbox_help)
    group.add_argument("--limit", action="append", default=[], metavar="NAME=VALUE",
                       help=f"a limit of each submission's kernel, over course.toml's [sandbox.limits] (repeatable); "
                            f"names: {', '.join(Limits.names())}")
    group.add_argument("--bwrap", metavar="PATH", help="the bubblewrap binary (default: bwrap on PATH)")
    group.add_argument("--cold-kernels", action="store_true",
                       help="start each kernel as a fresh Python instead of forking it from a warm template "
                            "(the sandbox is the same either way; slower: for comparison and troubleshooting)")


def course_dir(args) -> CourseDir:
    return CourseDir.open(args.root, args.db_url)


def _limit_overrides(items: list[str]) -> dict[str, int | float | str]:
    overrides: dict[str, int | float | str] = {}
    for item in items:
        name, equals, value = item.partition("=")
        if not equals or not name.strip() or not value.strip():
            raise ValueError(f"--limit takes NAME=VALUE (for example cpu_seconds=60), not {item!r}")
        overrides[name.strip()] = value.strip()
    return overrides


def sandbox_settings(args, enabled: bool | None = None) -> SandboxSettings:
    """The isolation asked for: course.toml's ``[sandbox]`` table, then the command line."""
    table = settings.load().section("sandbox")
    limits = Limits().with_overrides(dict(table.get("limits", {})))
    limits = limits.with_overrides(_limit_overrides(getattr(args, "limit", [])))
    return SandboxSettings(
        enabled=(not getattr(args, "no_sandbox", False)) if enabled is None else enabled, limits=limits,
        show=tuple(Path(p) for p in table.get("show", [])), hide=tuple(Path(p) for p in table.get("hide", [])),
        bwrap=getattr(args, "bwrap", None) or table.get("bwrap"),
        warm=bool(table.get("warm", True)) and not getattr(args, "cold_kernels", False))


def grading_settings(args, notebook_timeout: float | None = None, sandbox: SandboxSettings | None = None
                     ) -> GradingSettings:
    """Isolation and the per-notebook time limit, as the command line (and course.toml) ask."""
    timeout = notebook_timeout or getattr(args, "notebook_timeout", None) or DEFAULT_NOTEBOOK_TIMEOUT
    return GradingSettings(sandbox=sandbox or sandbox_settings(args), notebook_timeout=timeout)
