"""nbgrader's preprocessors as the toolkit runs them: the same classes, each with one job changed.

The worker runs nbgrader's sanitize and autograde lists in nbgrader's order with nbgrader's configuration
(:func:`worker_preprocessors`); four of them are replaced by the subclasses here (:func:`substitute`):

* :class:`SnapshotOverwriteKernelspec` and :class:`SnapshotOverwriteCells` read the gradebook snapshot the job
  carries instead of the database (workers need no database access);
* :class:`CompleteDeduplicateIds` finishes nbgrader's de-duplication of copied test cells;
* :class:`GuardedExecute` runs the notebook in the kernel the worker hands it, with a per-notebook wall-clock limit
  and a survivable kernel death.

The client alone writes the gradebook, with :class:`SaveAutoGradesOnce` and :class:`AssignLatePenaltiesOnce`: one
open gradebook and one commit per submission, and a flagged submission marked for a manual look in the same pass.
"""

from __future__ import annotations

import json
import threading
import time
from queue import Empty

import nbformat
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_hook
from nbgrader import utils
from nbgrader.preprocessors import (
    AssignLatePenalties,
    DeduplicateIds,
    Execute,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)
from nbgrader.preprocessors.base import NbGraderPreprocessor

from .. import sandbox
from .blocking import BlockingExecuteCell
from .kernels import is_alive, wait_for_ready
from .metadata import RestoreGraderMetadata
from .results import KERNEL_DIED, TIMED_OUT

#: Preprocessors that write the gradebook: they run in the client, never on a worker.
WRITERS = ("SaveAutoGrades", "AssignLatePenalties")
#: The ename nbgrader's Execute gives a cell that exceeded the per-cell limit (``Execute.error_on_timeout``).
CELL_TIMEOUT_ENAME = "CellTimeoutError"
NOT_RUN_ENAME = "NotRun"
#: After the cell limit, an interrupted kernel gets this long (beyond nbclient's wait for its output) to stop.
INTERRUPT_GRACE = 5.0


def _state(resources) -> dict:
    """What the toolkit passes its preprocessors (and gets back from them) alongside nbgrader's resources."""
    return resources["coursetools"]


# --- on the worker: sanitizing ----------------------------------------------------------------------------------
class SnapshotOverwriteKernelspec(OverwriteKernelspec):
    """nbgrader's OverwriteKernelspec, reading the source kernelspec from the job's gradebook snapshot."""

    def preprocess(self, nb, resources):
        kernelspec = _state(resources)["gradebook"].find_notebook(
            resources["nbgrader"]["notebook"], resources["nbgrader"]["assignment"]).kernelspec
        if kernelspec is not None:
            kernelspec = json.loads(kernelspec)
        if kernelspec:
            nb.metadata["kernelspec"] = kernelspec
        return nb, resources


class SnapshotOverwriteCells(OverwriteCells):
    """nbgrader's OverwriteCells (same checks, same restored cells), reading the job's gradebook snapshot, and
    warning of a changed test cell only when it is not the cell the student was given.

    nbgrader compares each locked cell with its source, hidden tests included, which the released cell never had:
    it warns "Attribute 'checksum' ... has changed!" for every test cell with hidden tests of every submission,
    untouched ones too (nbgrader issue #1961), hundreds of false alarms a batch that drown the real ones. The cell is
    restored all the same; a cell that differs from the release is still reported here, and flagged for a human
    look by the integrity review.
    """

    def preprocess(self, nb, resources):
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.db_url = resources["nbgrader"]["db_url"]
        self.gradebook = _state(resources)["gradebook"]
        self._as_released = _released_checksums(_state(resources).get("release"))
        with self.gradebook:
            nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
            if self.add_missing_cells:
                nb, resources = self.add_missing_grade_cells(nb, resources)
                nb, resources = self.add_missing_task_cells(nb, resources)
        return nb, resources

    def report_change(self, name, attr, old, new) -> None:
        if attr == "checksum" and new == self._as_released.get(name):
            return  # the cell as released: only the hidden tests the student never had differ
        super().report_change(name, attr, old, new)


