"""``demo``: the whole pipeline on a sample class, in ``demo/`` (gitignored), with a SQLite gradebook.

1. release every assignment of course.toml into demo/release/ (and check that every stub fails its tests);
2. a sample class per assignment (:func:`coursetools.samples.demo_class`): the reference solution, the
   untouched release, typical mistakes from the grading corpus, a notebook whose test cells were deleted, and a
   file that is not valid JSON;
3. autograde (Dask, one worker per core), feedback pages, the grades CSV, a grade table and the class report.

Re-running it works and is quick: unchanged submissions are not graded again (``--force`` regrades them).
"""

from __future__ import annotations

import dataclasses
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .. import samples, sandbox
from ..course import settings
from ..course.coursedir import CourseDir
from ..grading import batch as grading
from ..grading import cluster, results
from ..reporting import class_report, feedback, grades
from . import release
from ._options import add_sandbox_options, grading_settings, sandbox_settings

NAME = "demo"
SUMMARY = "release, a sample class, autograde, grades and report"
DESCRIPTION = ("Run the whole pipeline on a sample class in demo/ (gitignored) with a SQLite gradebook: release every "
               "assignment, build the class (reference, untouched, typical mistakes, deleted tests, a broken file), "
               "autograde, feedback, grades, report. Re-runs skip unchanged submissions.")

DEMO_FOLDER = "demo"
#: A wrong answer can make a later cell loop for a long time (training that never converges): the demo stops a
#: notebook after this long and shows it as "timed out" (a real course keeps the default of 600 s, or sets its own).
DEMO_NOTEBOOK_TIMEOUT = 60.0


@dataclass
class DemoResult:
    root: Path
    report: Path
    grades: Path
    seconds: float
    steps: dict[str, float] = field(default_factory=dict)
    notes: dict[str, dict[str, str]] = field(default_factory=dict)   # assignment -> student -> what they handed in
    unexpected: list[str] = field(default_factory=list)              # submissions whose status was not the expected


def demo(root: Path | None = None, workers: int | None = None, force: bool = False, progress: bool = True,
         say=print, db_url: str | None = None, isolation: sandbox.SandboxSettings | None = None) -> DemoResult:
    """Run the whole pipeline on the sample class; ``isolation`` as autograde's (default: sandboxed if possible)."""

    start = time.perf_counter()
    course = settings.load()
    cd = CourseDir.open(root or course.root / DEMO_FOLDER, db_url)
    steps: dict[str, float] = {}

    def step(name: str, began: float) -> None:
        steps[name] = time.perf_counter() - began

    say(f"Demo course folder: {cd.root} (gradebook {cd.db_url})")
    isolation = isolation or sandbox.SandboxSettings()
    ok, why = sandbox.available(isolation.bwrap)
    if isolation.enabled and not ok:
        # The sample class is our own code, so the demo may run it unisolated; a real class may not (autograde
        # refuses unless --no-sandbox).
        isolation = dataclasses.replace(isolation, enabled=False)
        say(f"NOTE: no sandbox on this machine ({why}); the demo grades its own sample class without one. "
            f"Real submissions need it: {sandbox.INSTALL_HELP}")
    began = time.perf_counter()
    released = release.release(list(course.assignments), cd, verify=True)
    for r in released:
        say(f"released {r.assignment}: {r.notebook.relative_to(cd.root)} ({r.failing_tests} tests, all failing on the stubs)")
    step("release", began)

    began = time.perf_counter()
    notes: dict[str, dict[str, str]] = {}
    expected: dict[tuple[str, str], str] = {}
    for assignment in course.assignments:
        submissions = samples.demo_class(cd, assignment)
        samples.write(cd, assignment, submissions)
        notes[assignment] = {s.student: s.note for s in submissions}
        expected.update({(assignment, s.student): s.expect for s in submissions})
    step("sample class", began)

    began = time.perf_counter()
    unexpected = []
    say(f"autograding {len(course.assignments)} assignments side by side on one Dask cluster "
        f"(per-notebook limit {DEMO_NOTEBOOK_TIMEOUT:g} s)...")
    settings_ = grading_settings(None, notebook_timeout=DEMO_NOTEBOOK_TIMEOUT, sandbox=isolation)
    client, cluster_ = cluster.start(workers, None)
    try:
        say(grading.check_workers(client, settings_))
        # The assignments' batches share the cluster, so one slow notebook does not hold the others up.
        with ThreadPoolExecutor(max_workers=len(course.assignments)) as pool:
            batches = list(pool.map(
                lambda item: grading.autograde(item[1], cd, settings=settings_, force=force, progress=progress,
                                               client=client, progress_position=item[0], announce=False),
                enumerate(course.assignments)))
    finally:
        cluster.close(client, cluster_)
    for assignment, batch in zip(course.assignments, batches):
        say(grading.summary(batch))
        for graded in batch.results:
            status = expected.get((assignment, graded.student), graded.status)
            allowed = (status, results.TIMED_OUT) if graded.student.startswith("mistake") else (status,)
            if graded.status not in allowed:
                unexpected.append(f"{assignment}/{graded.student}: {graded.status} ({graded.reason})")
    step("autograde", began)

    began = time.perf_counter()
    for assignment in course.assignments:
        feedback.feedback(assignment, cd)
    table = grades.table(cd, list(course.assignments))
    grades_csv = grades.write_csv(table, cd.reports / "grades.csv")
    path = class_report.report(cd)
    step("feedback, grades, report", began)

    say("")
    say(grades.text_table(table))
    say("")
    for assignment, students in notes.items():
        say(f"What each student handed in for {assignment}:")
        for student, note in students.items():
            say(f"  {student:<14} {note}")
    seconds = time.perf_counter() - start
    say("")
    say(f"grades:   {grades_csv}")
    say(f"report:   {path}")
    say(f"feedback: {cd.feedback}/<student>/<assignment>/<assignment>.html")
    say("time:     " + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items()) + f"; total {seconds:.1f} s")
    if unexpected:
        say("UNEXPECTED statuses: " + "; ".join(unexpected))
    return DemoResult(cd.root, path, grades_csv, seconds, steps, notes, unexpected)


def add_arguments(parser) -> None:
    parser.add_argument("--workers", type=int, default=None, help="local worker processes (default: one per core)")
    parser.add_argument("--force", action="store_true", help="grade every submission again")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_sandbox_options(parser, "run the sample class without the sandbox (without bubblewrap the demo does so "
                                "anyway, and says so)")


def run(args) -> int:
    result = demo(args.root, workers=args.workers, force=args.force, progress=not args.no_progress,
                  db_url=args.db_url, isolation=sandbox_settings(args))
    return 1 if result.unexpected else 0
