"""``autograde ASSIGNMENT``: grade every submission in parallel (Dask), sandboxed, into the nbgrader gradebook."""

from __future__ import annotations

import sys

from ..course.coursedir import redact
from ..grading import batch as grading
from ._options import add_sandbox_options, add_workers_option, course_dir, grading_settings

NAME = "autograde"
SUMMARY = "grade submissions in parallel into the gradebook"
DESCRIPTION = ("Grade every submission of ASSIGNMENT in submitted/ in parallel (Dask), with the scores of nbgrader "
               "autograde, into the nbgrader gradebook. Every student folder ends with a status (graded, missing, "
               "invalid, rejected, timed out, kernel died, grading error) in autograded/<student>/ASSIGNMENT/grading.json. "
               "Unchanged submissions are skipped unless --force.")


def add_arguments(parser) -> None:
    parser.add_argument("assignment", metavar="ASSIGNMENT")
    add_workers_option(parser)
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="use this Dask scheduler (e.g. tcp://10.0.0.5:8786) instead of a local cluster")
    parser.add_argument("--force", action="store_true", help="grade unchanged submissions again")
    parser.add_argument("--student", action="append", dest="students", help="only this student (repeatable)")
    parser.add_argument("--cell-timeout", type=float, default=None,
                        help="seconds a cell may run (default: Execute.timeout of nbgrader_config.py)")
    parser.add_argument("--notebook-timeout", type=float, default=None,
                        help=f"seconds a whole notebook may run (default: {grading.DEFAULT_NOTEBOOK_TIMEOUT:g})")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_sandbox_options(parser)


def run(args) -> int:
    cd = course_dir(args)
    print(f"autograding {args.assignment} in {cd.root} (gradebook {redact(cd.db_url)})", file=sys.stderr)
    batch = grading.autograde(args.assignment, cd, settings=grading_settings(args), workers=args.workers,
                              scheduler=args.scheduler, force=args.force, cell_timeout=args.cell_timeout,
                              students=args.students, progress=not args.no_progress)
    if args.no_progress and batch.notice:
        print(batch.notice, file=sys.stderr)
    print(grading.summary(batch))
    return 0
