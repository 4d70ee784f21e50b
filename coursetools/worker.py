"""The part of autograde that runs on a Dask worker: sanitize and execute one submission, touching no database.

For each notebook of a submission, :func:`grade` runs nbgrader's own preprocessors in nbgrader's order, with
nbgrader's configuration, exactly as ``nbgrader autograde`` does:

1. sanitize: ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells (with ``add_missing_cells``: deleted
   test cells come back, hidden tests included), CheckCellMetadata;
2. execute: Execute (with ``NBGRADER_EXECUTION=autograde``), IgnorePattern, ClearMetadataPreprocessor,
   LimitOutput.

It returns the executed notebooks; the client process then runs the preprocessors that write the gradebook
(SaveAutoGrades, AssignLatePenalties) itself, so only one process ever writes the gradebook.

Two preprocessors read the gradebook (the source cells of OverwriteCells, the kernelspec of OverwriteKernelspec).
Here they read a snapshot of those rows taken by the client instead (:class:`SnapshotGradebook`): nbgrader's code
runs unchanged on the same data, and workers need no database access.

Execution adds what nbgrader lacks, in :class:`GuardedExecute`: a per-notebook wall-clock limit (the kernel is
killed), and a dead kernel that no longer fails the whole submission: cells that ran keep their scores, the rest
score 0, and the status says why. Kernels come from :func:`coursetools.kernels.kernel_manager` only. To take the
kernel start-up (about a second) off each submission, a worker starts the kernel of its next submission in a fresh
folder when it starts a submission (one spare kernel per worker, never reused).
"""

from __future__ import annotations

import atexit
import datetime
import hashlib
import json
import os
import shutil
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import nbformat
from traitlets.config import Config

from . import kernels, sandbox
from .results import ERROR, GRADED, INVALID, KERNEL_DIED, MISSING, TIMED_OUT, worst

#: The ename nbgrader's Execute gives a cell that exceeded the per-cell limit (``Execute.error_on_timeout``).
CELL_TIMEOUT_ENAME = "CellTimeoutError"
NOT_RUN_ENAME = "NotRun"


# --- the job and its result: plain data, pickled between the client and the workers ---------------------------
@dataclass
class Job:
    student: str
    assignment: str
    notebooks: dict[str, bytes | None]   # notebook name -> submitted file (None: not submitted)
    files: dict[str, bytes]              # other files of the submission, then the source folder's, by relative path
    snapshot: dict[str, dict]            # notebook name -> gradebook rows the sanitizing preprocessors read
    config: Config                       # the course's nbgrader configuration
    sanitize: list                       # preprocessor classes, in order (nbgrader's, with the snapshot readers)
    execute: list
    notebook_timeout: float | None = None  # seconds per notebook, wall clock
    db_url: str = ""                     # for the resources nbgrader's preprocessors expect; never opened here
    prewarm: bool = True                 # start the kernel of the next submission when done


@dataclass
class NotebookOutcome:
    name: str
    status: str
    reason: str = ""
    executed: str | None = None          # the executed notebook (JSON text), to be saved by the client
    cell_seconds: float = 0.0
    sandbox: dict | None = None          # coursetools.sandbox.report of its kernel, taken after the kernel stopped


@dataclass
class JobResult:
    student: str
    assignment: str
    notebooks: list[NotebookOutcome] = field(default_factory=list)
    seconds: float = 0.0
    worker: str = ""

    @property
    def status(self) -> str:
        return worst(n.status for n in self.notebooks)

    @property
    def reason(self) -> str:
        bad = [n for n in self.notebooks if n.status == self.status and n.reason]
        if len(self.notebooks) == 1 or not bad:
            return bad[0].reason if bad else ""
        return "; ".join(f"{n.name}.ipynb: {n.reason}" for n in bad)


