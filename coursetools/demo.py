"""The ``demo`` command: the whole pipeline on a sample class, in ``demo/`` (gitignored), with a SQLite gradebook.

1. release every assignment of course.toml into demo/release/ (and check that every stub fails its tests);
2. a sample class per assignment (:func:`coursetools.sample_class.demo_class`): the reference solution, the
   untouched release, typical mistakes from the grading corpus, a notebook whose test cells were deleted, and a
   file that is not valid JSON;
3. autograde (Dask, one worker per core), feedback pages, the grades CSV, a grade table and the class report.

Re-running it works and is quick: unchanged submissions are not graded again (``--force`` regrades them).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import results, settings
from .coursedir import CourseDir

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
         say=print, db_url: str | None = None) -> DemoResult:
    from . import autograde as grading
    from . import feedback, gradebook_export, publish, report, sample_class

    start = time.perf_counter()
    course = settings.load()
    cd = CourseDir.open(root or course.root / DEMO_FOLDER, db_url)
    steps: dict[str, float] = {}

    def step(name: str, began: float) -> None:
        steps[name] = time.perf_counter() - began

    say(f"Demo course folder: {cd.root} (gradebook {cd.db_url})")
    from . import sandbox

    ok, why = sandbox.available()
    if sandbox.enabled() and not ok:
        # The sample class is our own code, so the demo may run it unisolated; a real class may not (autograde
        # refuses unless --no-sandbox).
        sandbox.disable()
        say(f"NOTE: no sandbox on this machine ({why}); the demo grades its own sample class without one. "
            f"Real submissions need it: {sandbox.INSTALL_HELP}")
    began = time.perf_counter()
    released = publish.release(list(course.assignments), cd, verify=True)
    for r in released:
        say(f"released {r.assignment}: {r.notebook.relative_to(cd.root)} ({r.failing_tests} tests, all failing on the stubs)")
    step("release", began)

    began = time.perf_counter()
    notes: dict[str, dict[str, str]] = {}
    expected: dict[tuple[str, str], str] = {}
    for assignment in course.assignments:
        submissions = sample_class.demo_class(cd, assignment)
        sample_class.write(cd, assignment, submissions)
        notes[assignment] = {s.student: s.note for s in submissions}
        expected.update({(assignment, s.student): s.expect for s in submissions})
    step("sample class", began)

    began = time.perf_counter()
    unexpected = []
    say(f"autograding {len(course.assignments)} assignments side by side on one Dask cluster "
        f"(per-notebook limit {DEMO_NOTEBOOK_TIMEOUT:g} s)...")
    say(sandbox.require())
    client, cluster = grading._start_dask(workers, None)
    try:
        # The assignments' batches share the cluster, so one slow notebook does not hold the others up.
        with ThreadPoolExecutor(max_workers=len(course.assignments)) as pool:
            batches = list(pool.map(
                lambda item: grading.autograde(item[1], cd, force=force, progress=progress, client=client,
                                               notebook_timeout=DEMO_NOTEBOOK_TIMEOUT, progress_position=item[0],
                                               announce=False),
                enumerate(course.assignments)))
    finally:
        grading.close_dask(client, cluster)
    for assignment, batch in zip(course.assignments, batches):
        say(grading.summary(batch))
        for r in batch.results:
            allowed = expected.get((assignment, r.student), r.status)
            allowed = (allowed, results.TIMED_OUT) if r.student.startswith("mistake") else (allowed,)
            if r.status not in allowed:
                unexpected.append(f"{assignment}/{r.student}: {r.status} ({r.reason})")
    step("autograde", began)

    began = time.perf_counter()
    for assignment in course.assignments:
        feedback.feedback(assignment, cd)
    table = gradebook_export.table(cd, list(course.assignments))
    grades = gradebook_export.write_csv(table, cd.reports / "grades.csv")
    path = report.report(cd)
    step("feedback, grades, report", began)

    say("")
    say(gradebook_export.text_table(table))
    say("")
    for assignment, students in notes.items():
        say(f"What each student handed in for {assignment}:")
        for student, note in students.items():
            say(f"  {student:<14} {note}")
    seconds = time.perf_counter() - start
    say("")
    say(f"grades:   {grades}")
    say(f"report:   {path}")
    say(f"feedback: {cd.feedback}/<student>/<assignment>/<assignment>.html")
    say("time:     " + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items()) + f"; total {seconds:.1f} s")
    if unexpected:
        say("UNEXPECTED statuses: " + "; ".join(unexpected))
    return DemoResult(cd.root, path, grades, seconds, steps, notes, unexpected)
