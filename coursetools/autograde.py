"""Parallel autograde on Dask: nbgrader's scores, nbgrader's gradebook, one writer.

``autograde(assignment)`` grades every student folder of ``submitted/`` for one assignment:

* the client (this process) reads each submission and ships it, with a snapshot of the gradebook rows that
  sanitizing reads, to a Dask worker (:mod:`coursetools.worker`), which sanitizes and executes it with nbgrader's
  own preprocessors and returns the executed notebooks;
* the client alone writes: it runs nbgrader's SaveAutoGrades and AssignLatePenalties on each executed notebook
  (so the gradebook, SQLite or PostgreSQL, has a single writer: no "database is locked", no lost grade), writes
  ``autograded/<student>/<assignment>/`` as nbgrader does, and records status, reason, messages and content hashes
  in ``grading.json`` there (:mod:`coursetools.results`).

A ``LocalCluster`` (processes, one thread each) is started by default; ``scheduler="tcp://host:8786"`` uses an
existing cluster instead (dask-jobqueue on SLURM, dask-kubernetes...). Workers need the course checkout with the
helpers installed (``pip install -e .``) and ``coursetools`` importable (start them from the checkout's root or put
it on PYTHONPATH); the submissions travel with the tasks, so workers need no shared file system for them.

Re-running grades only new or changed submissions (or all when the assignment's tests changed); ``force=True``
grades everything again. Grading errors (the grader's fault, not the student's) are always retried.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import integrity, results, sandbox
from .coursedir import CourseDir
from .results import ERROR, EXECUTED, GRADED, INVALID, MISSING, TIMED_OUT, CellResult, GradingResult
from .worker import Job, JobResult, NotebookOutcome, snapshot_hash, snapshot_notebook

log = logging.getLogger("coursetools.autograde")

#: Default wall-clock limit for one notebook, on top of the per-cell limit of nbgrader_config.py.
DEFAULT_NOTEBOOK_TIMEOUT = 600.0
#: Preprocessors that write the gradebook: they run in the client, never on a worker.
WRITERS = ("SaveAutoGrades", "AssignLatePenalties")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: One submission written at a time by this process, whatever the number of batches running.
WRITE_LOCK = threading.RLock()
MESSAGE_LIMIT = 2000


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


# --- hashing -----------------------------------------------------------------------------------------------------
def _files(folder: Path, ignore: list[str]) -> dict[str, Path]:
    from nbgrader.utils import find_all_files

    if not folder.is_dir():
        return {}
    return {os.path.relpath(f, folder): Path(f) for f in sorted(find_all_files(str(folder), ignore))}


def content_hash(files: dict[str, Path]) -> str:
    digest = hashlib.sha256()
    for relative, path in sorted(files.items()):
        digest.update(relative.encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def assignment_hash(cd: CourseDir, assignment: str, snapshot: dict, config) -> str:
    """What grading depends on besides the submission: the gradebook's cells, the source notebooks, the policy.

    Not the time limits: a change of limits regrades only the submissions that ran out of time.
    """
    digest = hashlib.sha256(snapshot_hash(snapshot).encode())
    for name in sorted(snapshot):
        path = cd.source_notebook(assignment, name)
        if path.is_file():
            digest.update(path.read_bytes())
    policy = {"pattern": config.IgnorePattern.get("pattern"), "enabled": config.IgnorePattern.get("enabled"),
              "add_missing_cells": config.OverwriteCells.get("add_missing_cells")}
    digest.update(json.dumps(policy, sort_keys=True, default=str).encode())
    return digest.hexdigest()


# --- messages ------------------------------------------------------------------------------------------------------
def _clip(text: str) -> str:
    text = ANSI.sub("", text).strip()
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT] + " [...]"


def cell_messages(cell) -> list[str]:
    """Why a test cell lost points, without its source: the error name and value, or what it printed to stderr.

    Never a traceback: IPython tracebacks quote the lines of the cell, hidden tests included.
    """
    messages = []
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            messages.append(_clip(f"{output.ename}: {output.evalue}" if output.evalue else output.ename))
        elif output.output_type == "stream" and output.name == "stderr":
            messages.append(_clip(f"printed to stderr: {output.text}"))
    return messages


def cell_results(notebook_name: str, notebook) -> list[CellResult]:
    from nbgrader.utils import determine_grade, is_grade

    cells = []
    for cell in notebook.cells:
        if is_grade(cell):
            score, max_score = determine_grade(cell)
            cells.append(CellResult(notebook_name, cell.metadata["nbgrader"]["grade_id"], score, float(max_score),
                                    cell_messages(cell) if cell.cell_type == "code" else []))
    return cells


def zero_cells(notebook: dict, message: str, score: float | None = 0.0) -> list[CellResult]:
    grade_ids = [c["name"] for c in notebook["grade_cells"]] + [c["name"] for c in notebook["task_cells"]]
    points = {c["name"]: float(c["max_score"]) for c in notebook["grade_cells"] + notebook["task_cells"]}
    return [CellResult(notebook["name"], g, score, points[g], [message] if message else []) for g in grade_ids]


# --- the single writer -----------------------------------------------------------------------------------------------
class Recorder:
    """Writes results into the gradebook and autograded/, as nbgrader's autograde would; only ever in the client."""

    def __init__(self, cd: CourseDir, assignment: str, config, client_preprocessors: list, snapshot: dict,
                 assignment_digest: str, limits: dict | None = None):
        from nbgrader.coursedir import CourseDirectory

        self.cd, self.assignment, self.config = cd, assignment, config
        self.client_preprocessors = client_preprocessors
        self.snapshot, self.assignment_digest, self.limits = snapshot, assignment_digest, limits or {}
        from nbgrader.converters import Autograde

        self.coursedir = CourseDirectory(config=config)
        self.ignore = list(self.coursedir.ignore)
        self.permissions = int(str(Autograde(coursedir=self.coursedir, config=config).permissions), 8)

    def _open_submission(self, student: str):
        """nbgrader's Autograde.init_assignment: the student, and the submission with its timestamp."""
        from nbgrader.api import Gradebook

        from sqlalchemy.exc import SAWarning

        timestamp = self.coursedir.get_existing_timestamp(str(self.cd.submission_dir(student, self.assignment)))
        with Gradebook(self.cd.db_url, self.coursedir.course_id) as gb:
            gb.update_or_create_student(student)
        with Gradebook(self.cd.db_url, self.coursedir.course_id) as gb, warnings.catch_warnings():
            # nbgrader's add_submission trips an autoflush warning of SQLAlchemy 2; the rows are written all the same.
            warnings.simplefilter("ignore", SAWarning)
            if timestamp:
                gb.update_or_create_submission(self.assignment, student, timestamp=timestamp)
            else:
                gb.update_or_create_submission(self.assignment, student)

    def _zero(self, student: str, notebooks: list[str]) -> None:
        """nbgrader's treatment of a missing notebook: every grade 0, nothing to review."""
        from nbgrader.api import Gradebook

        with Gradebook(self.cd.db_url, self.coursedir.course_id) as gb:
            for name in notebooks:
                submission = gb.find_submission_notebook(name, self.assignment, student)
                for grade in submission.grades:
                    grade.auto_score = 0
                    grade.needs_manual_grade = False
            gb.db.commit()

    def _prepare_folder(self, student: str) -> Path:
        """autograded/<student>/<assignment>/ afresh: the submission's other files, then the source folder's."""
        from nbgrader.utils import rmtree

        dest = self.cd.autograded_dir(student, self.assignment)
        if dest.exists():
            rmtree(str(dest))
        dest.mkdir(parents=True)
        for relative, path in _files(self.cd.submission_dir(student, self.assignment), self.ignore + ["*.ipynb"]).items():
            (dest / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, dest / relative)
        for relative, path in _files(self.cd.source_dir(self.assignment), self.ignore + ["*.ipynb"]).items():
            (dest / relative).parent.mkdir(parents=True, exist_ok=True)
            if (dest / relative).exists():
                (dest / relative).unlink()
            shutil.copy(path, dest / relative)
        return dest

    def _set_permissions(self, dest: Path) -> None:
        for folder, _, names in os.walk(dest):
            for name in names:
                os.chmod(os.path.join(folder, name), self.permissions)

    def record(self, student: str, outcomes: list[NotebookOutcome], digest: str, seconds: float = 0.0,
               worker: str = "") -> GradingResult:
        """Write one submission's outcome: gradebook, autograded notebooks, grading.json.

        Batches running at once in this process (the demo grades its assignments side by side) take turns: one
        submission is written at a time.
        """
        with WRITE_LOCK:
            return self._record(student, outcomes, digest, seconds, worker)

    def _record(self, student: str, outcomes: list[NotebookOutcome], digest: str, seconds: float,
                worker: str) -> GradingResult:
        result = GradingResult(student, self.assignment, GRADED, content_hash=digest,
                               assignment_hash=self.assignment_digest, limits=dict(self.limits),
                               seconds=round(seconds, 3), worker=worker,
                               graded_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))
        statuses = [o.status for o in outcomes]
        result.status = results.worst(statuses)
        reasons = [o for o in outcomes if o.status == result.status and o.reason]
        if len(outcomes) == 1 or len(reasons) <= 1:
            result.reason = reasons[0].reason if reasons else ""
        else:
            result.reason = "; ".join(f"{o.name}.ipynb: {o.reason}" for o in reasons)
        result.cell_seconds = round(sum(o.cell_seconds for o in outcomes), 3)
        dest = self._prepare_folder(student)
        try:
            self._open_submission(student)
            zeroed = [o.name for o in outcomes if o.status in (MISSING, INVALID)]
            if zeroed:
                self._zero(student, zeroed)
            for outcome in outcomes:
                if outcome.status in (MISSING, INVALID):
                    label = results.LABELS[outcome.status]
                    result.cells += zero_cells(self.snapshot[outcome.name], f"{label}: {outcome.reason}")
                elif outcome.status == ERROR or outcome.executed is None:
                    result.cells += zero_cells(self.snapshot[outcome.name], "", score=None)
                else:
                    with warnings.catch_warnings():
                        # A submission with duplicated cell ids (copied cells): nbformat fixes them and says so.
                        warnings.simplefilter("ignore")
                        notebook = nbformat.reads(outcome.executed, as_version=4)
                    resources = {"unique_key": outcome.name, "output_files_dir": f"{outcome.name}_files",
                                 "nbgrader": {"student": student, "assignment": self.assignment,
                                              "notebook": outcome.name, "db_url": self.cd.db_url}}
                    for preprocessor in self.client_preprocessors:
                        notebook, resources = preprocessor(config=self.config)(notebook, resources)
                    # The writers only read the notebook: the worker's text is what nbgrader would write.
                    (dest / f"{outcome.name}.ipynb").write_text(outcome.executed, encoding="utf-8")
                    result.cells += cell_results(outcome.name, notebook)
            # The grader's own verdicts and the flags for a human look; may score cells 0 (never raises).
            for outcome in outcomes:
                integrity.check_outcome(self.cd, self.assignment, student, outcome, result)
        except Exception as error:  # noqa: BLE001 - recorded; the batch goes on
            result.status, result.reason = ERROR, f"recording the grades failed: {type(error).__name__}: {error}"
            log.exception("recording %s/%s failed", student, self.assignment)
        self._set_permissions(dest)
        results.save(result, dest)
        return result


