"""``serve``: the grading service students hand their notebooks to (feedback within seconds, limits, the grade of
record in the gradebook)."""

from __future__ import annotations

import sys

from ..course.coursedir import redact
from ..grading.batch import DEFAULT_NOTEBOOK_TIMEOUT
from ..sandbox import require
from ..serve import config, layout
from ..serve.service import Service
from ..serve.tokens import INSTRUCTOR, STUDENT, new_token, write_private
from ._options import add_sandbox_options, add_workers_option, course_dir, grading_settings

NAME = "serve"
SUMMARY = "the grading service: students hand in, feedback in seconds"
DESCRIPTION = ("Serve a web page and an HTTP API (documented at /docs) where students hand in notebooks, from the "
               "browser or with helpers.submit() in a notebook cell. Each attempt is kept under submitted/, graded "
               "in the sandbox on Dask as autograde grades, and its feedback page appears within seconds; the "
               "gradebook holds the grade of record (course.toml [serve] grade_of_record). Students sign in with "
               "the tokens of `coursetools tokens`; the instructor's page is /instructor. Limits and policies: "
               "course.toml [serve] and [feedback] (see docs/instructor_guide.md).")


def add_arguments(parser) -> None:
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only; put a TLS reverse proxy "
                             "in front for a class, see the README)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--forwarded-allow-ips", metavar="IPS",
                        help="behind a reverse proxy: trust its X-Forwarded-For/-Proto from these addresses "
                             "(e.g. 127.0.0.1), so links and secure cookies use https")
    add_workers_option(parser)
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="grade on this Dask scheduler (e.g. tcp://10.0.0.5:8786) instead of a local cluster")
    parser.add_argument("--notebook-timeout", type=float, default=None,
                        help=f"seconds a whole notebook may run (default: {DEFAULT_NOTEBOOK_TIMEOUT:g})")
    group = parser.add_argument_group("limits and policies (over course.toml's [serve])")
    group.add_argument("--assignment", action="append", dest="assignments",
                       help="open only this assignment for hand-in (repeatable; default: every released one)")
    group.add_argument("--attempts-per-hour", type=int, help="attempts per student and assignment in 60 minutes")
    group.add_argument("--attempts-per-day", type=int, help="attempts per student and assignment in 24 hours")
    group.add_argument("--grade-of-record", choices=[config.LAST, config.BEST],
                       help="which attempt before the due date counts")
    group.add_argument("--max-upload-mb", type=float, help="the largest notebook accepted, in MiB")
    group.add_argument("--queue-limit", type=int, help="attempts waiting at most")
    group.add_argument("--no-access-log", action="store_true", help="no line per HTTP request")
    add_sandbox_options(parser)


def settings_of(args) -> config.ServeSettings:
    return config.load().with_overrides(
        assignments=tuple(args.assignments) if args.assignments else None,
        attempts_per_hour=args.attempts_per_hour, attempts_per_day=args.attempts_per_day,
        grade_of_record=args.grade_of_record, queue_limit=args.queue_limit,
        max_upload_bytes=int(args.max_upload_mb * 1024 * 1024) if args.max_upload_mb else None)


def run(args) -> int:
    # The web stack (FastAPI, pydantic: about 0.3 CPU-s to import) only for this command, not for every one.
    from ..serve import server

    cd = course_dir(args)
    settings = settings_of(args)
    grading = grading_settings(args)
    if not args.scheduler:
        print(require(grading.sandbox), file=sys.stderr)  # no sandbox here: stop now, saying what to install
    server.configure_logging(args.verbose)
    service = Service(cd, settings, grading, workers=args.workers, scheduler=args.scheduler)
    if not service.assignments:
        raise ValueError(f"no assignment is open for hand-in in {cd.root}: release one first "
                         "(python -m coursetools release)")
    folder = layout.service_dir(cd)
    if not service.store.subjects(INSTRUCTOR):
        path = folder / "instructor-token.txt"
        token = new_token()
        service.store.set_token("instructor", INSTRUCTOR, token)
        write_private(path, token + "\n")
        print(f"The instructor's token is in {path} (readable by you only): sign in with it at /instructor.",
              file=sys.stderr)
    students = service.store.subjects(STUDENT)
    if not students:
        print("No student has a token yet: python -m coursetools tokens ROSTER.csv --out tokens.csv",
              file=sys.stderr)
    where = f"http://{'localhost' if args.host in ('127.0.0.1', '::1') else args.host}:{args.port}/"
    print(f"Grading service for {', '.join(service.assignments)} ({len(students)} students with a token; gradebook "
          f"{redact(cd.db_url)}) at {where} (API: {where}docs, instructor: {where}instructor). Ctrl+C stops it; "
          "nothing handed in is lost.", file=sys.stderr)
    server.run(service, args.host, args.port, args.forwarded_allow_ips, access_log=not args.no_access_log)
    return 0
