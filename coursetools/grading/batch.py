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

import collections
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
from ..course.text import terminal_safe
from . import cluster, probe, results
from .folder import FolderContents, read_folder, special_entries_digest
from .job import AssignmentKit, GradingSettings, Job, JobResult, NotebookOutcome
from .kernels import in_worker_context, take_idle_cpu
from .preprocessors import preprocessor_lists
from .progress import BatchProgress
from .recorder import Recorder
from .results import ERROR, EXECUTED, GRADED, MISSING, REJECTED, TIMED_OUT, GradingResult
from .snapshot import snapshot_hash, snapshot_notebook
from .worker import grade, worker_name

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
    #: CPU-seconds by phase, summed over the submissions graded (the workers' :class:`~.worker.Phases`, the
    #: client's "client.read_hash" and "client.record", on its own thread), and the client's whole CPU time
    #: ("client.total": the process's, less what worker threads of this process spent on their tasks), of which
    #: the batch's set-up ("client.setup": the kit, the cluster, the probe) and its end ("client.teardown": the
    #: cluster closed). With a local cluster of its own, also what its workers spent on no submission:
    #: "kernel.idle" (the probe's kernels, the spares left at the end) and "sandbox.template" (the warm templates).
    profile: dict[str, float] = field(default_factory=dict)
    profiled: int = 0  # submissions the workers returned (the profile's denominator)
    workers_here_cpu: float = 0.0  # "worker.total" of the tasks run by worker threads of this process

    def add_profile(self, name: str, seconds: float) -> None:
        self.profile[name] = self.profile.get(name, 0.0) + seconds

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.results:
            counts[r.status] = counts.get(r.status, 0) + 1
        return counts


# --- a submission's files, read once -----------------------------------------------------------------------------
def source_files(folder: Path, ignore: list[str]) -> dict[str, bytes]:
    """The files of the instructor's source folder (nbgrader's ignore globs applied), by relative path, read once.

    The course's own folder, trusted (links to shared data are followed, as nbgrader does); submissions are read
    by :func:`.folder.read_folder`, which trusts nothing.
    """
    from nbgrader.utils import find_all_files

    if not folder.is_dir():
        return {}
    return {os.path.relpath(f, folder): Path(f).read_bytes() for f in sorted(find_all_files(str(folder), ignore))}


def submission_files(folder: Path, ignore: list[str]) -> dict[str, bytes]:
    """The regular files of a submission folder, by relative path, read once (see :func:`.folder.read_folder`)."""
    return read_folder(folder, ignore).files


