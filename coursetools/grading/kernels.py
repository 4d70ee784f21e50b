"""Kernels for submissions: started (sandboxed as the job says), handed to one notebook, then killed.

Every kernel that executes a submission comes from :func:`start_kernel`, which asks :func:`coursetools.sandbox.
kernel_manager` for it with the job's sandbox settings and the grader's service for the hidden tests (an
:class:`~coursetools.integrity.AttestationServer`, bound to the assignment when a job takes the kernel).

To take the kernel start-up (about a second) off each submission, a worker keeps one spare: when it starts a
submission it starts the kernel of its next one, in a fresh folder (:class:`Spare`). A spare has run no code of
anyone's and is never reused after a notebook; it is discarded when the settings change or it grows old.
"""

from __future__ import annotations

import atexit
import contextvars
import functools
import multiprocessing.util
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from queue import Empty
from typing import TypeVar

from jupyter_core.utils import run_sync

from .. import sandbox
from ..course.kernel import GRADED_KERNEL, GRADING_ENVIRONMENT, QUIET_KERNEL
from ..integrity import AttestationServer
from ..sandbox import SandboxSettings
from . import messages

#: A spare older than this is replaced (the course code may have changed meanwhile).
SPARE_MAX_AGE = 600.0

T = TypeVar("T")
_thread = threading.local()


def in_worker_context(task: Callable[..., T]) -> Callable[..., T]:
    """``task`` run in a ``contextvars`` context of the worker thread's own, the same for all its tasks.

    jupyter_core's ``run_sync`` (kernel managers, nbclient) keeps the event loop it runs coroutines on in a context
    variable. Dask runs a task in a copy of the context of whoever submitted it: in a local cluster, the grading
    process's main thread, whose loop that would then be, shared by every worker thread at once ("This event loop
    is already running"). In a context of its own, each worker thread makes one loop and keeps it for its tasks.
    """

    @functools.wraps(task)
    def run(*args, **kwargs):
        context = getattr(_thread, "context", None)
        if context is None:
            context = _thread.context = contextvars.Context()
        return context.run(task, *args, **kwargs)

    return run


def kernel_environment() -> dict[str, str]:
    """The environment a kernel is started with (the sandbox keeps only an allow list of it): the grading
    environment's one BLAS thread applies to unsandboxed kernels too (two workers' kernels already fill two cores)."""
    env = dict(os.environ)
    env.update(GRADING_ENVIRONMENT)
    return env


def kernel_arguments(config) -> list[str]:
    """The arguments a submission's kernel is started with under the nbgrader ``config``: those nbclient would
    pass (see NotebookClient.async_start_new_kernel), and the course's for a graded kernel
    (:data:`coursetools.course.kernel.GRADED_KERNEL`)."""
    from nbgrader.preprocessors import Execute

    execute = Execute(config=config)
    arguments = list(execute.extra_arguments)
    if execute.ipython_hist_file and not any(a.startswith("--HistoryManager.hist_file") for a in arguments):
        arguments.append(f"--HistoryManager.hist_file={execute.ipython_hist_file}")
    return arguments + [a for a in GRADED_KERNEL if a not in arguments]


def _attestation(socket_path: Path, uid: int | None, current_code) -> AttestationServer:
    return AttestationServer(None, socket_path, uid=uid, current_code=current_code)


def start_kernel(workdir: Path, arguments: list[str], settings: SandboxSettings):
    """Start a kernel for a submission in ``workdir``, isolated as ``settings`` say; returns its started manager.

    An unsandboxed kernel writes to the worker's terminal: it gets ipykernel's quiet log level, else every kernel
    prints its notice about unencrypted local TCP through the instructor's progress display. (A sandboxed kernel's
    own output goes to its log, which the sandbox's report quotes when the kernel crashed.)
    """
    if not settings.enabled:
        arguments = [*arguments, *(a for a in QUIET_KERNEL if a not in arguments)]
    _discard_at_exit()
    km = sandbox.kernel_manager(workdir, settings, service=_attestation)
    km.session.unpacker = messages.UNPACKER  # the headers' dates read fast (see .messages)
    run_sync(km.start_kernel)(cwd=str(workdir), env=kernel_environment(), extra_arguments=arguments)
    return km


