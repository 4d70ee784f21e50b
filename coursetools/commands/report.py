"""``report``: one self-contained HTML page on the whole class."""

from __future__ import annotations

from pathlib import Path

from ..reporting.class_report import report
from ._options import course_dir

NAME = "report"
SUMMARY = "a self-contained HTML class report"
DESCRIPTION = ("Write an HTML class report with plots: score distribution per assignment, pass rate per exercise, and "
               "the submissions that failed to grade or are flagged.")


def add_arguments(parser) -> None:
    parser.add_argument("--assignment", action="append", dest="assignments", help="only these (repeatable)")
    parser.add_argument("--output", type=Path, help="HTML path (default: <root>/reports/report.html)")


def run(args) -> int:
    print(f"report: {report(course_dir(args), args.output, args.assignments)}")
    return 0
