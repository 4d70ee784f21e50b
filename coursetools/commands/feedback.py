"""``feedback ASSIGNMENT``: an HTML page per student, with each exercise's points and why points were lost."""

from __future__ import annotations

from ..reporting.feedback import feedback
from ._options import course_dir

NAME = "feedback"
SUMMARY = "an HTML feedback page per student"
DESCRIPTION = ("Write feedback/<student>/ASSIGNMENT/<notebook>.html for every graded submission: points per exercise "
               "and the failure messages, never hidden tests.")


def add_arguments(parser) -> None:
    parser.add_argument("assignment", metavar="ASSIGNMENT")
    parser.add_argument("--student", action="append", dest="students", help="only this student (repeatable)")


def run(args) -> int:
    cd = course_dir(args)
    pages = feedback(args.assignment, cd, args.students)
    print(f"{len(pages)} feedback pages in {cd.feedback}")
    return 0