def _released_checksums(release) -> dict[str, str]:
    """grade_id -> nbgrader's checksum of each locked cell of the release notebook (a NotebookNode, as the kit
    holds it); empty without a release."""
    checksums = {}
    for cell in (release or {}).get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader")
        if isinstance(meta, dict) and meta.get("locked") and isinstance(meta.get("grade_id"), str):
            checksums[meta["grade_id"]] = utils.compute_checksum(cell)
    return checksums


class CompleteDeduplicateIds(DeduplicateIds):
    """nbgrader's DeduplicateIds, finishing its job: a duplicated test cell becomes an ordinary cell.

    nbgrader keeps the last cell of each grade_id and empties the others' nbgrader metadata to ``{}``, which its
    OverwriteCells then reads as a graded cell without a grade_id (KeyError: the whole submission fails to grade).
    A student who copies a test cell (an easy slip in Jupyter) is graded like anyone else instead.
    """

    def preprocess(self, nb, resources):
        nb, resources = super().preprocess(nb, resources)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader") == {}:
                del cell.metadata["nbgrader"]
        return nb, resources


# --- on the worker: executing ----------------------------------------------------------------------------------
class GuardedExecute(BlockingExecuteCell, Execute):
    """nbgrader's Execute in a given kernel, with a per-notebook wall-clock limit and a survivable kernel death.

    ``preprocess(nb, resources, km)`` runs the notebook in ``km``, a kernel the worker started in the submission's
    folder; the notebook's clock starts with its first cell (waiting for the kernel is not the notebook's time). On
    a dead kernel, the cell that was running gets the error and every later code cell a "not run" error, so their
    test cells score 0 and earlier ones keep their scores. The kernel is killed at the end, and the sandbox's report
    taken after it stopped.
    """

    def preprocess(self, nb, resources=None, km=None):
        state = _state(resources)
        self._current = -1
        self._cell_seconds = 0.0
        expired = threading.Event()
        limit = state.get("notebook_timeout")
        if limit:
            def expire():
                expired.set()
                sandbox.kill(km)
            # Started by the first cell (see preprocess_cell).
            self._timer = threading.Timer(limit, expire)
            self._timer.daemon = True
        else:
            self._timer = None
        self._interrupted = -1
        try:
            nb, resources = super().preprocess(nb, resources, km=km)
        except Exception as error:  # noqa: BLE001 - recorded in the notebook and the status
            nb = self.nb
            where = self._where(nb)
            if expired.is_set():
                status = TIMED_OUT
                reason = f"the notebook ran longer than the {limit:g} s limit for a notebook and was stopped{where}"
                ename = "NotebookTimeoutError"
            elif isinstance(error, CellTimeoutError) and self._interrupted == self._current >= 0:
                # nbclient interrupted the cell at the cell limit and the kernel went on (SIGINT ignored, a loop
                # in C, a blocked signal): the kernel is killed, the submission timed out, earlier cells keep
                # their points.
                sandbox.kill(km)
                status = TIMED_OUT
                reason = (f"{where.removeprefix(' in ')} ran longer than the {self.timeout} s limit for a cell and did "
                          "not stop when interrupted: the kernel was stopped")
                ename = CELL_TIMEOUT_ENAME
            elif self._current < 0 and not is_alive(km):
                # No student code has run yet: the kernel could not start here. The grader's fault, said so.
                raise KernelStartError(_start_failure(km)) from error
            elif isinstance(error, DeadKernelError) or not is_alive(km):
                status = KERNEL_DIED
                reason = f"the kernel died{where} (the Python process crashed, exited or ran out of memory)"
                ename = "DeadKernelError"
            else:
                raise
            self._mark_unfinished(nb, ename, reason)
            state["status"], state["reason"] = status, reason
        finally:
            if self._timer is not None:
                self._timer.cancel()
            if getattr(self, "kc", None) is not None:
                try:
                    self.kc.stop_channels()
                except Exception:  # noqa: BLE001
                    pass
                self.kc = None
        state["cell_seconds"] = self._cell_seconds
        if self.unreadable:
            cells = sorted(self.unreadable)
            where = [self._where_cell(nb, i) for i in cells]
            state.setdefault("notes", []).append({
                "code": "unreadable_messages", "cells": [g for g in (_grade_id(nb, i) for i in cells) if g],
                "message": f"the kernel sent {sum(self.unreadable.values())} message(s) the grader could not read "
                           f"(not signed with the kernel's key, or malformed), in {', '.join(where)}: ignored"})
        return nb, resources

    async def _async_handle_timeout(self, timeout, cell=None):
        """nbclient's (interrupt the kernel, the cell gets a timeout error), remembering which cell was interrupted."""
        self._interrupted = self._current
        return await super()._async_handle_timeout(timeout, cell)

    async def async_start_new_kernel_client(self):
        """nbclient's, but with the client the spare kernel was started with, when there is one."""
        kc = self.km.__dict__.pop("prepared_client", None) if self.km is not None else None
        if kc is None:
            return await super().async_start_new_kernel_client()
        self.kc = kc
        try:
            await wait_for_ready(kc, self.startup_timeout)
        except Exception:
            await self._async_cleanup_kernel()
            raise
        self.kc.allow_stdin = False
        await run_hook(self.on_notebook_start, notebook=self.nb)
        return self.kc

    def start_new_kernel_client(self):
        return run_sync(self.async_start_new_kernel_client)()

    def preprocess_cell(self, cell, resources, index):
        self._current = index
        if self._timer is not None and not self._timer.is_alive() and not self._timer.finished.is_set():
            self._timer.start()
        start = time.perf_counter()
        try:
            return super().preprocess_cell(cell, resources, index)
        except CellTimeoutError:
            # nbclient interrupted the cell at the cell limit and gave up waiting for its output. A kernel that
            # answers within the grace period was only slow to stop (an import in C): the cell counts as timed
            # out and the notebook goes on. One that does not answer ignores interrupts: it is killed (preprocess).
            if self._interrupted != index or not run_sync(self._async_responsive)(INTERRUPT_GRACE):
                raise
            cell.outputs.append(nbformat.v4.new_output(
                "error", ename=CELL_TIMEOUT_ENAME, evalue="", traceback=[f"{CELL_TIMEOUT_ENAME}: No reply from "
                                                                         "kernel before timeout"]))
            return cell, resources
        finally:
            self._cell_seconds += time.perf_counter() - start

    async def _async_responsive(self, timeout: float) -> bool:
        """Whether the kernel answers ``kernel_info`` within ``timeout`` seconds (done with what it was running)."""
        if self.kc is None:
            return False
        msg_id = self.kc.kernel_info()
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                reply = await self.kc.shell_channel.get_msg(timeout=remaining)
            except Empty:
                return False
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                return True
        return False

    def _where(self, nb) -> str:
        if not 0 <= self._current < len(nb.cells):
            return " before running any cell"
        return f" in {self._where_cell(nb, self._current)}"

    @staticmethod
    def _where_cell(nb, index: int) -> str:
        """A cell's grade id, or "cell N"."""
        return _grade_id(nb, index) or f"cell {index + 1}"

    def _mark_unfinished(self, nb, ename, reason):
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or index < self._current:
                continue
            if index == self._current:
                cell.outputs.append(nbformat.v4.new_output("error", ename=ename, evalue=reason,
                                                           traceback=[f"{ename}: {reason}"]))
            else:
                cell.outputs = [nbformat.v4.new_output(
                    "error", ename=NOT_RUN_ENAME, evalue="not run: the notebook stopped at an earlier cell",
                    traceback=[f"{NOT_RUN_ENAME}: not run: the notebook stopped at an earlier cell"])]


