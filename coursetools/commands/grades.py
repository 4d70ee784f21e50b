"""``grades``: the grades CSV (points per exercise, late penalty, total, status) from the gradebook."""

from __future__ import annotations

from pathlib import Path

from ..reporting.grades import table, text_table, write_csv
from ._options import course_dir

NAME = "grades"
SUMMARY = "a CSV: one row per student and assignment"
DESCRIPTION = ("Write the grades CSV (points per exercise, late penalty, total, status) from the gradebook, and "
               "print the totals.")


def add_arguments(parser) -> None:
    parser.add_argument("--assignment", action="append", dest="assignments", help="only these (repeatable)")
    parser.add_argument("--output", type=Path, help="CSV path (default: <root>/reports/grades.csv)")
    parser.add_argument("--quiet", action="store_true", help="do not print the table")


def run(args) -> int:
    cd = course_dir(args)
    t = table(cd, args.assignments)
    path = write_csv(t, args.output or cd.reports / "grades.csv")
    if not args.quiet:
        print(text_table(t))
    print(f"grades: {path}")
    return 0
