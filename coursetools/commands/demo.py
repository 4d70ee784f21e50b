"""``demo``: the whole pipeline on a sample class, in ``demo/`` (gitignored), with a SQLite gradebook.

1. release every assignment of course.toml into demo/release/ (and check that every stub fails its tests);
2. a sample class per assignment (:func:`coursetools.samples.demo_class`): the reference solution, the
   untouched release, typical mistakes from the grading corpus, a notebook whose test cells were deleted, a
   file that is not valid JSON, and a copied pair (correct answers written differently, and a disguised copy);
   with the demo's own due dates (:data:`DEMO_DEADLINES`): one student hands in late, one has an extension;
3. autograde (Dask, one worker per core, one progress display for the four assignments), feedback pages, the grades
   CSV, the similarity report, a grade table and the class report.

Re-running it works and is quick: unchanged submissions are not graded again (``--force`` regrades them).
"""

from __future__ import annotations

import dataclasses
import datetime
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .. import samples, sandbox
from ..course import settings
from ..course.coursedir import CourseDir
from ..course.deadlines import Deadlines, describe_duration
from ..grading import batch as grading
from ..grading import cluster, results
from ..grading.kernels import kernel_arguments
from ..grading.progress import BatchProgress
from ..reporting import class_report, feedback, grades, similarity
from . import release
from ._options import add_sandbox_options, add_workers_option, grading_settings, sandbox_settings

NAME = "demo"
SUMMARY = "release, a sample class, autograde, grades and report"
DESCRIPTION = ("Run the whole pipeline on a sample class in demo/ (gitignored) with a SQLite gradebook: release every "
               "assignment, build the class (reference, untouched, typical mistakes, deleted tests, a broken file), "
               "autograde, feedback, grades, report. Re-runs skip unchanged submissions.")

DEMO_FOLDER = "demo"
#: A wrong answer can make a later cell loop for a long time (training that never converges): the demo stops a
#: notebook after this long and shows it as "timed out" (a real course keeps the default of 600 s, or sets its own).
#: Not less: in the sandbox the grader answers every call to an isolated exercise's reference functions, and 03's
#: end-to-end training makes about 4,400 of them (its correct notebook: 25 s on a quiet 2-core machine, 60 s and
#: more when the machine is busy).
DEMO_NOTEBOOK_TIMEOUT = 120.0
#: The demo's due dates (a real course sets its own in course.toml [deadlines]) and late policy.
DEMO_DEADLINES: dict = {
    "timezone": "Europe/Paris",
    "due": {"01_numpy_basics": "2026-10-05 23:59", "02_logistic_regression": "2026-10-19 23:59",
            "03_shallow_network": "2026-11-02 23:59", "04_deep_network": "2026-11-16 23:59"},
    "late_policy": {"percent": 10, "per": "1 day", "grace": "15 minutes", "cap": 50, "accept_for": "7 days"},
    "extensions": "extensions.csv",
}
#: Who hands in when, against the due date (everyone else two hours early); who has an extension.
LATE, EXTENDED = "mistake-1", "mistake-2"
HANDED_IN = {LATE: datetime.timedelta(days=1, hours=5), EXTENDED: datetime.timedelta(days=1, hours=5)}
EXTENSION = "2 days"


def demo_deadlines(cd: CourseDir, assignments) -> Deadlines:
    """The demo's deadlines, with its extensions file written into the demo folder."""
    (cd.root / "extensions.csv").write_text("student,assignment,extension\n"
                                            f"{EXTENDED},,{EXTENSION}\n", encoding="utf-8")
    table = {**DEMO_DEADLINES, "due": {a: d for a, d in DEMO_DEADLINES["due"].items() if a in assignments}}
    return Deadlines.from_table(table, cd.root)