def _grade_id(nb, index: int) -> str | None:
    return nb.cells[index].metadata.get("nbgrader", {}).get("grade_id") if 0 <= index < len(nb.cells) else None


class KernelStartError(RuntimeError):
    """The kernel died before any cell ran: the grader's environment, not the submission (a grading error)."""


def _start_failure(km) -> str:
    """Why a kernel died before running anything, from what it printed (bubblewrap's or Python's last words)."""
    log = ""
    try:
        log = km._read_log(2000) if hasattr(km, "_read_log") else ""
    except Exception:  # noqa: BLE001
        log = ""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    detail = lines[-1][:300] if lines else "it printed nothing"
    return (f"the grading kernel died before running any cell, so this is the grader's environment, not the "
            f"submission: {detail}")


class SchemaCheckedOnce:
    """Stands for the ``jsonschema`` module in nbgrader's metadata validation (nbgrader.nbgraderformat.common).

    nbgrader validates each cell's metadata with ``jsonschema.validate``, which checks the schema itself again on
    every call: a fifth of a second per notebook, twice per submission. This validates the same way (the same
    validator class, the same error chosen by ``best_match``) with the schema checked once.
    """

    def __init__(self, module):
        self._module = module
        self._validators: dict[str, object] = {}

    def __getattr__(self, name):
        return getattr(self._module, name)

    def validate(self, instance, schema, *args, **kwargs):
        if args or kwargs:
            return self._module.validate(instance, schema, *args, **kwargs)
        key = json.dumps(schema, sort_keys=True)
        validator = self._validators.get(key)
        if validator is None:
            cls = self._module.validators.validator_for(schema)
            cls.check_schema(schema)
            validator = self._validators[key] = cls(schema)
        error = self._module.exceptions.best_match(validator.iter_errors(instance))  # type: ignore[attr-defined]
        if error is not None:
            raise error