def content_hash(files: dict[str, bytes], extra: list[str] | None = None) -> str:
    """A hash of a submission: its files' relative paths and contents (and ``extra`` lines: what was not read)."""
    digest = hashlib.sha256()
    for relative, data in sorted(files.items()):
        digest.update(relative.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(hashlib.sha256(data).digest())
    for line in extra or []:
        digest.update(b"\1" + line.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def folder_review(contents: FolderContents) -> integrity.Review:
    """The flags a submission folder raises by itself: entries that are not regular files."""
    found = integrity.Review()
    if contents.specials:
        found.add("special_files", integrity.CHEAT, contents.special_note(), [])
    return found


def refused_notebooks(contents: FolderContents, names) -> str:
    """Why the submission is refused though the folder was readable: a notebook that is a link or special file."""
    bad = [f"{name}.ipynb is a {contents.specials[f'{name}.ipynb']}" for name in names
           if f"{name}.ipynb" in contents.specials]
    if not bad:
        return ""
    return ("; ".join(bad) + ", not a file: only regular files are graded, and it was not read (hand in the "
            "notebook file itself)")


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
@in_worker_context
def _probe_worker(settings: sandbox.SandboxSettings, arguments: list[str]) -> tuple[bool, str]:
    """On a worker: can it isolate submissions as ``settings`` say? Proved by starting a sandboxed kernel."""
    if not settings.enabled:
        return True, "no sandbox"
    return probe.kernel_starts(settings, arguments, keep=True)


def check_workers(client, settings: GradingSettings, arguments: list[str]) -> str:
    """Prove on every worker that submissions can be isolated as asked; the line that says how.

    The proof is a real kernel, started on each worker as a submission's would be (bubblewrap, the limits, the
    interpreter and its environment bound in, the kernel arguments of the batch: ``arguments``, see
    :func:`.kernels.kernel_arguments`), which must answer;
    it has run no code, and the worker's first submission runs in it (it is the worker's spare kernel).
    Raises :class:`coursetools.sandbox.SandboxUnavailable`, naming the workers and the cause, otherwise: a grader
    that cannot start a kernel never grades, so its fault is never a student's "kernel died".
    """
    if not settings.sandbox.enabled:
        return sandbox.notice(settings.sandbox, "")
    answers = probe.on_every_worker(client, _probe_worker, settings.sandbox, arguments)
    failing = {worker: why for worker, (ok, why) in answers.items() if not ok}
    if failing:
        detail = "; ".join(f"{worker}: {why}" for worker, why in sorted(failing.items()))
        help_ = sandbox.INSTALL_HELP if any("bubblewrap" in why for why in failing.values()) else probe.ENVIRONMENT_HELP
        raise sandbox.SandboxUnavailable(f"Cannot start a sandboxed kernel on {len(failing)} of {len(answers)} "
                                         f"worker(s), so nothing was graded ({detail}). {help_}")
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
    files = {rel: data for rel, data in source_files(cd.source_dir(assignment), ignore + ["*.ipynb"]).items()}
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
    ``workers``: Dask workers of the local cluster (threads, default: one per core); ``scheduler``: address of an
    existing Dask scheduler instead; ``client``: an existing ``distributed.Client`` instead of both.
    ``cell_timeout`` overrides nbgrader's ``Execute.timeout``. ``announce``: print how student code is isolated.
    ``deadlines``: due dates, extensions and the late policy (default: course.toml's ``[deadlines]``); the due date
    and each student's extension go into the gradebook, and nbgrader's AssignLatePenalties applies the policy to the
    submission's ``timestamp.txt``. ``display``: a :class:`~.progress.BatchProgress` shared by several batches
    (one display for all), instead of this batch's own progress line.
    """
    start, cpu = time.perf_counter(), time.process_time()
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

        def not_run(student: str, status: str, reason: str, digest_: str, files: dict[str, bytes],
                    found: integrity.Review | None = None) -> None:
            outcomes = [NotebookOutcome(name, status, reason) for name in kit.snapshot]
            for outcome in outcomes:
                outcome.review = integrity.review(status=status, reason=reason)
            done(recorder.record(student, outcomes, digest_, files, extra=found))

        def jobs() -> Iterator[tuple[Job, str, integrity.Review]]:
            """The submissions to grade, each read once, as the cluster has room for them."""
            for student in everyone:
                reading = time.thread_time()
                folder = cd.submission_dir(student, assignment)
                contents = read_folder(folder, recorder.ignore, settings.folder, base=cd.submitted)
                files = contents.files
                extra = special_entries_digest(contents) + ([contents.problem] if contents.problem else [])
                extension = deadlines.extension(student, assignment)
                if extension:  # a new or changed extension regrades the submission (its penalty changes)
                    extra.append(f"extension {extension.total_seconds()}")
                digest_ = content_hash(files, extra)
                previous = unchanged(student, digest_)
                if previous is not None:
                    batch.skipped.append(student)
                    done(previous, skipped=True)
                    continue
                found = folder_review(contents)
                refused = contents.problem or refused_notebooks(contents, kit.snapshot)
                if refused:
                    not_run(student, REJECTED, refused, digest_, {}, found)
                    continue
                notebooks = {name: files.pop(f"{name}.ipynb", None) for name in kit.snapshot}
                if all(data is None for data in notebooks.values()):
                    reason = (f"no folder submitted/{student}/{assignment}/" if not contents.exists else
                              f"no {' or '.join(n + '.ipynb' for n in kit.snapshot)} in submitted/{student}/{assignment}/")
                    not_run(student, MISSING, reason, digest_, files, found)
                    continue
                files = {rel: data for rel, data in files.items() if not rel.endswith(".ipynb")}
                batch.add_profile("client.read_hash", time.thread_time() - reading)
                yield Job(student, assignment, notebooks, files), digest_, found

        pending = jobs()
        first = next(pending, None)
        graded: float | None = None  # the client's CPU when the last submission was recorded
        if first is not None:
            own_client = client is None
            cluster_ = None
            if own_client:
                client, cluster_ = cluster.start(workers, scheduler)
            try:
                from .kernels import kernel_arguments

                batch.notice = check_workers(client, settings, kernel_arguments(kit.config))
                prepare(kit)
                if progress and announce:
                    screen.message(batch.notice)
                batch.add_profile("client.setup", time.process_time() - cpu)
                _run(client, kit, _chain(first, pending), recorder, done, batch, own_cluster=own_client)
                graded = time.process_time()
            finally:
                if own_client:
                    cluster.close(client, cluster_)
                    if scheduler is None:  # a local cluster's workers are threads of this process
                        for phase, seconds in take_idle_cpu().items():
                            batch.add_profile(phase, seconds)
    bar.close()
    if display is None:
        screen.close()
    batch.results.sort(key=lambda r: r.student)
    batch.seconds = time.perf_counter() - start
    if graded is not None:
        batch.add_profile("client.teardown", time.process_time() - graded)
    batch.add_profile("client.total", time.process_time() - cpu - batch.workers_here_cpu)
    return batch


def _key_safe(text: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in text)[:100]


def _chain(first, rest: Iterator) -> Iterator:
    yield first
    yield from rest


def last_without_spares(items: Iterator[tuple], workers: int) -> Iterator[tuple]:
    """``items`` (``(job, ...)`` tuples), the last ``workers`` jobs with ``prewarm`` off: after them no other
    submission may follow on their workers, whose spare kernels would be started for nothing (a worker that does
    take one of the others then starts its kernel itself). Reads ``workers`` items ahead."""
    ahead: collections.deque = collections.deque()
    for item in items:
        ahead.append(item)
        if len(ahead) > workers:
            yield ahead.popleft()
    for item in ahead:
        item[0].prewarm = False
        yield item


def _run(client, kit: AssignmentKit, jobs: Iterator[tuple[Job, str, integrity.Review]], recorder: Recorder,
         done: Callable[[GradingResult], None], batch: Batch, own_cluster: bool = False) -> None:
    """Grade ``jobs`` on ``client``'s workers, two in flight per worker thread, recording each as it returns.

    ``own_cluster``: the cluster grades this batch alone (it was started for it), so the batch's last jobs start
    no spare kernel for a next submission that will not come.
    """
    from distributed import as_completed

    batch.workers = max(1, sum(client.nthreads().values()))
    in_flight = 2 * batch.workers
    here = worker_name()
    kit_future = client.scatter(kit, broadcast=True, hash=False)
    pending: dict[str, tuple[Job, str, integrity.Review]] = {}
    if own_cluster:
        jobs = last_without_spares(jobs, batch.workers)

    def submit():
        item = next(jobs, None)
        if item is None:
            return None
        job = item[0]
        # The key names the task in Dask's logs and dashboard: no student text in it but safe characters.
        future = client.submit(grade, job, kit_future, pure=False,
                               key=f"autograde-{job.assignment}-{_key_safe(job.student)}-{time.time_ns()}")
        pending[future.key] = item
        return future

    started = [f for f in (submit() for _ in range(in_flight)) if f is not None]
    futures = as_completed(started)
    for future in futures:
        job, digest, found = pending.pop(future.key)
        following = submit()
        if following is not None:
            futures.add(following)
        try:
            outcome: JobResult = future.result()
            recording = time.thread_time()
            result = recorder.record(job.student, outcome.notebooks, digest, job.files, outcome.seconds,
                                     outcome.worker, extra=found)
            batch.add_profile("client.record", time.thread_time() - recording)
            batch.profiled += 1
            for phase, seconds in outcome.profile.items():
                batch.add_profile(phase, seconds)
            if outcome.worker == here:
                batch.workers_here_cpu += outcome.profile.get("worker.total", 0.0)
        except Exception as error:  # noqa: BLE001 - a lost worker, a pickling error...: recorded, batch goes on
            reason = f"the grading task failed: {type(error).__name__}: {error}"[:2000]
            result = recorder.record(job.student, [NotebookOutcome(n, ERROR, reason) for n in job.notebooks],
                                     digest, job.files, extra=found)
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
            # Student ids and reasons are student text: no escape sequence reaches the instructor's terminal.
            lines.append(f"  {terminal_safe(r.student, one_line=True)}: {r.label}: "
                         f"{terminal_safe(r.reason, one_line=True)[:500]}")
    graded = len(batch.results) - len(batch.skipped)
    if graded:
        lines.append(f"graded {graded} in {batch.seconds:.1f} s ({batch.seconds / graded:.2f} s per submission"
                     + (f", {batch.workers} workers)" if batch.workers else ")"))
    return "\n".join(lines)