# --- the batch -----------------------------------------------------------------------------------------------------
def _preprocessor_lists(config):
    """nbgrader's sanitize and autograde preprocessor lists (as configured), the autograde one split in two.

    The workers run every autograde preprocessor but the gradebook writers, in order; the client runs the writers.
    (nbgrader's list ends with CheckCellMetadata after the writers; it only reads the notebook, which the writers do
    not change, so it runs on the worker and keeps the single writer's work to the database.)
    """
    from nbgrader.converters import Autograde

    converter = Autograde(coursedir=None, config=config)
    sanitize, autograde = list(converter.sanitize_preprocessors), list(converter.autograde_preprocessors)
    return (sanitize, [p for p in autograde if p.__name__ not in WRITERS],
            [p for p in autograde if p.__name__ in WRITERS])


def _progress(total: int, assignment: str, enabled: bool, position: int = 0):
    from tqdm import tqdm

    return tqdm(total=total, desc=f"autograde {assignment}", unit="submission", disable=not enabled,
                file=sys.stderr, dynamic_ncols=True, smoothing=0.1, position=position)


def _start_dask(workers: int | None, scheduler: str | None):
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    # A submission that kills its worker twice is reported, not retried forever.
    dask.config.set({"distributed.scheduler.allowed-failures": 1, "distributed.worker.daemon": False})
    logging.getLogger("distributed").setLevel(logging.ERROR)
    cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                           dashboard_address=":0", silence_logs=logging.ERROR)
    return Client(cluster), cluster