# --- the gradebook snapshot ------------------------------------------------------------------------------------
def snapshot_notebook(notebook) -> dict:
    """The rows of ``notebook`` (an nbgrader.api.Notebook) that sanitizing reads, as plain data, in ORM order."""
    return {
        "name": notebook.name,
        "kernelspec": notebook.kernelspec,
        "source_cells": [{"name": c.name, "cell_type": c.cell_type, "locked": bool(c.locked), "checksum": c.checksum,
                          "source": c.source} for c in notebook.source_cells],
        "grade_cells": [{"name": c.name, "max_score": c.max_score, "cell_type": c.cell_type}
                        for c in notebook.grade_cells],
        "solution_cells": [{"name": c.name} for c in notebook.solution_cells],
        "task_cells": [{"name": c.name, "max_score": c.max_score} for c in notebook.task_cells],
    }


def snapshot_hash(snapshot: dict[str, dict]) -> str:
    return hashlib.sha256(json.dumps(snapshot, sort_keys=True).encode()).hexdigest()


class SnapshotGradebook:
    """Answers the few gradebook queries of OverwriteCells and OverwriteKernelspec from a snapshot."""

    def __init__(self, snapshot: dict[str, dict]):
        self._notebooks = {}
        for name, data in snapshot.items():
            ns = lambda rows: [SimpleNamespace(**r) for r in rows]  # noqa: E731
            self._notebooks[name] = SimpleNamespace(
                name=name, kernelspec=data["kernelspec"], source_cells=ns(data["source_cells"]),
                grade_cells=ns(data["grade_cells"]), solution_cells=ns(data["solution_cells"]),
                task_cells=ns(data["task_cells"]))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def close(self):
        return None

    def find_notebook(self, notebook: str, assignment: str):
        from nbgrader.api import MissingEntry

        try:
            return self._notebooks[notebook]
        except KeyError:
            raise MissingEntry() from None

    def find_source_cell(self, name: str, notebook: str, assignment: str):
        from nbgrader.api import MissingEntry

        for cell in self.find_notebook(notebook, assignment).source_cells:
            if cell.name == name:
                return cell
        raise MissingEntry()

    def find_graded_cell(self, name: str, notebook: str, assignment: str):
        from nbgrader.api import MissingEntry

        nb = self.find_notebook(notebook, assignment)
        for cell in nb.grade_cells + nb.task_cells:
            if cell.name == name:
                return cell
        raise MissingEntry()


def _snapshot_of(resources) -> SnapshotGradebook:
    return resources["coursetools"]["gradebook"]


def _overwrite_kernelspec_cls():
    from nbgrader.preprocessors import OverwriteKernelspec

    class SnapshotOverwriteKernelspec(OverwriteKernelspec):
        """nbgrader's OverwriteKernelspec, reading the source kernelspec from the snapshot."""

        def preprocess(self, nb, resources):
            kernelspec = _snapshot_of(resources).find_notebook(
                resources["nbgrader"]["notebook"], resources["nbgrader"]["assignment"]).kernelspec
            if kernelspec is not None:
                kernelspec = json.loads(kernelspec)
            if kernelspec:
                nb.metadata["kernelspec"] = kernelspec
            return nb, resources

    return SnapshotOverwriteKernelspec


def _overwrite_cells_cls():
    from nbgrader.preprocessors import OverwriteCells
    from nbgrader.preprocessors.base import NbGraderPreprocessor

    class SnapshotOverwriteCells(OverwriteCells):
        """nbgrader's OverwriteCells (same checks, same restored cells), reading the snapshot."""

        def preprocess(self, nb, resources):
            self.notebook_id = resources["nbgrader"]["notebook"]
            self.assignment_id = resources["nbgrader"]["assignment"]
            self.db_url = resources["nbgrader"]["db_url"]
            self.gradebook = _snapshot_of(resources)
            with self.gradebook:
                nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
                if self.add_missing_cells:
                    nb, resources = self.add_missing_grade_cells(nb, resources)
                    nb, resources = self.add_missing_task_cells(nb, resources)
            return nb, resources

    return SnapshotOverwriteCells


# --- kernels: one spare per worker process ---------------------------------------------------------------------
class _Spare:
    """The kernel started ahead for the next submission of this worker process."""

    lock = threading.Lock()
    kernel: tuple | None = None  # (km, workdir, signature, thread id, started at)


