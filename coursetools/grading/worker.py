"""The part of autograde that runs on a Dask worker: sanitize, execute and review one submission; no database.

For each notebook of a submission, :func:`grade` runs nbgrader's own preprocessors in nbgrader's order, with
nbgrader's configuration, exactly as ``nbgrader autograde`` does (see :mod:`.preprocessors` for the few replaced):

1. sanitize: ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells (with ``add_missing_cells``: deleted
   test cells come back, hidden tests included), CheckCellMetadata;
2. execute: Execute (with ``NBGRADER_EXECUTION=autograde``), IgnorePattern, ClearMetadataPreprocessor,
   LimitOutput, in a kernel started as the job's settings say (:mod:`.kernels`);
3. review: the integrity review (:func:`coursetools.integrity.review`) on the submitted and the executed notebook
   and the sandbox's report; its overrides are written into the executed notebook (failed test cells, as nbgrader
   reads them).

The notebook is parsed once and stays a NotebookNode throughout. The client then writes the gradebook, once.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import json
import os
import shutil
import socket
import tempfile
import time
import warnings
from pathlib import Path

import nbformat
from nbconvert.exporters.exporter import ResourcesDict
from nbformat.reader import NotJSONError
from nbformat.warnings import DuplicateCellId, MissingIDFieldWarning
from nbgrader.nbgraderformat import SchemaTooNewError, SchemaTooOldError

from .. import integrity, sandbox
from . import inert
from .job import AssignmentKit, Job, JobResult, NotebookOutcome
from .kernels import Spare, bind, in_worker_context, kernel_arguments, kernel_cpu, shutdown, start_kernel
from .preprocessors import CELL_TIMEOUT_ENAME, GuardedExecute, check_schemas_once
from .results import ERROR, GRADED, INVALID, MISSING, TIMED_OUT
from .snapshot import SnapshotGradebook


class Phases:
    """Where a submission's CPU time goes on the worker: CPU-seconds of the worker's thread by phase, and the kernel's.

    The worker's own phases are measured with ``time.thread_time`` (a local cluster's workers are threads of one
    process, see :mod:`.cluster`): nbclient's messages are handled on this thread, during "worker.execute"; the
    grader's service for the hidden tests has a thread of its own per kernel, measured when it ends
    ("worker.service"). The kernel's CPU comes from :func:`coursetools.sandbox.cpu_seconds` on its process tree. A
    few calls per submission: negligible.
    """

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self._open: tuple[str, float] | None = None

    @contextlib.contextmanager
    def phase(self, name: str):
        start = time.thread_time()
        try:
            yield
        finally:
            self.add(name, time.thread_time() - start)

    def add(self, name: str, seconds: float) -> None:
        self.cpu[name] = self.cpu.get(name, 0.0) + seconds

    def start(self, name: str) -> None:
        """Open the phase ``name`` (closed by :meth:`stop`, which may be called more than once)."""
        self._open = (name, time.thread_time())

    def stop(self) -> None:
        opened, self._open = self._open, None
        if opened is not None:
            self.add(opened[0], time.thread_time() - opened[1])


def ignore_cell_id_repairs() -> None:
    """nbformat's warnings that it repaired a notebook's cell ids (missing: nbgrader puts deleted test cells back
    without one; duplicated: a student copied a cell) tell the instructor nothing: ignored in the grading process.

    Filters added for good, not ``warnings.catch_warnings``: that swaps the whole process's filters and restores
    them on exit, which is not thread-safe, and a local cluster's workers are threads (see :mod:`.cluster`).
    """
    warnings.filterwarnings("ignore", category=MissingIDFieldWarning)
    warnings.filterwarnings("ignore", category=DuplicateCellId)


def read_submission(data: bytes) -> nbformat.NotebookNode:
    """The submitted notebook, as nbgrader reads it; raises ValueError with a reason for a student's file."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"not a notebook: the file is not UTF-8 text ({error.reason} at byte {error.start})")
    ignore_cell_id_repairs()
    try:
        notebook = nbformat.reads(text, as_version=4)
    except NotJSONError as error:
        # Parsed again only on failure, for the line and column a student can look up.
        try:
            json.loads(text)
        except json.JSONDecodeError as detail:
            raise ValueError(f"not valid JSON: {detail.msg} at line {detail.lineno}, column {detail.colno}") from None
        raise ValueError(f"not valid JSON: {error}") from None
    except Exception as error:  # noqa: BLE001 - any reader error means the file is no notebook
        raise ValueError(f"not a Jupyter notebook: {type(error).__name__}: {error}") from None
    if not isinstance(notebook.get("cells"), list):
        raise ValueError("not a Jupyter notebook: it has no list of cells")
    return notebook