def autograde(assignment: str, cd: CourseDir | None = None, *, workers: int | None = None,
              scheduler: str | None = None, force: bool = False, cell_timeout: float | None = None,
              notebook_timeout: float | None = DEFAULT_NOTEBOOK_TIMEOUT, students: list[str] | None = None,
              progress: bool = True, client=None, progress_position: int = 0, announce: bool = True) -> Batch:
    """Grade ``assignment`` for every student folder in submitted/ (or the named ``students``).

    ``workers``: Dask worker processes of the local cluster (default: one per core); ``scheduler``: address of an
    existing Dask scheduler instead; ``client``: an existing ``distributed.Client`` instead of both.
    ``cell_timeout`` overrides nbgrader's ``Execute.timeout``; ``notebook_timeout`` limits a whole notebook.
    ``announce``: print how student code is isolated before grading (with the progress bar).
    """
    from nbgrader.api import MissingEntry

    start = time.perf_counter()
    cd = cd or CourseDir.open()
    config = cd.config()
    config.Exporter.default_preprocessors = []  # as nbgrader's converters do
    if cell_timeout:
        config.Execute.timeout = int(cell_timeout)
    sanitize, execute, writers = _preprocessor_lists(config)

    with cd.gradebook() as gb:
        try:
            record = gb.find_assignment(assignment)
        except MissingEntry:
            raise AutogradeError(f"{assignment} is not in the gradebook {cd.db_url!r}: release it first "
                                 f"(python -m coursetools release {assignment})") from None
        snapshot = {nb.name: snapshot_notebook(nb) for nb in record.notebooks}
        in_gradebook = {s.student_id for s in record.submissions}
    if not snapshot:
        raise AutogradeError(f"{assignment} has no notebook in the gradebook: release it first")
    digest = assignment_hash(cd, assignment, snapshot, config)
    limits = {"cell": config.Execute.get("timeout"), "notebook": notebook_timeout}
    recorder = Recorder(cd, assignment, config, writers, snapshot, digest, limits)

    everyone = cd.students()
    if students:
        unknown = sorted(set(students) - set(everyone))
        if unknown:
            raise AutogradeError(f"no folder in {cd.submitted} for {unknown}")
        everyone = [s for s in everyone if s in set(students)]

    batch = Batch(assignment)
    jobs: list[tuple[str, dict[str, Path], str]] = []  # (student, files, content hash)
    source_files = {rel: p.read_bytes() for rel, p in
                    _files(cd.source_dir(assignment), recorder.ignore + ["*.ipynb"]).items()}
    bar = _progress(len(everyone), assignment, progress, progress_position)
    counts: dict[str, int] = {}

    def done(result: GradingResult, skipped: bool = False) -> None:
        batch.results.append(result)
        key = "unchanged" if skipped else result.status
        counts[key] = counts.get(key, 0) + 1
        bar.set_postfix_str(" ".join(f"{k}={v}" for k, v in sorted(counts.items())), refresh=False)
        bar.update(1)

    for student in everyone:
        folder = cd.submission_dir(student, assignment)
        files = _files(folder, recorder.ignore)
        digest_ = content_hash(files)
        previous = results.load(cd.autograded_dir(student, assignment))
        if (not force and previous and previous.content_hash == digest_ and previous.assignment_hash == digest
                and previous.status != ERROR and student in in_gradebook
                and (previous.status != TIMED_OUT or previous.limits == limits)
                and (previous.status not in EXECUTED
                     or all((cd.autograded_dir(student, assignment) / f"{n}.ipynb").is_file() for n in snapshot))):
            batch.skipped.append(student)
            done(previous, skipped=True)
            continue
        if not folder.is_dir() or not any(f"{name}.ipynb" in files for name in snapshot):
            reason = (f"no folder submitted/{student}/{assignment}/" if not folder.is_dir()
                      else f"no {' or '.join(n + '.ipynb' for n in snapshot)} in submitted/{student}/{assignment}/")
            outcomes = [NotebookOutcome(name, MISSING, reason) for name in snapshot]
            done(recorder.record(student, outcomes, digest_))
            continue
        jobs.append((student, files, digest_))

    def make_job(student: str, files: dict[str, Path]) -> Job:
        """Read a submission when its task is submitted (not all of them at once: a class can be large)."""
        notebooks = {name: files[f"{name}.ipynb"].read_bytes() if f"{name}.ipynb" in files else None
                     for name in snapshot}
        other = {rel: p.read_bytes() for rel, p in files.items() if not rel.endswith(".ipynb")}
        other.update(source_files)
        return Job(student, assignment, notebooks, other, snapshot, config, sanitize, execute,
                   notebook_timeout=notebook_timeout, db_url=cd.db_url)

    if jobs:
        batch.notice = prepare(assignment)
        if progress and announce:
            bar.clear()
            print(batch.notice, file=sys.stderr)
        _run(jobs, make_job, recorder, done, workers, scheduler, client, batch)
    bar.close()
    batch.results.sort(key=lambda r: r.student)
    batch.seconds = time.perf_counter() - start
    return batch


