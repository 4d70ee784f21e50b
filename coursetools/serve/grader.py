"""The grading thread: attempts from the queue to Dask and back, through the same path as ``autograde``.

One thread does it all, so the Recorder stays the gradebook's single writer:

* at start it connects to the cluster (a local one, or ``--scheduler``), proves on every worker that submissions can
  be isolated, with the kernel the attempts run in (:func:`prove_workers`), and, per open assignment, builds the
  kit once, records the hidden tests (:func:`~coursetools.grading.batch.prepare`), scatters the kit to the workers
  once and opens one :class:`~coursetools.grading.recorder.Recorder`: that is what makes each attempt quick;
* then it sends attempts to the workers in fair turns (:meth:`Store.next_attempt`), as many at once as the
  cluster has threads (twice: the next one waits on the worker), each a :class:`~coursetools.grading.job.Job` graded by
  :func:`coursetools.grading.worker.grade` in the sandbox;
* for each result it writes the attempt's ``grading.json`` and ``integrity.json``, decides whether the attempt is
  of record (:mod:`.policy`), and if so copies it into ``submitted/<student>/<a>/`` and records it in the gradebook
  and ``autograded/`` exactly as ``autograde`` would; then it marks the attempt done.

A crash anywhere leaves the attempt ``grading`` in the database: the next start puts it back in the queue, and
grading it again writes the same files.
"""

from __future__ import annotations

import datetime
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import integrity
from ..course.coursedir import CourseDir
from ..grading import cluster, results
from ..grading.batch import build_kit, check_workers, content_hash, prepare, submission_files
from ..grading.job import GradingSettings, Job, JobResult, NotebookOutcome
from ..grading.kernels import Spare, in_worker_context, kernel_arguments
from ..grading.recorder import Recorder
from ..grading.results import ERROR, GradingResult, cell_results, zero_cells
from ..grading.worker import grade
from . import layout, policy
from .config import ServeSettings
from .intake import AssignmentInfo
from .store import Attempt, Store

log = logging.getLogger("coursetools.serve")
_STOP = object()


class AssignmentGrader:
    """One assignment's grading for the life of the service: the kit built and scattered once, one Recorder."""

    def __init__(self, cd: CourseDir, info: AssignmentInfo, settings: GradingSettings, client):
        self.info = info
        self.kit, writers, self.digest = build_kit(cd, info.name, settings)
        prepare(self.kit)
        limits = {"cell": self.kit.config.Execute.get("timeout"), "notebook": settings.notebook_timeout}
        self.recorder = Recorder(cd, info.name, self.kit.config, writers, self.kit.snapshot, self.digest, limits,
                                 self.kit.files)
        self.kit_future = client.scatter(self.kit, broadcast=True, hash=False)
        # The first attempt need not wait for nbgrader's imports and a kernel's start: a task on each worker
        # (on the thread that runs its tasks, where the spare kernel must be started to be taken).
        warm = [client.submit(_warm_up, self.kit.config, settings.sandbox, workers=[address], pure=False,
                              allow_other_workers=False) for address in client.nthreads()]
        client.gather(warm)

    def close(self) -> None:
        self.recorder.close()


def prove_workers(client, cd: CourseDir, settings: GradingSettings) -> str:
    """:func:`~coursetools.grading.batch.check_workers` with the kernel the attempts run in (the course's
    kernel arguments), whose proof stays each worker's spare for its first attempt; the line that says how."""
    return check_workers(client, settings, kernel_arguments(cd.config()))


@in_worker_context
def _warm_up(config, sandbox_settings) -> None:
    """On a worker: import what grading needs and have the first attempt's kernel ready: the probe's, when it was
    kept (:func:`prove_workers`), else a spare started now."""
    arguments = kernel_arguments(config)
    if not Spare.fits(arguments, sandbox_settings):
        Spare.prestart(arguments, sandbox_settings)


