"""``python -m coursetools``: the instructor's commands, one entry point (see docs/instructor_guide.md)."""

from __future__ import annotations

import argparse
import logging
import sys

from .commands import COMMANDS
from .commands._options import course_options

DESCRIPTION = """The instructor toolkit of the course: release assignments, collect and autograde submissions (in
parallel, on Dask), write feedback, grades and a class report. Every command works on a course folder in nbgrader's
layout: the repository by default, or --root DIR; the gradebook is nbgrader's (db_url of nbgrader_config.py,
or --db-url, e.g. postgresql://user@host/gradebook)."""


def build_parser() -> argparse.ArgumentParser:
    common = course_options()
    parser = argparse.ArgumentParser(prog="python -m coursetools", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in COMMANDS.items():
        module.add_arguments(sub.add_parser(name, parents=[common], help=module.SUMMARY,
                                            description=module.DESCRIPTION))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR, format="%(levelname)s %(message)s")
    if not args.verbose:
        for name in ("traitlets", "distributed", "tornado"):
            logging.getLogger(name).setLevel(logging.ERROR)
        # nbgrader's API checks its exchange folder, which this course does not use (students hand in via Colab/LMS).
        logging.getLogger().handlers[0].addFilter(lambda record: "Unwritable directory" not in record.getMessage())
    try:
        return COMMANDS[args.command].run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (FileNotFoundError, FileExistsError, ValueError, RuntimeError, AssertionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
