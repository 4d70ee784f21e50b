"""``python -m coursetools``: the instructor's commands, one entry point (see docs/instructor_guide.md)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .coursedir import CourseDir, redact

DESCRIPTION = """The instructor toolkit of the course: release assignments, collect and autograde submissions (in
parallel, on Dask), write feedback, grades and a class report. Every command works on a course folder in nbgrader's
layout: the repository by default, or --root DIR; the gradebook is nbgrader's (db_url of nbgrader_config.py,
or --db-url, e.g. postgresql://user@host/gradebook)."""


NO_SANDBOX_HELP = ("grade WITHOUT isolating student code (no bubblewrap sandbox): it then runs with your rights, can "
                   "read the hidden tests and solutions, change your files and use the network. Only for trusted "
                   "notebooks, or a machine that cannot run bubblewrap")


def _no_sandbox(args) -> None:
    """--no-sandbox: set before the Dask workers start, which inherit it."""
    if getattr(args, "no_sandbox", False):
        from . import sandbox

        sandbox.disable()


def _course_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("course folder")
    group.add_argument("--root", type=Path, default=None,
                       help="course folder in nbgrader's layout (default: the repository)")
    group.add_argument("--db-url", default=None,
                       help="gradebook URL (default: nbgrader_config.py's for the repository, "
                            "<root>/gradebook.db for another folder)")
    group.add_argument("-v", "--verbose", action="store_true", help="log what nbgrader does")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _course_options()
    parser = argparse.ArgumentParser(prog="python -m coursetools", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("release", parents=[common], help="generate assignments into release/ and check the stubs",
                       description="Generate assignments (all of course.toml by default) into release/ with "
                                   "nbgrader generate_assignment, add the Colab badge and set-up cell, record them in "
                                   "the gradebook, and check that every test fails on the untouched release.")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT")
    p.add_argument("--no-verify", action="store_true", help="skip the check that every stub fails its tests")

    p = sub.add_parser("bundle", parents=[common], help="the student distribution, checked for leaks",
                       description="Copy what students get into DIR: the release notebooks, helpers without "
                                   "helpers/reference, data, img/, requirements, README; then check that no solution "
                                   "code and no hidden test is in it.")
    p.add_argument("directory", type=Path, metavar="DIR")
    p.add_argument("--assignment", action="append", dest="assignments", help="only these (repeatable)")
    p.add_argument("--force", action="store_true", help="replace DIR if it is not empty")
    p.add_argument("--zip", action="store_true", help="also write DIR.zip")

    p = sub.add_parser("collect", parents=[common], help="submissions from a folder or an LMS zip into submitted/",
                       description="Copy the notebooks of SOURCE (a folder or a zip downloaded from the LMS) into "
                                   "submitted/<student>/ASSIGNMENT/, following nbgrader's zip_collect conventions, and "
                                   "report every file that could not be matched to a student.")
    p.add_argument("assignment", metavar="ASSIGNMENT")
    p.add_argument("source", type=Path, metavar="SOURCE")
    p.add_argument("--layout", choices=["name", "folder", "canvas"], default="name",
                   help="name: <student>.ipynb or <student>_<anything>.ipynb; folder: <student>/<notebook>.ipynb; "
                        "canvas: Canvas' submission download (default: name)")
    p.add_argument("--regexp", help="nbgrader-style named_regexp with (?P<student_id>...), optional "
                                    "(?P<file_id>...) and (?P<timestamp>...), matched against the path inside SOURCE")
    p.add_argument("--roster", type=Path, help="CSV with an 'id' column (or one id a line): only these students")
    p.add_argument("--dry-run", action="store_true", help="report what would be collected, write nothing")

    p = sub.add_parser("autograde", parents=[common], help="grade submissions in parallel into the gradebook",
                       description="Grade every submission of ASSIGNMENT in submitted/ in parallel (Dask), with the "
                                   "scores of nbgrader autograde, into the nbgrader gradebook. Every student folder "
                                   "ends with a status (graded, missing, invalid, timed out, kernel died, grading "
                                   "error) in autograded/<student>/ASSIGNMENT/grading.json. Unchanged submissions "
                                   "are skipped unless --force.")
    p.add_argument("assignment", metavar="ASSIGNMENT")
    p.add_argument("--workers", type=int, default=None, help="local worker processes (default: one per core)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="use this Dask scheduler (e.g. tcp://10.0.0.5:8786) instead of a local cluster")
    p.add_argument("--force", action="store_true", help="grade unchanged submissions again")
    p.add_argument("--student", action="append", dest="students", help="only this student (repeatable)")
    p.add_argument("--cell-timeout", type=float, default=None,
                   help="seconds a cell may run (default: Execute.timeout of nbgrader_config.py)")
    p.add_argument("--notebook-timeout", type=float, default=None,
                   help="seconds a whole notebook may run (default: 600)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-sandbox", action="store_true", help=NO_SANDBOX_HELP)

    p = sub.add_parser("feedback", parents=[common], help="an HTML feedback page per student",
                       description="Write feedback/<student>/ASSIGNMENT/<notebook>.html for every graded submission: "
                                   "points per exercise and the failure messages, never hidden tests.")
    p.add_argument("assignment", metavar="ASSIGNMENT")
    p.add_argument("--student", action="append", dest="students", help="only this student (repeatable)")

    p = sub.add_parser("grades", parents=[common], help="a CSV: one row per student and assignment",
                       description="Write the grades CSV (points per exercise, late penalty, total, status) from the "
                                   "gradebook, and print the totals.")
    p.add_argument("--assignment", action="append", dest="assignments", help="only these (repeatable)")
    p.add_argument("--output", type=Path, help="CSV path (default: <root>/reports/grades.csv)")
    p.add_argument("--quiet", action="store_true", help="do not print the table")

    p = sub.add_parser("report", parents=[common], help="a self-contained HTML class report",
                       description="Write an HTML class report with plots: score distribution per assignment, pass "
                                   "rate per exercise, and the submissions that failed to grade or are flagged.")
    p.add_argument("--assignment", action="append", dest="assignments", help="only these (repeatable)")
    p.add_argument("--output", type=Path, help="HTML path (default: <root>/reports/report.html)")

    p = sub.add_parser("demo", parents=[common], help="release, a sample class, autograde, grades and report",
                       description="Run the whole pipeline on a sample class in demo/ (gitignored) with a SQLite "
                                   "gradebook: release every assignment, build the class (reference, untouched, "
                                   "typical mistakes, deleted tests, a broken file), autograde, feedback, grades, "
                                   "report. Re-runs skip unchanged submissions.")
    p.add_argument("--workers", type=int, default=None, help="local worker processes (default: one per core)")
    p.add_argument("--force", action="store_true", help="grade every submission again")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run the sample class without the sandbox (without bubblewrap the demo does so anyway, and "
                        "says so)")
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
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (FileNotFoundError, FileExistsError, ValueError, RuntimeError, AssertionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _cd(args) -> CourseDir:
    return CourseDir.open(args.root, args.db_url)


def _release(args) -> int:
    from .publish import release

    cd = _cd(args)
    for r in release(args.assignments or None, cd, verify=not args.no_verify):
        checked = f", {r.failing_tests} tests all failing on the stubs" if r.failing_tests else ""
        print(f"released {r.assignment}: {r.notebook}{checked}")
    return 0


def _bundle(args) -> int:
    from .bundle import bundle

    result = bundle(args.directory, args.assignments, force=args.force, archive=args.zip)
    print(f"student bundle: {result.path} ({len(result.files)} files, checked: no solution, no hidden test)")
    if result.archive:
        print(f"zip: {result.archive}")
    return 0


def _collect(args) -> int:
    from .collect import collect

    report = collect(args.assignment, args.source, _cd(args), layout=args.layout, regexp=args.regexp,
                     roster=args.roster, dry_run=args.dry_run)
    print(report.summary())
    return 0


def _autograde(args) -> int:
    from . import autograde as grading

    _no_sandbox(args)
    cd = _cd(args)
    print(f"autograding {args.assignment} in {cd.root} (gradebook {redact(cd.db_url)})", file=sys.stderr)
    batch = grading.autograde(args.assignment, cd, workers=args.workers, scheduler=args.scheduler, force=args.force,
                              cell_timeout=args.cell_timeout,
                              notebook_timeout=args.notebook_timeout or grading.DEFAULT_NOTEBOOK_TIMEOUT,
                              students=args.students, progress=not args.no_progress)
    if args.no_progress and batch.notice:
        print(batch.notice, file=sys.stderr)
    print(grading.summary(batch))
    return 0


def _feedback(args) -> int:
    from .feedback import feedback

    cd = _cd(args)
    pages = feedback(args.assignment, cd, args.students)
    print(f"{len(pages)} feedback pages in {cd.feedback}")
    return 0


def _grades(args) -> int:
    from .gradebook_export import table, text_table, write_csv

    cd = _cd(args)
    t = table(cd, args.assignments)
    path = write_csv(t, args.output or cd.reports / "grades.csv")
    if not args.quiet:
        print(text_table(t))
    print(f"grades: {path}")
    return 0


def _report(args) -> int:
    from .report import report

    print(f"report: {report(_cd(args), args.output, args.assignments)}")
    return 0


def _demo(args) -> int:
    from .demo import demo

    _no_sandbox(args)
    result = demo(args.root, workers=args.workers, force=args.force, progress=not args.no_progress,
                  db_url=args.db_url)
    return 1 if result.unexpected else 0


COMMANDS = {"release": _release, "bundle": _bundle, "collect": _collect, "autograde": _autograde,
            "feedback": _feedback, "grades": _grades, "report": _report, "demo": _demo}