def attempt_result(attempt: Attempt, snapshot: dict, outcome: JobResult, digest: str) -> GradingResult:
    """What grading found for one attempt alone (the gradebook not involved), as grading.json holds it."""
    result = GradingResult(attempt.student, attempt.assignment, outcome.status, outcome.reason, content_hash=digest,
                           seconds=round(outcome.seconds, 3), worker=outcome.worker,
                           graded_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))
    for o in outcome.notebooks:
        if o.name not in snapshot:
            continue
        if o.executed is not None and o.status != ERROR:
            result.cells += cell_results(o.name, o.executed)
        elif o.status == ERROR:
            result.cells += zero_cells(snapshot[o.name], "", score=None)
        else:
            result.cells += zero_cells(snapshot[o.name], f"{results.LABELS[o.status]}: {o.reason}")
    result.cell_seconds = round(sum(o.cell_seconds for o in outcome.notebooks), 3)
    return result


@dataclass
class LoopState:
    """What the instructor's page shows of the grading thread."""

    phase: str = "starting"             # starting, running, stopped, failed
    notice: str = ""                    # how student code is isolated
    problem: str = ""                   # why it failed, or which assignment could not be prepared
    workers: int = 0
    unavailable: dict[str, str] = field(default_factory=dict)  # assignment -> why it cannot be graded
    graded: int = 0