def prepare(assignment: str) -> str:
    """Before a batch: check that student code can be isolated, and record the hidden tests' reference results.

    Raises :class:`coursetools.sandbox.SandboxUnavailable` (saying what to install) when the sandbox is wanted but
    this machine cannot provide it. The record (a run of the source notebook, cached) is what the grader checks the
    hidden cases against while the reference solutions stay outside the sandbox. Returns the line to show.
    """
    notice = sandbox.require()
    if sandbox.enabled() and integrity.has_record(assignment):
        integrity.record(assignment)
    return notice


def _run(jobs, make_job, recorder: Recorder, done, workers, scheduler, client, batch: Batch) -> None:
    from collections import deque

    from distributed import as_completed

    own_client = client is None
    cluster = None
    if own_client:
        client, cluster = _start_dask(workers, scheduler)
    try:
        from .worker import grade

        batch.workers = max(1, sum(client.nthreads().values()))
        in_flight = 2 * batch.workers
        queue = deque(jobs)
        pending = {}

        def submit(student: str, files: dict, digest: str):
            try:
                job = make_job(student, files)
            except OSError as error:  # the file went away or cannot be read: recorded like any failure
                job = None
                failure = error
            if job is None:
                future = client.submit(_raise, failure, pure=False)
                job = Job(student, recorder.assignment, dict.fromkeys(recorder.snapshot), {}, {}, None, [], [])
            else:
                future = client.submit(grade, job, pure=False,
                                       key=f"autograde-{job.assignment}-{job.student}-{time.time_ns()}")
            pending[future.key] = (job, digest)
            return future

        futures = as_completed([submit(*queue.popleft()) for _ in range(min(in_flight, len(queue)))])
        for future in futures:
            job, digest = pending.pop(future.key)
            if queue:
                futures.add(submit(*queue.popleft()))
            try:
                outcome: JobResult = future.result()
                result = recorder.record(job.student, outcome.notebooks, digest, outcome.seconds, outcome.worker)
            except Exception as error:  # noqa: BLE001 - a lost worker, a pickling error...: recorded, batch goes on
                reason = f"the grading task failed: {type(error).__name__}: {error}"[:2000]
                result = recorder.record(job.student, [NotebookOutcome(n, ERROR, reason) for n in job.notebooks],
                                         digest)
            finally:
                future.release()
            done(result)
    finally:
        if own_client:
            close_dask(client, cluster)


