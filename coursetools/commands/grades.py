"""``grades``: the grades CSV from the gradebook, as a wide table, a long one, or an LMS's import file.

``--format wide`` (the default): one row per student and assignment, one column per exercise. ``long``: one row per
student, assignment and exercise, with the failure message and diagnosis. ``canvas`` and ``moodle``: the LMS's
grade import file, one row per roster student (see :mod:`coursetools.reporting.lms` for the formats and where they
are documented). The roster comes from ``--roster`` or course.toml's ``[lms] roster``.
"""

from __future__ import annotations

from pathlib import Path

from ..course import settings
from ..reporting import lms
from ..reporting.grades import table, text_table, write_csv
from ._options import course_dir

NAME = "grades"
SUMMARY = "a CSV of grades: wide, long, or Canvas's or Moodle's import file"
DESCRIPTION = ("Write the grades from the gradebook (points per exercise, late penalty, total, status) as a CSV: "
               "--format wide (one row per student and assignment), long (one row per exercise, with the failure "
               "message), canvas or moodle (the LMS's grade import file, one row per roster student), and print "
               "the totals.")
DEFAULT_NAMES = {"wide": "grades.csv", "long": "grades_long.csv", "canvas": "grades_canvas.csv",
                 "moodle": "grades_moodle.csv"}


def add_arguments(parser) -> None:
    parser.add_argument("--assignment", action="append", dest="assignments", help="only these (repeatable)")
    parser.add_argument("--format", choices=lms.FORMATS, default="wide",
                        help="wide (default), long, canvas or moodle")
    parser.add_argument("--roster", type=Path,
                        help="CSV mapping student folders to LMS ids, names, emails and sections (default: course.toml "
                             "[lms] roster); needed by canvas and moodle")
    parser.add_argument("--output", type=Path, help="CSV path (default: <root>/reports/grades[_FORMAT].csv)")
    parser.add_argument("--quiet", action="store_true", help="do not print the table")


def run(args) -> int:
    cd = course_dir(args)
    course = settings.load()
    options = course.section("lms")
    roster_path = args.roster or (course.root / options["roster"] if options.get("roster") else None)
    people = lms.read_roster(roster_path) if roster_path else None
    fmt = getattr(args, "format", "wide")
    if fmt in ("canvas", "moodle") and people is None:
        raise ValueError(f"--format {fmt} needs a roster (--roster roster.csv, or course.toml [lms] roster): it maps "
                         f"the student folders to the LMS's ids, names, emails and sections")
    t = table(cd, args.assignments)
    path = args.output or cd.reports / DEFAULT_NAMES[fmt]
    columns = dict(options.get("columns", {}))
    warnings: list[str] = []
    if fmt == "wide":
        write_csv(t, path)
    elif fmt == "long":
        warnings = lms.write_long(t, path, people).warnings
    elif fmt == "canvas":
        warnings = lms.write_canvas(t, people or [], path, columns).warnings
    else:
        warnings = lms.write_moodle(t, people or [], path, columns).warnings
    if not args.quiet:
        print(text_table(t))
    for warning in warnings:
        print(f"warning: {warning}")
    print(f"grades ({fmt}): {path}")
    return 0
