"""Parallel autograde on Dask: nbgrader's scores, nbgrader's gradebook, one writer.

``autograde(assignment)`` grades every student folder of ``submitted/`` for one assignment:

* the client (this process) builds the assignment's kit once (:class:`~.job.AssignmentKit`: nbgrader's
  configuration and preprocessors, the gradebook snapshot, the hidden tests' record, the sandbox settings...) and
  sends it to every worker; then it reads each submission once, hashes it, and ships it as a :class:`~.job.Job`;
* a Dask worker (:mod:`.worker`) sanitizes, executes and reviews it and returns the executed notebooks;
* the client alone writes, once per submission (:mod:`.recorder`): the gradebook, ``autograded/<student>/
  <assignment>/`` as nbgrader does, ``grading.json`` (status, reason, messages, content hashes) and
  ``integrity.json`` there.

A local cluster (processes, one thread each) is started by default; ``scheduler="tcp://host:8786"`` uses an existing
cluster instead (:mod:`.cluster`). Re-running grades only new or changed submissions (or all when the assignment's
tests changed); ``force=True`` grades everything again. Grading errors (the grader's fault, not the student's) are
always retried.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .. import integrity, sandbox
from ..course import deadlines as due_dates
from ..course import settings as course_settings
from ..course.coursedir import CourseDir
from ..course.notebooks import read_notebook
from . import cluster, results
from .job import AssignmentKit, GradingSettings, Job, JobResult, NotebookOutcome
from .preprocessors import preprocessor_lists
from .progress import BatchProgress
from .recorder import Recorder
from .results import ERROR, EXECUTED, GRADED, MISSING, TIMED_OUT, GradingResult
from .snapshot import snapshot_hash, snapshot_notebook
from .worker import grade

log = logging.getLogger("coursetools.autograde")

#: Default wall-clock limit for one notebook, on top of the per-cell limit of nbgrader_config.py.
DEFAULT_NOTEBOOK_TIMEOUT = 600.0


class AutogradeError(RuntimeError):
    """The batch cannot start (unknown assignment, no gradebook entry...)."""


@dataclass
class Batch:
    """The outcome of one autograde run: a result per student folder, and which were skipped as unchanged."""

    assignment: str
    results: list[GradingResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 0
    notice: str = ""  # how student code was isolated (or the warning that it was not)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.results:
            counts[r.status] = counts.get(r.status, 0) + 1
        return counts


# --- a submission's files, read once -----------------------------------------------------------------------------
def submission_files(folder: Path, ignore: list[str]) -> dict[str, bytes]:
    """The files of a submission folder (nbgrader's ignore globs applied), by relative path, read once."""
    from nbgrader.utils import find_all_files

    if not folder.is_dir():
        return {}
    return {os.path.relpath(f, folder): Path(f).read_bytes() for f in sorted(find_all_files(str(folder), ignore))}


def content_hash(files: dict[str, bytes]) -> str:
    """A hash of a submission: its files' relative paths and contents."""
    digest = hashlib.sha256()
    for relative, data in sorted(files.items()):
        digest.update(relative.encode() + b"\0")
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def assignment_hash(cd: CourseDir, assignment: str, snapshot: dict, config, deadlines: dict | None = None) -> str:
    """What grading depends on besides the submission: the gradebook's cells, the source notebooks, the policy
    (and the due date and late policy, ``deadlines``: :meth:`~coursetools.course.deadlines.Deadlines.fingerprint`).

    Not the time limits: a change of limits regrades only the submissions that ran out of time.
    """
    digest = hashlib.sha256(snapshot_hash(snapshot).encode())
    for name in sorted(snapshot):
        path = cd.source_notebook(assignment, name)
        if path.is_file():
            digest.update(path.read_bytes())
    policy = {"pattern": config.IgnorePattern.get("pattern"), "enabled": config.IgnorePattern.get("enabled"),
              "add_missing_cells": config.OverwriteCells.get("add_missing_cells")}
    if deadlines:  # only then: an assignment without a due date keeps the hash it had
        policy["deadlines"] = deadlines
    digest.update(json.dumps(policy, sort_keys=True, default=str).encode())
    return digest.hexdigest()


# --- before the batch ----------------------------------------------------------------------------------------------
def _probe_worker(settings: sandbox.SandboxSettings) -> tuple[bool, str]:
    """On a worker: can it isolate submissions as ``settings`` say?"""
    if not settings.enabled:
        return True, "no sandbox"
    return sandbox.available(settings.bwrap)


def check_workers(client, settings: GradingSettings) -> str:
    """Prove on every worker that submissions can be isolated as asked; the line that says how.

    Raises :class:`coursetools.sandbox.SandboxUnavailable`, naming the workers and what to install, otherwise.
    """
    if not settings.sandbox.enabled:
        return sandbox.notice(settings.sandbox, "")
    answers = client.run(_probe_worker, settings.sandbox)
    failing = {worker: why for worker, (ok, why) in answers.items() if not ok}
    if failing:
        detail = "; ".join(f"{worker}: {why}" for worker, why in sorted(failing.items()))
        raise sandbox.SandboxUnavailable(f"Cannot isolate student code on {len(failing)} of {len(answers)} "
                                         f"worker(s) ({detail}). {sandbox.INSTALL_HELP}")
    kinds = sorted({why for _, why in answers.values()})
    return sandbox.notice(settings.sandbox, f"{', '.join(kinds)} on {len(answers)} worker(s)")


def build_kit(cd: CourseDir, assignment: str, settings: GradingSettings, cell_timeout: float | None = None,
              deadlines: due_dates.Deadlines | None = None) -> tuple[AssignmentKit, list, str]:
    """The assignment's kit, the client's writer preprocessors, and the assignment's hash.

    ``deadlines``: the late policy nbgrader's AssignLatePenalties applies (its plugin, configured here).
    """
    from nbgrader.api import MissingEntry
    from nbgrader.coursedir import CourseDirectory

    config = cd.config()
    config.Exporter.default_preprocessors = []  # as nbgrader's converters do
    if cell_timeout:
        config.Execute.timeout = int(cell_timeout)
    late = None
    if deadlines is not None and deadlines.due_for(assignment) is not None:
        due_dates.configure(config, deadlines, assignment)
        late = deadlines.fingerprint(assignment)
    sanitize, execute, writers = preprocessor_lists(config)
    with cd.gradebook() as gb:
        try:
            record = gb.find_assignment(assignment)
        except MissingEntry:
            raise AutogradeError(f"{assignment} is not in the gradebook {cd.db_url!r}: release it first "
                                 f"(python -m coursetools release {assignment})") from None
        snapshot = {nb.name: snapshot_notebook(nb) for nb in record.notebooks}
    if not snapshot:
        raise AutogradeError(f"{assignment} has no notebook in the gradebook: release it first")
    ignore = list(CourseDirectory(config=config).ignore)
    files = {rel: data for rel, data in submission_files(cd.source_dir(assignment), ignore + ["*.ipynb"]).items()}
    source = {n: read_notebook(cd.source_notebook(assignment, n)) for n in snapshot
              if cd.source_notebook(assignment, n).is_file()}
    release = {n: read_notebook(cd.release_notebook(assignment, n)) for n in snapshot
               if cd.release_notebook(assignment, n).is_file()}
    kit = AssignmentKit(assignment, config, sanitize, execute, snapshot, files, settings, source=source,
                        release=release, db_url=cd.db_url)
    return kit, writers, assignment_hash(cd, assignment, snapshot, config, late)


def prepare(kit: AssignmentKit) -> None:
    """Record the hidden tests' reference results, when the hidden tests need them (sandboxed, with a record).

    The record (a run of the source notebook, cached) is what the grader checks the hidden cases against while the
    reference solutions stay outside the sandbox.
    """
    if kit.settings.sandbox.enabled and integrity.has_record(kit.assignment):
        kit.record = integrity.record(kit.assignment)


# --- the batch -----------------------------------------------------------------------------------------------------
def _progress(total: int, assignment: str, enabled: bool, display: BatchProgress | None = None):
    """The batch's progress line: on the shared ``display`` when there is one, else on a display of its own."""
    display = display or BatchProgress(sys.stderr, enabled=enabled)
    return display.line(f"autograde {assignment}", total), display


def autograde(assignment: str, cd: CourseDir | None = None, *, settings: GradingSettings | None = None,
              workers: int | None = None, scheduler: str | None = None, force: bool = False,
              cell_timeout: float | None = None, students: list[str] | None = None, progress: bool = True,
              client=None, progress_position: int = 0, announce: bool = True,
              deadlines: due_dates.Deadlines | None = None, display=None) -> Batch:
    """Grade ``assignment`` for every student folder in submitted/ (or the named ``students``).

    ``settings``: isolation, limits and the per-notebook time limit (default: sandboxed, default limits, 600 s).
    ``workers``: Dask worker processes of the local cluster (default: one per core); ``scheduler``: address of an
    existing Dask scheduler instead; ``client``: an existing ``distributed.Client`` instead of both.
    ``cell_timeout`` overrides nbgrader's ``Execute.timeout``. ``announce``: print how student code is isolated.
    ``deadlines``: due dates, extensions and the late policy (default: course.toml's ``[deadlines]``); the due date
    and each student's extension go into the gradebook, and nbgrader's AssignLatePenalties applies the policy to the
    submission's ``timestamp.txt``. ``display``: a :class:`~.progress.BatchProgress` shared by several batches
    (one display for all), instead of this batch's own progress line.
    """
    start = time.perf_counter()
    cd = cd or CourseDir.open()
    settings = settings or GradingSettings()
    deadlines = deadlines if deadlines is not None else course_settings.load().deadlines()
    kit, writers, digest = build_kit(cd, assignment, settings, cell_timeout, deadlines)
    limits = {"cell": kit.config.Execute.get("timeout"), "notebook": settings.notebook_timeout}

    everyone = cd.students()
    if students:
        unknown = sorted(set(students) - set(everyone))
        if unknown:
            raise AutogradeError(f"no folder in {cd.submitted} for {unknown}")
        everyone = [s for s in everyone if s in set(students)]
    with cd.gradebook() as gb:
        due = deadlines.due_for(assignment)
        if due is not None:  # course.toml's due date wins over the one release recorded (it may have moved since)
            gb.update_or_create_assignment(assignment, duedate=due_dates.to_naive_utc(due))
        in_gradebook = {s.student_id for s in gb.find_assignment(assignment).submissions}

    batch = Batch(assignment)
    bar, screen = _progress(len(everyone), assignment, progress and display is None, display)
    counts: dict[str, int] = {}

    def done(result: GradingResult, skipped: bool = False) -> None:
        batch.results.append(result)
        key = "unchanged" if skipped else result.status
        counts[key] = counts.get(key, 0) + 1
        bar.set_postfix_str(" ".join(f"{k}={v}" for k, v in sorted(counts.items())), refresh=False)
        bar.update(1)

    with Recorder(cd, assignment, kit.config, writers, kit.snapshot, digest, limits, kit.files,
                  deadlines=deadlines) as recorder:
        def unchanged(student: str, digest_: str) -> GradingResult | None:
            previous = results.load(cd.autograded_dir(student, assignment))
            if (not force and previous and previous.content_hash == digest_ and previous.assignment_hash == digest
                    and previous.status != ERROR and student in in_gradebook
                    and (previous.status != TIMED_OUT or previous.limits == limits)
                    and (previous.status not in EXECUTED
                         or all((cd.autograded_dir(student, assignment) / f"{n}.ipynb").is_file()
                                for n in kit.snapshot))):
                return previous
            return None

        def jobs() -> Iterator[tuple[Job, str]]:
            """The submissions to grade, each read once, as the cluster has room for them."""
            for student in everyone:
                folder = cd.submission_dir(student, assignment)
                try:
                    files = submission_files(folder, recorder.ignore)
                except OSError as error:
                    outcomes = [NotebookOutcome(n, ERROR, f"reading the submission failed: {error}")
                                for n in kit.snapshot]
                    done(recorder.record(student, outcomes, ""))
                    continue
                digest_ = content_hash(files)
                extension = deadlines.extension(student, assignment)
                if extension:  # a new or changed extension regrades the submission (its penalty changes)
                    digest_ = content_hash({**files, "\0extension": str(extension.total_seconds()).encode()})
                previous = unchanged(student, digest_)
                if previous is not None:
                    batch.skipped.append(student)
                    done(previous, skipped=True)
                    continue
                notebooks = {name: files.pop(f"{name}.ipynb", None) for name in kit.snapshot}
                if all(data is None for data in notebooks.values()):
                    reason = (f"no folder submitted/{student}/{assignment}/" if not folder.is_dir() else
                              f"no {' or '.join(n + '.ipynb' for n in kit.snapshot)} in submitted/{student}/{assignment}/")
                    outcomes = [NotebookOutcome(name, MISSING, reason) for name in kit.snapshot]
                    for outcome in outcomes:
                        outcome.review = integrity.review(status=MISSING, reason=reason)
                    done(recorder.record(student, outcomes, digest_, files))
                    continue
                files = {rel: data for rel, data in files.items() if not rel.endswith(".ipynb")}
                yield Job(student, assignment, notebooks, files), digest_

        pending = jobs()
        first = next(pending, None)
        if first is not None:
            own_client = client is None
            cluster_ = None
            if own_client:
                client, cluster_ = cluster.start(workers, scheduler)
            try:
                batch.notice = check_workers(client, settings)
                prepare(kit)
                if progress and announce:
                    screen.message(batch.notice)
                _run(client, kit, _chain(first, pending), recorder, done, batch)
            finally:
                if own_client:
                    cluster.close(client, cluster_)
    bar.close()
    if display is None:
        screen.close()
    batch.results.sort(key=lambda r: r.student)
    batch.seconds = time.perf_counter() - start
    return batch


def _chain(first, rest: Iterator) -> Iterator:
    yield first
    yield from rest


def _run(client, kit: AssignmentKit, jobs: Iterator[tuple[Job, str]], recorder: Recorder,
         done: Callable[[GradingResult], None], batch: Batch) -> None:
    from distributed import as_completed

    batch.workers = max(1, sum(client.nthreads().values()))
    in_flight = 2 * batch.workers
    kit_future = client.scatter(kit, broadcast=True, hash=False)
    pending: dict[str, tuple[Job, str]] = {}

    def submit():
        item = next(jobs, None)
        if item is None:
            return None
        job, digest = item
        future = client.submit(grade, job, kit_future, pure=False,
                               key=f"autograde-{job.assignment}-{job.student}-{time.time_ns()}")
        pending[future.key] = (job, digest)
        return future

    started = [f for f in (submit() for _ in range(in_flight)) if f is not None]
    futures = as_completed(started)
    for future in futures:
        job, digest = pending.pop(future.key)
        following = submit()
        if following is not None:
            futures.add(following)
        try:
            outcome: JobResult = future.result()
            result = recorder.record(job.student, outcome.notebooks, digest, job.files, outcome.seconds,
                                     outcome.worker)
        except Exception as error:  # noqa: BLE001 - a lost worker, a pickling error...: recorded, batch goes on
            reason = f"the grading task failed: {type(error).__name__}: {error}"[:2000]
            result = recorder.record(job.student, [NotebookOutcome(n, ERROR, reason) for n in job.notebooks],
                                     digest, job.files)
        finally:
            future.release()
        done(result)
    kit_future.release()


def summary(batch: Batch) -> str:
    """A few lines for the terminal: counts by status, the submissions that need a look, the time."""
    counts = batch.counts()
    ordered = sorted(counts.items(), key=lambda kv: results.STATUSES.index(kv[0]))
    lines = [f"{batch.assignment}: {len(batch.results)} submissions, "
             + ", ".join(f"{n} {results.LABELS.get(s, s)}" for s, n in ordered)
             + (f" ({len(batch.skipped)} unchanged since the last run, not regraded)" if batch.skipped else "")]
    for r in batch.results:
        if r.status != GRADED:
            lines.append(f"  {r.student}: {r.label}: {r.reason}")
    graded = len(batch.results) - len(batch.skipped)
    if graded:
        lines.append(f"graded {graded} in {batch.seconds:.1f} s ({batch.seconds / graded:.2f} s per submission"
                     + (f", {batch.workers} workers)" if batch.workers else ")"))
    return "\n".join(lines)