def _resources(kit: AssignmentKit, job: Job, notebook: str, workdir: Path, state: dict) -> ResourcesDict:
    """What nbgrader's converter and nbconvert's exporter give the preprocessors."""
    resources = ResourcesDict()
    resources.update({
        "unique_key": notebook,
        "output_files_dir": f"{notebook}_files",
        "nbgrader": {"student": job.student, "assignment": kit.assignment, "notebook": notebook,
                     "db_url": kit.db_url},
        "metadata": {"name": notebook, "path": str(workdir),
                     "modified_date": datetime.datetime.now(datetime.timezone.utc).strftime("%B %-d, %Y")},
        "coursetools": state,
    })
    return resources


def _run(preprocessors: list, kit: AssignmentKit, nb, resources, km=None):
    """Apply ``preprocessors`` in order, as nbconvert's exporter would (each configured from the course's config)."""
    for cls in preprocessors:
        preprocessor = cls(config=kit.config)
        if not preprocessor.enabled:
            continue
        if isinstance(preprocessor, GuardedExecute):
            nb, resources = preprocessor.preprocess(nb, resources, km=km)
        else:
            nb, resources = preprocessor(nb, resources)
    return nb, resources


def _scores(notebook) -> dict[str, float]:
    from nbgrader.utils import determine_grade, is_grade

    scores = {}
    for cell in notebook.cells:
        if is_grade(cell) and cell.cell_type == "code":
            scores[cell.metadata["nbgrader"]["grade_id"]] = float(determine_grade(cell)[0] or 0.0)
    return scores


def _grade_notebook(kit: AssignmentKit, job: Job, name: str, workdir: Path, km,
                    phases: Phases | None = None) -> NotebookOutcome:
    """Grade and review one notebook of the submission in ``km`` (a started kernel, killed here in the end)."""
    phases = phases or Phases()
    submitted = None
    found = integrity.Review()  # what sanitizing noted, then the review: kept whatever fails later
    try:
        outcome, submitted = _execute_notebook(kit, job, name, workdir, km, found, phases)
    finally:
        if km is not None:
            shutdown(km)
            for key, seconds in kernel_cpu(km).items():
                phases.add(key, seconds)
    with phases.phase("worker.review"):
        _finish(kit, name, submitted, outcome, found)
    return outcome


def _finish(kit: AssignmentKit, name: str, submitted, outcome: NotebookOutcome, found: integrity.Review) -> None:
    """The review of an executed notebook, its overrides written in, the notebook made inert."""
    if outcome.executed is not None:
        # Text a kernel printed that is not Unicode (lone surrogates) could be stored nowhere.
        repaired = inert.repair_text(outcome.executed)
        if repaired:
            found.add("text_repaired", integrity.REVIEW, "the outputs held text that is not valid Unicode (in "
                      + ", ".join(repaired[:5]) + "): replaced by U+FFFD")
    outcome.review = _review(kit, name, submitted, outcome, found)
    if outcome.executed is not None:
        active = inert.make_inert(outcome.executed, inert.course_texts(kit.source.get(name), kit.release.get(name)))
        if active:
            outcome.review.add("active_content", integrity.CHEAT,
                               "HTML or JavaScript that would run when the notebook is opened was made inert (in "
                               + ", ".join(active[:10]) + ")", [a for a in active if not a.startswith("cell ")])