class GradingLoop(threading.Thread):
    """The thread that grades queued attempts until :meth:`stop`."""

    def __init__(self, cd: CourseDir, store: Store, serve: ServeSettings, grading: GradingSettings,
                 assignments: dict[str, AssignmentInfo], workers: int | None = None, scheduler: str | None = None,
                 due: Callable[[str], float | None] | None = None):
        super().__init__(name="coursetools-grader", daemon=True)
        self.cd, self.store, self.serve, self.grading = cd, store, serve, grading
        self.assignments = assignments
        self.workers, self.scheduler = workers, scheduler
        self.due = due or (lambda name: assignments[name].due)
        self.state = LoopState()
        self.graders: dict[str, AssignmentGrader] = {}
        self.events: queue.Queue = queue.Queue()
        self.in_flight: dict[str, tuple[Attempt, object]] = {}
        self._stopping = threading.Event()
        self.ready = threading.Event()

    def wake(self) -> None:
        """A new attempt is queued."""
        self.events.put(None)

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping.set()
        self.events.put(_STOP)
        self.join(timeout)

    # -- the thread ---------------------------------------------------------------------------------------------
    def run(self) -> None:
        client = local = None
        try:
            client, local = cluster.start(self.workers, self.scheduler)
            self.state.notice = prove_workers(client, self.cd, self.grading)
            self.state.workers = max(1, sum(client.nthreads().values()))
            log.info("%s", self.state.notice)
            for name, info in self.assignments.items():
                if self._stopping.is_set():
                    return
                try:
                    self.graders[name] = AssignmentGrader(self.cd, info, self.grading, client)
                    log.info("ready to grade %s", name)
                except Exception as error:  # noqa: BLE001 - that assignment waits; the others are graded
                    self.state.unavailable[name] = f"{type(error).__name__}: {error}"[:500]
                    log.error("cannot grade %s: %s", name, self.state.unavailable[name])
            self.state.phase = "running"
            self.ready.set()
            self._loop(client)
            self.state.phase = "stopped"
        except Exception as error:  # noqa: BLE001 - shown on the instructor's page; uploads are still kept
            self.state.phase, self.state.problem = "failed", f"{type(error).__name__}: {error}"[:1000]
            log.error("the grader stopped: %s", self.state.problem)
        finally:
            self.ready.set()
            for g in self.graders.values():
                g.close()
            if client is not None:
                try:
                    cluster.close(client, local)
                except Exception:  # noqa: BLE001 - shutting down anyway
                    pass

    def _loop(self, client) -> None:
        # Two attempts per worker thread in flight, as autograde keeps: a worker never waits for the next one while
        # this thread records the last (one attempt per student at a time keeps the turns fair).
        capacity = 2 * self.state.workers
        while not self._stopping.is_set():
            while len(self.in_flight) < capacity:
                attempt = self.store.next_attempt(set(self.graders))
                if attempt is None:
                    break
                self._submit(client, attempt)
            try:
                event = self.events.get(timeout=2.0)
            except queue.Empty:
                continue
            if event is _STOP:
                return
            if event is not None:
                self._finish(event)

    def _submit(self, client, attempt: Attempt) -> None:
        grader = self.graders[attempt.assignment]
        folder = layout.attempt_dir(self.cd, attempt.student, attempt.assignment, attempt.number)
        try:
            data, stamp = layout.read_attempt(folder, grader.info.notebook)
        except OSError as error:
            log.error("attempt %s of %s/%s unreadable: %s", attempt.number, attempt.student, attempt.assignment, error)
            self.store.finish(attempt, ERROR, f"the attempt could not be read: {error}", None, None, False)
            return
        job = Job(attempt.student, attempt.assignment, {grader.info.notebook: data}, {layout.TIMESTAMP_FILE: stamp})
        future = client.submit(grade, job, grader.kit_future, pure=False,
                               key=f"serve-{attempt.assignment}-{attempt.student}-{attempt.number}-{time.time_ns()}")
        self.in_flight[future.key] = (attempt, future)
        future.add_done_callback(self.events.put)
        log.info("grading %s attempt %d of %s", attempt.assignment, attempt.number, attempt.student)

    def _finish(self, future) -> None:
        entry = self.in_flight.pop(future.key, None)
        if entry is None:
            return
        attempt, _ = entry
        grader = self.graders[attempt.assignment]
        try:
            outcome: JobResult = future.result()
        except Exception as error:  # noqa: BLE001 - a lost worker...: the attempt gets the status error
            outcome = JobResult(attempt.student, attempt.assignment, [
                NotebookOutcome(grader.info.notebook, ERROR, f"the grading task failed: {type(error).__name__}: "
                                                             f"{error}"[:2000])])
        finally:
            future.release()
        try:
            self._record(attempt, grader, outcome)
        except Exception as error:  # noqa: BLE001 - this attempt is marked; the service goes on
            log.exception("recording attempt %d of %s/%s failed", attempt.number, attempt.student, attempt.assignment)
            self.store.finish(attempt, ERROR, f"recording failed: {type(error).__name__}: {error}", None, None, False)
        self.state.graded += 1

    def _record(self, attempt: Attempt, grader: AssignmentGrader, outcome: JobResult) -> None:
        cd, info = self.cd, grader.info
        folder = layout.attempt_dir(cd, attempt.student, attempt.assignment, attempt.number)
        result = attempt_result(attempt, grader.kit.snapshot, outcome, content_hash(
            submission_files(folder, grader.recorder.ignore)))
        found = integrity.Review()
        for o in outcome.notebooks:
            found = found.merge(o.review or integrity.Review())
        where = layout.results_dir(cd, attempt.student, attempt.assignment, attempt.number)
        integrity.save(found, where)
        results.save(result, where)

        current = self.store.record_of(attempt.student, attempt.assignment)
        candidate = policy.Candidate(attempt.number, attempt.submitted_at, result.status, result.score)
        previous = None if current is None else policy.Candidate(current.number, current.submitted_at,
                                                                 current.status, current.score or 0.0)
        of_record = policy.replaces(self.serve.grade_of_record, self.due(info.name), candidate, previous)
        penalty = 0.0
        if of_record:
            layout.set_record(cd, attempt.student, attempt.assignment, folder, info.notebook)
            files = submission_files(cd.submission_dir(attempt.student, attempt.assignment), grader.recorder.ignore)
            digest = content_hash(files)
            others = {k: v for k, v in files.items() if not k.endswith(".ipynb")}
            recorded = grader.recorder.record(attempt.student, outcome.notebooks, digest, others, outcome.seconds,
                                              outcome.worker)
            if recorded.status == ERROR and result.status != ERROR:
                result.status, result.reason = ERROR, recorded.reason
                grader.recorder.close()  # opened afresh for the next one (a dropped database connection...)
            penalty = self._late_penalty(grader, attempt)
        self.store.finish(attempt, result.status, result.reason, result.score, result.max_score, of_record, penalty)
        log.info("%s attempt %d of %s: %s %g/%g%s", attempt.assignment, attempt.number, attempt.student,
                 result.status, result.score, result.max_score, " (of record)" if of_record else "")

    @staticmethod
    def _late_penalty(grader: AssignmentGrader, attempt: Attempt) -> float:
        try:
            submission = grader.recorder.gradebook.find_submission(attempt.assignment, attempt.student)
            return float(submission.late_submission_penalty or 0.0)
        except Exception:  # noqa: BLE001 - the page then shows no penalty; the gradebook has it
            return 0.0