def check_schemas_once() -> None:
    """Install :class:`SchemaCheckedOnce` in nbgrader's metadata validation (idempotent)."""
    from nbgrader.nbgraderformat import common

    if not isinstance(common.jsonschema, SchemaCheckedOnce):
        common.jsonschema = SchemaCheckedOnce(common.jsonschema)


# --- in the client: the single writer --------------------------------------------------------------------------
class SaveAutoGradesOnce(SaveAutoGrades):
    """nbgrader's SaveAutoGrades in the client's open gradebook, committing once, marking flagged cells.

    ``resources["coursetools"]["gradebook"]`` is the open gradebook of the submission being written (the caller
    commits); ``["flagged"]`` the grade_ids the integrity review wants a human to look at (``needs_manual_grade``).
    """

    def preprocess(self, nb, resources):
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.student_id = resources["nbgrader"]["student"]
        self.db_url = resources["nbgrader"]["db_url"]
        self.gradebook = _state(resources)["gradebook"]
        self._flagged = set(_state(resources).get("flagged", ()))
        self._grades, self._comments = self._rows()
        return NbGraderPreprocessor.preprocess(self, nb, resources)

    def _rows(self) -> tuple[dict, dict]:
        """The submitted notebook's grades and comments by cell name, read in two queries.

        nbgrader looks each one up on its own (a seven-table join per cell, and a flush before each): most of the
        gradebook write. A cell missing here is looked up as nbgrader does, which raises as nbgrader would.
        """
        from nbgrader.api import Comment, Grade
        from sqlalchemy.orm import joinedload

        db = self.gradebook.db
        submitted = self.gradebook.find_submission_notebook(self.notebook_id, self.assignment_id, self.student_id)
        grades = db.query(Grade).options(joinedload(Grade.cell)).filter(Grade.notebook_id == submitted.id)
        comments = db.query(Comment).options(joinedload(Comment.cell)).filter(Comment.notebook_id == submitted.id)
        return {g.cell.name: g for g in grades}, {c.cell.name: c for c in comments}

    def _add_score(self, cell, resources) -> None:
        name = cell.metadata["nbgrader"]["grade_id"]
        grade = self._grades.get(name) or self.gradebook.find_grade(name, self.notebook_id, self.assignment_id,
                                                                    self.student_id)
        grade.auto_score, _ = utils.determine_grade(cell, self.log)
        grade.needs_manual_grade = (grade.manual_score is not None or grade.auto_score is None
                                    or name in self._flagged)

    def _add_comment(self, cell, resources) -> None:
        name = cell.metadata["nbgrader"]["grade_id"]
        comment = self._comments.get(name) or self.gradebook.find_comment(name, self.notebook_id, self.assignment_id,
                                                                          self.student_id)
        if cell.metadata.nbgrader.get("checksum", None) == utils.compute_checksum(cell) and not utils.is_task(cell):
            comment.auto_comment = "No response."
        else:
            comment.auto_comment = None