def _notes(found: integrity.Review, state: dict) -> None:
    """The notes of the sanitizing preprocessors (what was restored or removed) and of the execution (what it
    dropped), as flags."""
    for note in state.pop("notes", []):
        severity = integrity.CHEAT if note["code"] == "skip_execution" and note["cells"] else integrity.REVIEW
        found.add(note["code"], severity, note["message"], note["cells"])


def _execute_notebook(kit: AssignmentKit, job: Job, name: str, workdir: Path, km, found: integrity.Review,
                      phases: Phases):
    """(outcome, the notebook as submitted or None); what sanitizing changed goes into ``found``."""
    data = job.notebooks.get(name)
    if data is None:
        return NotebookOutcome(name, MISSING, f"no {name}.ipynb in the submission"), None
    state: dict = {"gradebook": SnapshotGradebook(kit.snapshot), "notebook_timeout": kit.settings.notebook_timeout,
                   "release": kit.release.get(name), "skip_tag": kit.config.Execute.get("skip_cells_with_tag")}
    submitted = None
    phases.start("worker.sanitize")
    try:
        try:
            submitted = read_submission(data)
        except ValueError as error:
            return NotebookOutcome(name, INVALID, str(error) or "not a notebook"), None
        repaired = inert.repair_text(submitted)
        if repaired:
            found.add("text_repaired", integrity.REVIEW, "the notebook held text that is not valid Unicode (in "
                      + ", ".join(repaired[:5]) + "): replaced by U+FFFD before grading")
        try:
            notebook = copy.deepcopy(submitted)
            notebook, _ = _run(kit.sanitize, kit, notebook, _resources(kit, job, name, workdir, state))
            nbformat.validate(notebook)
        except (SchemaTooOldError, SchemaTooNewError, nbformat.ValidationError) as error:
            _notes(found, state)
            return NotebookOutcome(name, INVALID, f"not a valid notebook: {type(error).__name__}: "
                                   f"{str(error)[:1000] or 'invalid'}"), None
        except Exception as error:  # noqa: BLE001 - sanitizing reads only the student's file and the course's
            # rows: what it cannot get through is in the file. A status and a reason for the student, not a retry.
            _notes(found, state)
            return NotebookOutcome(name, INVALID, "the grader could not restore the test cells of this notebook "
                                   f"({type(error).__name__}: {str(error)[:500] or 'no detail'}): its grader "
                                   "metadata is damaged; a human should grade it"), None
        _notes(found, state)
        phases.stop()
        bind(km, kit.record)
        try:
            with phases.phase("worker.execute"):
                notebook, _ = _run(kit.execute, kit, notebook, _resources(kit, job, name, workdir, state), km=km)
        finally:
            with phases.phase("worker.kernel_stop"):
                shutdown(km)
                state["sandbox"] = sandbox.report(km)
        _notes(found, state)  # what the execution dropped (unreadable messages)
    except Exception as error:  # noqa: BLE001 - the batch goes on; the status says what happened
        return NotebookOutcome(name, ERROR, f"{type(error).__name__}: {error}"[:2000] or "grading failed"), submitted
    finally:
        phases.stop()  # sanitizing ended early (an invalid notebook)
    status, reason = state.get("status", GRADED), state.get("reason", "")
    if status == GRADED:
        timed_out = [c.metadata.get("nbgrader", {}).get("grade_id") or f"cell {i + 1}"
                     for i, c in enumerate(notebook.cells)
                     if c.cell_type == "code" and any(o.get("ename") == CELL_TIMEOUT_ENAME for o in c.outputs)]
        if timed_out:
            limit = kit.config.Execute.get("timeout", 30)
            status = TIMED_OUT
            reason = f"{', '.join(timed_out)} ran longer than the {limit} s limit for a cell, and was interrupted"
    return NotebookOutcome(name, status, reason, executed=notebook, cell_seconds=state.get("cell_seconds", 0.0),
                           sandbox=state.get("sandbox")), submitted