def bind(km, record) -> None:
    """Let the kernel's grader service answer for ``record``'s assignment (nothing to do without a sandbox).

    The last step before the notebook's first cell: the kernel's CPU time so far (its start-up) is noted here.
    """
    km.__dict__["coursetools_cpu_at_start"] = sandbox.cpu_seconds(km)
    service = getattr(km, "service", None)
    if service is not None:
        service.bind(record)


def kernel_cpu(km) -> dict[str, float]:
    """CPU-seconds of a shut-down kernel: ``{"kernel.startup", "kernel.cells", "sandbox.bwrap", "worker.service"}``
    (those measured).

    Start-up is what the kernel spent before its first cell (imports, ipykernel), cells what it spent after; the
    service is the grader's thread that answered the kernel's hidden tests (sandboxed kernels only).
    """
    start, end = km.__dict__.get("coursetools_cpu_at_start"), km.__dict__.get("coursetools_cpu_at_end")
    service = getattr(getattr(km, "service", None), "cpu_seconds", None)
    served = {"worker.service": service} if service is not None else {}
    if not end:
        return served
    if not start:
        return {"kernel.startup": end["kernel"], "sandbox.bwrap": end["bwrap"], **served}
    return {"kernel.startup": start["kernel"], "kernel.cells": max(0.0, end["kernel"] - start["kernel"]),
            "sandbox.bwrap": end["bwrap"], **served}


_idle_lock = threading.Lock()
_idle_cpu = 0.0  # CPU-seconds of kernels that graded nothing, since the last take_idle_cpu


def count_as_idle(km) -> None:
    """Count a shut-down kernel that graded no submission (the probe's, a discarded spare) in :func:`take_idle_cpu`."""
    global _idle_cpu
    spent = sum(v for k, v in kernel_cpu(km).items() if k != "worker.service")
    with _idle_lock:
        _idle_cpu += spent


def take_idle_cpu() -> dict[str, float]:
    """What this process spent outside any submission since the last call, for a batch's profile:
    ``{"kernel.idle": kernels that graded nothing, "sandbox.template": the warm templates closed}``."""
    global _idle_cpu
    with _idle_lock:
        idle, _idle_cpu = _idle_cpu, 0.0
    return {"kernel.idle": idle, "sandbox.template": sandbox.take_template_cpu()}


def is_alive(km) -> bool:
    return bool(run_sync(km.is_alive)())


def shutdown(km) -> None:
    """Kill the kernel at once and release everything it held (its client, its folder of sockets); idempotent."""
    if km.__dict__.get("coursetools_shut_down"):
        return
    km.coursetools_shut_down = True
    try:
        km.__dict__["coursetools_cpu_at_end"] = sandbox.cpu_seconds(km)
    except Exception:  # noqa: BLE001 - a measurement only
        pass
    kc = km.__dict__.pop("prepared_client", None)
    if kc is not None:
        try:
            kc.stop_channels()
        except Exception:  # noqa: BLE001
            pass
    try:
        sandbox.kill(km)
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


@dataclass
class _Kernel:
    km: object
    workdir: Path
    signature: tuple
    started: float