SPARE_MAX_AGE = 600.0  # seconds: an older spare is replaced (the course code may have changed meanwhile)


def _kernel_env() -> dict:
    env = dict(os.environ)
    env["NBGRADER_EXECUTION"] = "autograde"
    return env


def _kernel_arguments(execute) -> list[str]:
    """The kernel command-line arguments nbclient would pass (see NotebookClient.async_start_new_kernel)."""
    arguments = list(execute.extra_arguments)
    if execute.ipython_hist_file and not any(a.startswith("--HistoryManager.hist_file") for a in arguments):
        arguments.append(f"--HistoryManager.hist_file={execute.ipython_hist_file}")
    return arguments


def start_kernel(workdir: Path, arguments: list[str]):
    """Start a kernel from :func:`kernels.kernel_manager` in ``workdir``; returns the started manager."""
    from jupyter_core.utils import run_sync

    km = kernels.kernel_manager(workdir)
    run_sync(km.start_kernel)(cwd=str(workdir), env=_kernel_env(), extra_arguments=arguments)
    return km


def _shutdown(km) -> None:
    from jupyter_core.utils import run_sync

    kc = km.__dict__.pop("prepared_client", None)
    if kc is not None:
        try:
            kc.stop_channels()
        except Exception:  # noqa: BLE001
            pass
    try:
        kernels.kill(km)
        # Reap the killed process here: jupyter_client would poll for its end at 0.1 s intervals.
        process = getattr(getattr(km, "provisioner", None), "process", None)
        if process is not None:
            process.wait(timeout=5)
    except Exception:  # noqa: BLE001 - shutdown_kernel below tries again
        pass
    try:
        run_sync(km.shutdown_kernel)(now=True)
    except Exception:  # noqa: BLE001 - the kernel is gone either way
        pass
    try:
        run_sync(km.cleanup_resources)()
    except Exception:  # noqa: BLE001
        pass


def _prestart(arguments: list[str]) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="autograde-"))
    try:
        km = start_kernel(workdir, arguments)
        # Connect a client now, without waiting: its sockets are subscribed by the time the kernel is up, so the
        # next submission finds it ready at once (a fresh client loses ~0.2 s to ZeroMQ's late subscription).
        kc = km.client()
        kc.start_channels()
        km.prepared_client = kc
    except Exception:  # noqa: BLE001 - no spare then; the next submission starts its own kernel
        shutil.rmtree(workdir, ignore_errors=True)
        return
    with _Spare.lock:
        _Spare.kernel = (km, workdir, tuple(arguments), threading.get_ident(), time.monotonic())


def _take_spare(arguments: list[str]):
    """The spare kernel and its folder if it fits (same arguments, same thread, not too old), else None."""
    with _Spare.lock:
        spare, _Spare.kernel = _Spare.kernel, None
    if spare is None:
        return None
    km, workdir, signature, thread, started = spare
    usable = (signature == tuple(arguments) and thread == threading.get_ident()
              and time.monotonic() - started < SPARE_MAX_AGE)
    try:
        usable = usable and run_sync_is_alive(km)
    except Exception:  # noqa: BLE001
        usable = False
    if not usable:
        _shutdown(km)
        shutil.rmtree(workdir, ignore_errors=True)
        return None
    return km, workdir


def run_sync_is_alive(km) -> bool:
    from jupyter_core.utils import run_sync

    return bool(run_sync(km.is_alive)())


def discard_spare_kernel() -> bool:
    """Stop this process's spare kernel (end of a batch); True if there was one."""
    with _Spare.lock:
        spare, _Spare.kernel = _Spare.kernel, None
    if spare is None:
        return False
    _shutdown(spare[0])
    shutil.rmtree(spare[1], ignore_errors=True)
    return True


atexit.register(discard_spare_kernel)