def _review(kit: AssignmentKit, name: str, submitted, outcome: NotebookOutcome,
            found: integrity.Review | None = None) -> integrity.Review:
    """The integrity review of one executed notebook, its overrides written into it.

    The review is total (see :func:`coursetools.integrity.review`); should it fail all the same, what it had found
    is kept (it writes into ``found`` as it goes), the test cells it had not verified score 0, and a flag says so.
    """
    found = found if found is not None else integrity.Review()
    scores: dict[str, float] = {}
    try:
        if outcome.executed is not None and kit.record is not None:
            integrity.drop_kernel_results(outcome.executed, found)
        scores = _scores(outcome.executed) if outcome.executed is not None else {}
        integrity.review(submitted=submitted, executed=outcome.executed, scores=scores,
                         report=outcome.sandbox, status=outcome.status, reason=outcome.reason,
                         record=kit.record, source=kit.source.get(name), release=kit.release.get(name), into=found)
    except Exception as error:  # noqa: BLE001 - the batch goes on; a human looks
        integrity.unverified(found, kit.record, scores)
        found.add("integrity_error", integrity.REVIEW,
                  f"the integrity review failed: {type(error).__name__}: {error}"[:500])
    if outcome.executed is not None:
        integrity.apply_overrides(found, outcome.executed)
    return found


def _write_files(workdir: Path, files: dict[str, bytes]) -> None:
    for relative, data in files.items():
        target = (workdir / relative).resolve()
        if workdir.resolve() not in target.parents:
            continue  # a path escaping the folder is never written
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def worker_name() -> str:
    """Which process graded a submission (``host:pid``): the grading process itself, for a local cluster's worker
    threads."""
    return f"{socket.gethostname()}:{os.getpid()}"


@in_worker_context
def grade(job: Job, kit: AssignmentKit) -> JobResult:
    """Sanitize, execute and review every notebook of one submission; the Dask task of autograde."""
    check_schemas_once()
    start, cpu = time.perf_counter(), time.thread_time()
    phases = Phases()
    result = JobResult(job.student, job.assignment, worker=worker_name())
    arguments = kernel_arguments(kit.config)
    settings = kit.settings.sandbox
    names = sorted(job.notebooks)
    workdir = None
    try:
        spare = Spare.take(arguments, settings)
        km, workdir = spare if spare else (None, Path(tempfile.mkdtemp(prefix="autograde-")))
        if job.prewarm:
            # The next submission's kernel boots while this one runs (half of a boot is waiting, not computing).
            with phases.phase("worker.kernel_start"):
                Spare.prestart(arguments, settings)
        _write_files(workdir, {**job.files, **kit.files})
        for name in names:
            if job.notebooks.get(name) is None:
                result.notebooks.append(_grade_notebook(kit, job, name, workdir, None, phases))
                continue
            if km is None:
                with phases.phase("worker.kernel_start"):
                    km = start_kernel(workdir, arguments, settings)
            result.notebooks.append(_grade_notebook(kit, job, name, workdir, km, phases))
            km = None
    except Exception as error:  # noqa: BLE001
        result.notebooks.append(NotebookOutcome("?", ERROR, f"{type(error).__name__}: {error}"))
    finally:
        if km is not None:
            shutdown(km)
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
    result.seconds = time.perf_counter() - start
    # The worker's whole cost: its thread's, and its kernels' service threads'.
    phases.add("worker.total", time.thread_time() - cpu + phases.cpu.get("worker.service", 0.0))
    result.profile = phases.cpu
    return result