class Spare:
    """The kernel started ahead for the next submission of each worker: at most one per thread that runs tasks (a
    local cluster's workers are threads of one process, see :mod:`.cluster`)."""

    _lock = threading.Lock()
    _kernels: dict[int, _Kernel] = {}  # by the thread that started it, the only one that takes it

    @classmethod
    def prestart(cls, arguments: list[str], settings: SandboxSettings) -> None:
        """Start the next submission's kernel now, in a fresh folder, with a client already connected."""
        workdir = Path(tempfile.mkdtemp(prefix="autograde-"))
        try:
            km = start_kernel(workdir, arguments, settings)
            # Connect a client now, without waiting: its sockets are subscribed by the time the kernel is up, so
            # the next submission finds it ready at once (a fresh client loses ~0.2 s to ZeroMQ's late subscription).
            connect(km)
        except Exception:  # noqa: BLE001 - no spare then; the next submission starts its own kernel
            shutil.rmtree(workdir, ignore_errors=True)
            return
        cls.keep(km, workdir, arguments, settings)

    @classmethod
    def keep(cls, km, workdir: Path, arguments: list[str], settings: SandboxSettings) -> None:
        """Keep ``km`` (started with ``arguments`` and ``settings`` in the fresh folder ``workdir``, connected by
        :func:`connect`, and run no code) as this thread's spare, in place of the one it had."""
        with cls._lock:
            old = cls._kernels.get(threading.get_ident())
            cls._kernels[threading.get_ident()] = _Kernel(km, workdir, _signature(arguments, settings),
                                                          time.monotonic())
        if old is not None:
            discard_unused(old.km, old.workdir)

    @classmethod
    def take(cls, arguments: list[str], settings: SandboxSettings):
        """This thread's spare kernel and its folder if it fits (same arguments and settings, young), else None."""
        with cls._lock:
            spare = cls._kernels.pop(threading.get_ident(), None)
        if spare is None:
            return None
        if not _fits(spare, arguments, settings):
            discard_unused(spare.km, spare.workdir)
            return None
        return spare.km, spare.workdir

    @classmethod
    def fits(cls, arguments: list[str], settings: SandboxSettings) -> bool:
        """Whether this thread has a spare kernel that :meth:`take` would hand over for ``arguments`` and
        ``settings`` now; it stays this thread's spare."""
        with cls._lock:
            spare = cls._kernels.get(threading.get_ident())
        return spare is not None and _fits(spare, arguments, settings)

    @classmethod
    def discard(cls) -> bool:
        """Stop this process's spare kernels (end of a batch); True if there was one."""
        with cls._lock:
            spares = list(cls._kernels.values())
            cls._kernels.clear()
        for spare in spares:
            discard_unused(spare.km, spare.workdir)
        return bool(spares)


def connect(km):
    """A client of ``km``, its channels started, kept as the client the notebook will use (``prepared_client``).

    No heartbeat channel (a thread and a socket per kernel): a client of its kernel manager asks the manager
    whether the kernel is alive, never the heartbeat.
    """
    kc = km.client()
    kc.start_channels(hb=False)
    km.prepared_client = kc
    return kc


def _signature(arguments: list[str], settings: SandboxSettings) -> tuple:
    return tuple(arguments), settings


def _fits(spare: _Kernel, arguments: list[str], settings: SandboxSettings) -> bool:
    """A spare started with these arguments and settings, not too old, and alive."""
    if spare.signature != _signature(arguments, settings) or time.monotonic() - spare.started >= SPARE_MAX_AGE:
        return False
    try:
        return is_alive(spare.km)
    except Exception:  # noqa: BLE001 - a kernel that cannot say is not handed over
        return False


def discard_unused(km, workdir: Path) -> None:
    """Stop a kernel that graded no submission (a spare, the probe's), count its CPU as idle, remove its folder."""
    shutdown(km)
    count_as_idle(km)
    shutil.rmtree(workdir, ignore_errors=True)


def discard_spare_kernel() -> bool:
    """Stop this process's spare kernels and warm templates; what the client runs on every worker at the end of a
    batch. True if there was a spare kernel."""
    discarded = Spare.discard()
    sandbox.close_templates()
    return discarded


_discard_registered_in: int | None = None


def _discard_at_exit() -> None:
    """Have this process discard its spare kernel and warm template when it ends, however it was started.

    A main program runs ``atexit``; a process started by multiprocessing (a worker process of a Dask cluster) ends
    with ``os._exit`` after multiprocessing's own finalizers, which it clears when it starts: so both are
    registered, in the process that starts kernels (discarding twice does nothing the second time).
    """
    global _discard_registered_in
    if _discard_registered_in != os.getpid():
        _discard_registered_in = os.getpid()
        atexit.register(discard_spare_kernel)
        multiprocessing.util.Finalize(None, discard_spare_kernel, exitpriority=0)


async def wait_for_ready(kc, timeout: float) -> None:
    """jupyter_client's KernelClient.wait_for_ready, without its final 0.2 s wait for IOPub to fall silent.

    As there: the kernel has answered kernel_info on the shell channel and an IOPub message has arrived (so IOPub
    is subscribed and no output of the first cell can be lost). Messages still in flight are ignored by nbclient,
    which only takes the replies to its own requests.
    """
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