class AssignLatePenaltiesOnce(AssignLatePenalties):
    """nbgrader's AssignLatePenalties (same plugin, same checks) in the client's open gradebook, committing once."""

    def preprocess(self, nb, resources):
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.student_id = resources["nbgrader"]["student"]
        self.db_url = resources["nbgrader"]["db_url"]
        self.init_plugin()
        self.gradebook = _state(resources)["gradebook"]
        self.gradebook.db.flush()  # the notebook's score (a SQL expression) must see the grades just set
        submission = self.gradebook.find_submission(self.assignment_id, self.student_id)
        notebook = self.gradebook.find_submission_notebook(self.notebook_id, self.assignment_id, self.student_id)
        notebook.late_submission_penalty = None
        if submission.total_seconds_late > 0:
            penalty = self.plugin_inst.late_submission_penalty(self.student_id, notebook.score,
                                                               submission.total_seconds_late)
            if penalty is not None:
                notebook.late_submission_penalty = self._check_late_penalty(notebook, penalty)
        return nb, resources


_SUBSTITUTES: dict[type, type] = {
    OverwriteKernelspec: SnapshotOverwriteKernelspec, OverwriteCells: SnapshotOverwriteCells,
    DeduplicateIds: CompleteDeduplicateIds, Execute: GuardedExecute,
    SaveAutoGrades: SaveAutoGradesOnce, AssignLatePenalties: AssignLatePenaltiesOnce,
}


def substitute(preprocessors: list) -> list:
    """nbgrader's preprocessor classes, with the ones this module replaces swapped for its versions."""
    return [_SUBSTITUTES.get(p, p) for p in preprocessors]


def preprocessor_lists(config) -> tuple[list, list, list]:
    """nbgrader's sanitize and autograde preprocessor lists (as configured), the autograde one split in two.

    The workers run every autograde preprocessor but the gradebook writers, in order; the client runs the writers.
    (nbgrader's list ends with CheckCellMetadata after the writers; it only reads the notebook, which the writers do
    not change, so it runs on the worker and keeps the single writer's work to the database.)
    """
    from nbgrader.converters import Autograde

    converter = Autograde(coursedir=None, config=config)
    sanitize, autograde = list(converter.sanitize_preprocessors), list(converter.autograde_preprocessors)
    sanitize = substitute(sanitize)
    # The grader metadata is put back as released before nbgrader's own sanitizing reads it (see .metadata).
    first = next((i for i, p in enumerate(sanitize) if issubclass(p, DeduplicateIds)), 0)
    sanitize.insert(first, RestoreGraderMetadata)
    return (sanitize, substitute([p for p in autograde if p.__name__ not in WRITERS]),
            substitute([p for p in autograde if p.__name__ in WRITERS]))