# --- execution -------------------------------------------------------------------------------------------------
async def _wait_for_ready(kc, timeout: float) -> None:
    """jupyter_client's KernelClient.wait_for_ready, without its final 0.2 s wait for IOPub to fall silent.

    As there: the kernel has answered kernel_info on the shell channel and an IOPub message has arrived (so IOPub
    is subscribed and no output of the first cell can be lost). Messages still in flight are ignored by nbclient,
    which only takes the replies to its own requests.
    """
    from queue import Empty

    deadline = time.monotonic() + (timeout or 60)
    while True:
        kc.kernel_info()
        try:
            reply = await kc.shell_channel.get_msg(timeout=1)
        except Empty:
            reply = None
        if reply is not None and reply["msg_type"] == "kernel_info_reply":
            try:
                await kc.iopub_channel.get_msg(timeout=0.2)
            except Empty:
                pass
            else:
                kc._handle_kernel_info_reply(reply)
                return
        if not await kc._async_is_alive():
            raise RuntimeError("Kernel died before replying to kernel_info")
        if time.monotonic() > deadline:
            raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")


def _guarded_execute_cls():
    from jupyter_core.utils import run_sync
    from nbclient.exceptions import DeadKernelError
    from nbclient.util import run_hook
    from nbgrader.preprocessors import Execute

    class GuardedExecute(Execute):
        """nbgrader's Execute with a per-notebook wall-clock limit and a recorded, survivable kernel death.

        Takes the kernel handed over by the worker (already started in the submission's folder) or starts one with
        :func:`start_kernel`; the notebook's clock starts with its first cell. On a dead kernel, the cell that was running gets the error and every later code
        cell a "not run" error, so their test cells score 0 and earlier ones keep their scores.
        """

        def preprocess(self, nb, resources=None, km=None):
            state = resources["coursetools"]
            workdir = Path(resources["metadata"]["path"])
            km = _handoff.__dict__.pop("km", None) or start_kernel(workdir, _kernel_arguments(self))
            self._current = -1
            self._cell_seconds = 0.0
            expired = threading.Event()
            limit = state.get("notebook_timeout")
            timer = None
            if limit:
                def expire():
                    expired.set()
                    kernels.kill(km)
                # Started by the first cell (see preprocess_cell): waiting for the kernel is not the notebook's time.
                timer = self._timer = threading.Timer(limit, expire)
                timer.daemon = True
            else:
                self._timer = None
            try:
                nb, resources = super().preprocess(nb, resources, km=km)
            except Exception as error:  # noqa: BLE001 - recorded in the notebook and the status
                nb = self.nb
                where = self._where(nb)
                if expired.is_set():
                    status = TIMED_OUT
                    reason = f"the notebook ran longer than the {limit:g} s limit for a notebook and was stopped{where}"
                    ename = "NotebookTimeoutError"
                elif isinstance(error, DeadKernelError) or not run_sync_is_alive(km):
                    status = KERNEL_DIED
                    reason = f"the kernel died{where} (the Python process crashed, exited or ran out of memory)"
                    ename = "DeadKernelError"
                else:
                    raise
                self._mark_unfinished(nb, ename, reason)
                state["status"], state["reason"] = status, reason
            finally:
                if timer is not None:
                    timer.cancel()
                if getattr(self, "kc", None) is not None:
                    try:
                        self.kc.stop_channels()
                    except Exception:  # noqa: BLE001
                        pass
                    self.kc = None
                _shutdown(km)
                state["sandbox"] = sandbox.report(km)
            state["cell_seconds"] = self._cell_seconds
            return nb, resources

        async def async_start_new_kernel_client(self):
            """nbclient's, but with the client the spare kernel was started with, when there is one."""
            kc = self.km.__dict__.pop("prepared_client", None) if self.km is not None else None
            if kc is None:
                return await super().async_start_new_kernel_client()
            self.kc = kc
            try:
                await _wait_for_ready(kc, self.startup_timeout)
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
            finally:
                self._cell_seconds += time.perf_counter() - start

        def _where(self, nb) -> str:
            if not 0 <= self._current < len(nb.cells):
                return " before running any cell"
            cell = nb.cells[self._current]
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            return f" in {grade_id}" if grade_id else f" in cell {self._current + 1}"

        def _mark_unfinished(self, nb, ename, reason):
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code" or index < self._current:
                    continue
                if index == self._current:
                    cell.outputs.append(nbformat.v4.new_output("error", ename=ename, evalue=reason,
                                                               traceback=[f"{ename}: {reason}"]))
                elif index > self._current:
                    cell.outputs = [nbformat.v4.new_output(
                        "error", ename=NOT_RUN_ENAME, evalue="not run: the notebook stopped at an earlier cell",
                        traceback=[f"{NOT_RUN_ENAME}: not run: the notebook stopped at an earlier cell"])]

    return GuardedExecute