def write_timestamps(cd: CourseDir, assignment: str, deadlines: Deadlines, students) -> None:
    """timestamp.txt for every sample submission: two hours before the due date, or as :data:`HANDED_IN` says."""
    due = deadlines.due_for(assignment)
    if due is None:
        return
    for student in students:
        when = due + HANDED_IN.get(student, -datetime.timedelta(hours=2))
        stamp = cd.submission_dir(student, assignment) / "timestamp.txt"
        text = when.isoformat(sep=" ")
        if not stamp.is_file() or stamp.read_text(encoding="utf-8") != text:
            stamp.write_text(text, encoding="utf-8")


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
    fell_back = isolation.enabled and not ok
    if fell_back:
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
    deadlines = demo_deadlines(cd, course.assignments)
    for assignment in course.assignments:
        submissions = samples.demo_class(cd, assignment)
        samples.write(cd, assignment, submissions)
        write_timestamps(cd, assignment, deadlines, [s.student for s in submissions])
        notes[assignment] = {s.student: s.note for s in submissions}
        expected.update({(assignment, s.student): s.expect for s in submissions})
    step("sample class", began)

    began = time.perf_counter()
    unexpected = []
    say(f"autograding {len(course.assignments)} assignments side by side on one Dask cluster "
        f"(per-notebook limit {DEMO_NOTEBOOK_TIMEOUT:g} s)...")
    settings_ = grading_settings(None, notebook_timeout=DEMO_NOTEBOOK_TIMEOUT, sandbox=isolation)
    client, cluster_ = cluster.start(workers, None)
    display = BatchProgress(enabled=progress, order=[f"autograde {a}" for a in course.assignments])
    try:
        # Proved with the kernel the batches grade in: the batches find the proof made, and each worker's first
        # submission runs in the probe's kernel.
        notice = grading.check_workers(client, settings_, kernel_arguments(cd.config()))
        if not fell_back:  # the NOTE above already said how the sample class is graded: once is enough
            say(notice)
        # The assignments' batches share the cluster, so one slow notebook does not hold the others up; they share
        # one progress display too (a line each).
        with ThreadPoolExecutor(max_workers=len(course.assignments)) as pool:
            batches = list(pool.map(
                lambda assignment: grading.autograde(assignment, cd, settings=settings_, force=force,
                                                     progress=progress, client=client, announce=False,
                                                     deadlines=deadlines, display=display),
                course.assignments))
    finally:
        display.close()
        cluster.close(client, cluster_)
    for assignment, batch in zip(course.assignments, batches):
        say(grading.summary(batch))
        for graded in batch.results:
            status = expected.get((assignment, graded.student), graded.status)
            slow = graded.student.startswith("mistake") or graded.student in ("alternative", "copier")
            allowed = (status, results.TIMED_OUT) if slow else (status,)
            if graded.status not in allowed:
                unexpected.append(f"{assignment}/{graded.student}: {graded.status} ({graded.reason})")
    step("autograde", began)

    began = time.perf_counter()
    compared = {}
    for assignment in course.assignments:
        feedback.feedback(assignment, cd, deadlines=deadlines)
        compared[assignment] = similarity.similarity(assignment, cd)
    table = grades.table(cd, list(course.assignments))
    grades_csv = grades.write_csv(table, cd.reports / "grades.csv")
    path = class_report.report(cd)
    step("feedback, similarity, grades, report", began)

    say("")
    say(grades.text_table(table))
    say("")
    for assignment, students in notes.items():
        say(f"What each student handed in for {assignment}:")
        for student, note in students.items():
            say(f"  {student:<14} {note}")
    say("")
    say("Due dates (the demo's; a course sets its own in course.toml [deadlines]): "
        + ", ".join(f"{a} {deadlines.local(deadlines.due_for(a))}" for a in course.assignments if deadlines.due_for(a)))
    say(f"Late policy: {deadlines.policy.describe()}.")
    for row in table.rows:
        if row.seconds_late:
            earned = sum(p or 0.0 for p in row.points.values())
            say(f"  late:      {row.student} handed {row.assignment} in {row.late} after the due date: "
                f"penalty {grades.fmt(row.late_penalty)} of the {grades.fmt(earned)} points earned")
        elif row.extension and row.timestamp:
            due = deadlines.due_for(row.assignment)
            after = (datetime.datetime.fromisoformat(row.timestamp) - due) if due else None
            when = (f"{describe_duration(after)} after the due date: on time with the extension, no penalty"
                    if after and after.total_seconds() > 0 else "on time")
            say(f"  extension: {row.student} ({row.extension}) handed {row.assignment} in {when}")
    for assignment, (found, page) in compared.items():
        for pair in found.flagged:
            say(f"  similar:   {pair.a} & {pair.b} in {assignment}: {100 * pair.similarity:.0f}% similar (flagged): {page}")
        if not found.flagged:
            say(f"  similar:   no pair flagged in {assignment}: {page}")
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
    add_workers_option(parser)
    parser.add_argument("--force", action="store_true", help="grade every submission again")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_sandbox_options(parser, "run the sample class without the sandbox (without bubblewrap the demo does so "
                                "anyway, and says so)")


def run(args) -> int:
    result = demo(args.root, workers=args.workers, force=args.force, progress=not args.no_progress,
                  db_url=args.db_url, isolation=sandbox_settings(args))
    return 1 if result.unexpected else 0