def close_dask(client, cluster=None) -> None:
    """Stop the workers' spare kernels (and remove their folders), then close the client and the local cluster.

    The workers of an existing cluster (``--scheduler``) outlive the batch: they are left without idle kernels.
    """
    from .worker import discard_spare_kernel

    try:
        client.run(discard_spare_kernel)
    except Exception:  # noqa: BLE001 - workers gone already
        pass
    client.close()
    if cluster is not None:
        cluster.close()


def _raise(error: BaseException):
    raise error


def summary(batch: Batch) -> str:
    """A few lines for the terminal: counts by status, the submissions that need a look, the time."""
    counts = batch.counts()
    lines = [f"{batch.assignment}: {len(batch.results)} submissions, "
             + ", ".join(f"{n} {results.LABELS.get(s, s)}" for s, n in sorted(counts.items(), key=lambda kv: results.STATUSES.index(kv[0])))
             + (f" ({len(batch.skipped)} unchanged since the last run, not regraded)" if batch.skipped else "")]
    for r in batch.results:
        if r.status != GRADED:
            lines.append(f"  {r.student}: {r.label}: {r.reason}")
    graded = len(batch.results) - len(batch.skipped)
    if graded:
        lines.append(f"graded {graded} in {batch.seconds:.1f} s ({batch.seconds / graded:.2f} s per submission"
                     + (f", {batch.workers} workers)" if batch.workers else ")"))
    return "\n".join(lines)