def _deduplicate_ids_cls():
    from nbgrader.preprocessors import DeduplicateIds

    class CompleteDeduplicateIds(DeduplicateIds):
        """nbgrader's DeduplicateIds, finishing its job: a duplicated test cell becomes an ordinary cell.

        nbgrader keeps the last cell of each grade_id and empties the others' nbgrader metadata to ``{}``, which
        its OverwriteCells then reads as a graded cell without a grade_id (KeyError: the whole submission fails to
        grade). A student who copies a test cell (an easy slip in Jupyter) is graded like anyone else instead.
        """

        def preprocess(self, nb, resources):
            nb, resources = super().preprocess(nb, resources)
            for cell in nb.cells:
                if cell.metadata.get("nbgrader") == {}:
                    del cell.metadata["nbgrader"]
            return nb, resources

    return CompleteDeduplicateIds


_CLASSES: dict[str, type] = {}
#: The started kernel handed to GuardedExecute (resources are deep-copied by nbconvert: no kernel manager there).
_handoff = threading.local()


class _SchemaCheckedOnce:
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
        error = self._module.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error


def _check_schemas_once() -> None:
    from nbgrader.nbgraderformat import common

    if not isinstance(common.jsonschema, _SchemaCheckedOnce):
        common.jsonschema = _SchemaCheckedOnce(common.jsonschema)


def substitute(preprocessors: list) -> list:
    """nbgrader's preprocessor classes, with the gradebook readers and Execute replaced by the versions here."""
    from nbgrader.preprocessors import DeduplicateIds, Execute, OverwriteCells, OverwriteKernelspec

    _check_schemas_once()
    if not _CLASSES:
        _CLASSES.update(OverwriteKernelspec=_overwrite_kernelspec_cls(), OverwriteCells=_overwrite_cells_cls(),
                        Execute=_guarded_execute_cls(), DeduplicateIds=_deduplicate_ids_cls())
    table = {OverwriteKernelspec: _CLASSES["OverwriteKernelspec"], OverwriteCells: _CLASSES["OverwriteCells"],
             Execute: _CLASSES["Execute"], DeduplicateIds: _CLASSES["DeduplicateIds"]}
    return [table.get(p, p) for p in preprocessors]


def _exporter(config: Config, preprocessors: list):
    from nbconvert.exporters import NotebookExporter

    exporter = NotebookExporter(config=config)
    exporter.optimistic_validation = True  # validate the result once, not after every preprocessor
    exporter._preprocessors = []
    for pp in substitute(preprocessors):
        exporter.register_preprocessor(pp)
    return exporter


def _resources(job: Job, notebook: str, workdir: Path, state: dict) -> dict:
    """What nbgrader's converter and nbconvert's from_filename give the preprocessors."""
    return {
        "unique_key": notebook,
        "output_files_dir": f"{notebook}_files",
        "nbgrader": {"student": job.student, "assignment": job.assignment, "notebook": notebook,
                     "db_url": job.db_url},
        "metadata": {"name": notebook, "path": str(workdir),
                     "modified_date": datetime.datetime.now(datetime.timezone.utc).strftime("%B %-d, %Y")},
        "coursetools": state,
    }


def _read(data: bytes) -> nbformat.NotebookNode:
    """The submitted notebook, as nbgrader reads it; raises ValueError with a reason for a student's file."""
    from nbformat.reader import NotJSONError

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"not a notebook: the file is not UTF-8 text ({error.reason} at byte {error.start})")
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


