"""Before a batch: proof, on every worker, that a sandboxed kernel starts there, or the reason it does not.

``bwrap`` working is not enough: the kernel must also find its interpreter and environment inside the sandbox
(with ``.venv`` a link to an environment elsewhere it did not, and every submission then "died" at start), import
the course's helpers, and answer. So the proof is the real thing: a kernel started exactly as a submission's would
be (:func:`.kernels.start_kernel`, the batch's sandbox settings and kernel arguments), which must reply to
``kernel_info``. A worker that cannot is named with what the kernel said, and the batch is refused: the grader's
own environment is never graded as a student's "kernel died".
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import threading
import time
from pathlib import Path

from .. import sandbox
from ..sandbox import SandboxSettings

#: A worker that proved it can start kernels with given settings is not asked again for this long (the demo starts
#: several batches at once on one cluster).
PROOF_AGE = 120.0
STARTUP_TIMEOUT = 90.0
ENVIRONMENT_HELP = ("The sandbox works, but the kernel inside it does not start: see the kernel's last words above. "
                    "Usually the course environment (its interpreter, its packages or the repository's helpers/) "
                    "is not where the kernel looks for it, or it is broken; `./run python -c 'import helpers.checks'` "
                    "should succeed, and a moved or linked .venv should be recreated with `./run`.")

_proved: dict[tuple, float] = {}
_lock = threading.Lock()


def kernel_starts(settings: SandboxSettings, arguments: list[str], keep: bool = False) -> tuple[bool, str]:
    """On this machine: (True, which bubblewrap) if a sandboxed kernel starts and answers, else (False, why).

    ``keep``: the kernel that answered, which has run no code, becomes this thread's spare (:class:`.kernels.Spare`):
    the first submission this worker grades runs in it instead of waiting for one of its own.
    """
    ok, why = sandbox.available(settings.bwrap)
    if not ok:
        return False, why
    key = (settings, tuple(arguments))
    with _lock:
        if time.monotonic() - _proved.get(key, float("-inf")) < PROOF_AGE:
            return True, why
    ok, reason = _kernel_answers(settings, arguments, keep)
    if not ok and settings.warm and sandbox.warm_kernels_start():
        # A warm kernel that dies at its start (here, say, it could not drop a privilege) must not stop the batch:
        # if a cold one answers, this process starts its kernels cold from now on.
        ok, _ = _kernel_answers(dataclasses.replace(settings, warm=False), arguments, keep=False)
        if ok:
            sandbox.stop_warm_kernels()
    if not ok:
        return False, reason
    with _lock:
        _proved[key] = time.monotonic()
    return True, why


def _kernel_answers(settings: SandboxSettings, arguments: list[str], keep: bool) -> tuple[bool, str]:
    from jupyter_core.utils import run_sync

    from .kernels import Spare, connect, discard_unused, start_kernel, wait_for_ready

    workdir = Path(tempfile.mkdtemp(prefix="autograde-"))
    km = None
    try:
        km = start_kernel(workdir, arguments, settings)
        kc = connect(km)
        run_sync(wait_for_ready)(kc, STARTUP_TIMEOUT)
    except Exception as error:  # noqa: BLE001 - whatever it is, it is the reason
        reason = f"a sandboxed kernel does not start: {_last_words(km, error)}"
        if km is not None:
            discard_unused(km, workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        return False, reason
    if keep:
        Spare.keep(km, workdir, arguments, settings)
    else:
        discard_unused(km, workdir)
    return True, ""


def _last_words(km, error: Exception) -> str:
    """The kernel's own last line (bubblewrap's or Python's error), or the exception."""
    log = ""
    if km is not None:
        try:
            log = km._read_log(2000) if hasattr(km, "_read_log") else ""
        except Exception:  # noqa: BLE001
            log = ""
        log = log or getattr(km, "log_tail", "")
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    detail = f"{type(error).__name__}: {error}"
    return f"{lines[-1][:300]} ({detail})" if lines else detail


def on_every_worker(client, function, *args, timeout: float = 300.0) -> dict[str, tuple[bool, str]]:
    """``function(*args)`` run as a task on each worker of ``client`` (a task, not ``client.run``: it starts
    processes and waits, which must not block a worker's event loop); worker address -> its answer."""
    from distributed import wait

    workers = sorted(client.scheduler_info()["workers"])
    futures = {worker: client.submit(function, *args, workers=[worker], allow_other_workers=False, pure=False,
                                     key=f"probe-{time.time_ns()}-{i}")
               for i, worker in enumerate(workers)}
    try:
        wait(list(futures.values()), timeout=timeout)
    except TimeoutError:
        pass  # the late ones are named below
    answers: dict[str, tuple[bool, str]] = {}
    for worker, future in futures.items():
        try:
            if future.status == "finished":
                answers[worker] = future.result()
            else:
                answers[worker] = (False, f"the probe did not finish in {timeout:g} s ({future.status})")
        except Exception as error:  # noqa: BLE001 - a worker that fails the probe is named with its error
            answers[worker] = (False, f"{type(error).__name__}: {error}")
        finally:
            future.release()
    return answers