def _grade_notebook(job: Job, name: str, workdir: Path, km) -> NotebookOutcome:
    from nbgrader.nbgraderformat import SchemaTooNewError, SchemaTooOldError

    data = job.notebooks.get(name)
    if data is None:
        if km is not None:
            _shutdown(km)
        return NotebookOutcome(name, MISSING, f"no {name}.ipynb in the submission")
    state: dict = {"gradebook": SnapshotGradebook(job.snapshot), "notebook_timeout": job.notebook_timeout}
    _handoff.__dict__.pop("km", None)
    try:
        try:
            notebook = _read(data)
            sanitized, _ = _exporter(job.config, job.sanitize).from_notebook_node(
                notebook, _resources(job, name, workdir, state))
            notebook = nbformat.reads(sanitized, as_version=4)
        except ValueError as error:
            return NotebookOutcome(name, INVALID, str(error))
        except (SchemaTooOldError, SchemaTooNewError, nbformat.ValidationError) as error:
            return NotebookOutcome(name, INVALID, f"not a valid notebook: {type(error).__name__}: {error}")
        if km is not None:
            _handoff.km, km = km, None
        executed, resources = _exporter(job.config, job.execute).from_notebook_node(
            notebook, _resources(job, name, workdir, state))
        state = resources["coursetools"]
    except Exception as error:  # noqa: BLE001 - the batch goes on; the status says what happened
        return NotebookOutcome(name, ERROR, f"{type(error).__name__}: {error}"[:2000])
    finally:
        if km is not None:
            _shutdown(km)
        leftover = _handoff.__dict__.pop("km", None)
        if leftover is not None:
            _shutdown(leftover)
    status, reason = state.get("status", GRADED), state.get("reason", "")
    if status == GRADED:
        timed_out = [c.metadata.get("nbgrader", {}).get("grade_id") or f"cell {i + 1}"
                     for i, c in enumerate(nbformat.reads(executed, as_version=4).cells)
                     if c.cell_type == "code" and any(o.get("ename") == CELL_TIMEOUT_ENAME for o in c.outputs)]
        if timed_out:
            limit = job.config.Execute.get("timeout", 30)
            status = TIMED_OUT
            reason = f"{', '.join(timed_out)} ran longer than the {limit} s limit for a cell, and was interrupted"
    return NotebookOutcome(name, status, reason, executed=executed, cell_seconds=state.get("cell_seconds", 0.0),
                           sandbox=state.get("sandbox"))


def _write_files(workdir: Path, files: dict[str, bytes]) -> None:
    for relative, data in files.items():
        target = (workdir / relative).resolve()
        if workdir.resolve() not in target.parents:
            continue  # a path escaping the folder is never written
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def grade(job: Job) -> JobResult:
    """Sanitize and execute every notebook of one submission; the Dask task of autograde."""
    import warnings

    from nbformat.warnings import MissingIDFieldWarning

    # nbgrader puts deleted test cells back without a cell id; nbformat warns about it, harmlessly.
    warnings.filterwarnings("ignore", category=MissingIDFieldWarning)
    start = time.perf_counter()
    result = JobResult(job.student, job.assignment, worker=f"{socket.gethostname()}:{os.getpid()}")
    from nbgrader.preprocessors import Execute

    arguments = _kernel_arguments(Execute(config=job.config))
    spare = _take_spare(arguments)
    km, workdir = spare if spare else (None, Path(tempfile.mkdtemp(prefix="autograde-")))
    if job.prewarm:
        # The next submission's kernel boots while this one runs (half of a boot is waiting, not computing).
        _prestart(arguments)
    try:
        _write_files(workdir, job.files)
        for name in sorted(job.notebooks):
            result.notebooks.append(_grade_notebook(job, name, workdir, km))
            km = None
    except Exception as error:  # noqa: BLE001
        result.notebooks.append(NotebookOutcome("?", ERROR, f"{type(error).__name__}: {error}"))
    finally:
        if km is not None:
            _shutdown(km)
        shutil.rmtree(workdir, ignore_errors=True)
    result.seconds = time.perf_counter() - start
    return result
