"""The local cluster: its workers are threads of the grading process, each with its own spare kernel."""

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from jupyter_core.utils import run_sync

from coursetools.grading import kernels


def _thread() -> tuple[int, int]:
    return os.getpid(), threading.get_ident()


def test_local_workers_are_threads_of_the_grading_process(dask_client):
    workers = list(dask_client.nthreads())
    assert len(workers) == 2
    answers = [dask_client.submit(_thread, workers=[w], allow_other_workers=False, pure=False).result()
               for w in workers]
    assert {pid for pid, _ in answers} == {os.getpid()}
    assert len({thread for _, thread in answers}) == 2, "each worker runs its tasks on a thread of its own"


async def _nap() -> int:
    await asyncio.sleep(0.3)
    return threading.get_ident()


@kernels.in_worker_context
def _two_naps() -> tuple[int, int]:
    """What a kernel manager does on a worker: coroutines run to completion with jupyter_core's run_sync."""
    return run_sync(_nap)(), id(asyncio.get_event_loop())


def test_worker_threads_run_coroutines_on_event_loops_of_their_own(dask_client):
    """The main thread has an event loop of jupyter_core's (it ran a coroutine first); the tasks it submits carry
    its context to the worker threads, which must not share that loop (two at once: "already running")."""
    assert run_sync(_nap)() == threading.get_ident()
    rounds = []
    for _ in range(2):
        futures = [dask_client.submit(_two_naps, workers=[w], allow_other_workers=False, pure=False)
                   for w in dask_client.nthreads()]
        rounds.append(sorted(f.result() for f in futures))
    assert len({thread for thread, _ in rounds[0]}) == 2 and len({loop for _, loop in rounds[0]}) == 2
    assert rounds[1] == rounds[0], "each worker thread keeps its loop from one task to the next"


class _Client:
    def __init__(self):
        self.heartbeat = None

    def start_channels(self, hb=True):
        self.heartbeat = hb

    def stop_channels(self):
        pass


class _Kernel:
    """What Spare needs of a started kernel manager."""

    def __init__(self, name):
        self.name, self.stopped = name, False
        self.kc = _Client()

    def client(self):
        return self.kc


def test_each_worker_thread_takes_only_the_spare_kernel_it_started(monkeypatch, tmp_path):
    started = []

    def start_kernel(workdir, arguments, settings):
        started.append(_Kernel(threading.current_thread().name))
        return started[-1]

    def stop(km):
        km.stopped = True

    monkeypatch.setattr(kernels, "start_kernel", start_kernel)
    monkeypatch.setattr(kernels, "shutdown", stop)
    monkeypatch.setattr(kernels, "is_alive", lambda km: not km.stopped)
    monkeypatch.setattr(kernels.Spare, "_kernels", {})
    settings = object()

    def prestart_then_take(name):
        threading.current_thread().name = name
        kernels.Spare.prestart(["-f"], settings)
        barrier.wait()  # both spares exist before either is taken
        taken = kernels.Spare.take(["-f"], settings)
        return taken[0].name if taken else None

    barrier = threading.Barrier(2)
    with ThreadPoolExecutor(2) as pool:
        names = list(pool.map(prestart_then_take, ["worker-a", "worker-b"]))
    assert names == ["worker-a", "worker-b"], "a worker thread took another one's spare kernel"
    assert all(km.kc.heartbeat is False for km in started), "a spare's client needs no heartbeat thread"

    def prestart(name):
        kernels.Spare.prestart(["-f"], settings)

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(prestart, "ab"))
    assert kernels.Spare.take(["-f"], settings) is None, "the main thread started no spare"
    assert kernels.Spare.discard() is True
    assert all(km.stopped for km in started[2:]), "the end of a batch stops every thread's spare"
    assert kernels.Spare.discard() is False


def test_a_spare_fits_only_the_arguments_and_settings_it_was_started_with_while_alive(monkeypatch):
    """``Spare.fits`` answers what ``take`` would hand over, and leaves the spare where it is."""
    monkeypatch.setattr(kernels, "start_kernel", lambda workdir, arguments, settings: _Kernel("spare"))
    monkeypatch.setattr(kernels, "shutdown", lambda km: setattr(km, "stopped", True))
    monkeypatch.setattr(kernels, "is_alive", lambda km: not km.stopped)
    monkeypatch.setattr(kernels.Spare, "_kernels", {})
    settings, other = object(), object()

    def on_one_thread():
        kernels.Spare.prestart(["-f"], settings)
        seen = [kernels.Spare.fits(["-f"], settings), kernels.Spare.fits(["-g"], settings),
                kernels.Spare.fits(["-f"], other)]
        taken = kernels.Spare.take(["-f"], settings)
        seen.append(taken is not None and taken[0].stopped is False)
        kernels.Spare.prestart(["-f"], settings)
        kernels.Spare._kernels[threading.get_ident()].km.stopped = True  # the kernel died
        seen.append(kernels.Spare.fits(["-f"], settings))
        return seen

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(on_one_thread).result() == [True, False, False, True, False]
    assert not kernels.Spare.fits(["-f"], settings), "another thread's spare fits nobody here"
    kernels.Spare.discard()


def test_the_probes_kernel_is_the_worker_threads_first_spare(monkeypatch):
    """The kernel that proves a worker can isolate submissions has run no code: with ``keep`` it becomes that worker
    thread's spare, so its first submission does not wait for a kernel of its own. Without, nothing is left."""
    import shutil

    from coursetools import sandbox
    from coursetools.grading import probe

    monkeypatch.setattr(probe, "_proved", {})
    monkeypatch.setattr(kernels.Spare, "_kernels", {})
    settings, arguments = sandbox.SandboxSettings(), ["--HistoryManager.hist_file=:memory:"]

    def probe_then_take():
        # On one thread, as a worker's tasks run: bubblewrap's --die-with-parent ends the sandbox with the thread
        # that started it.
        ok, why = probe.kernel_starts(settings, arguments, keep=True)
        assert ok, why
        taken = kernels.Spare.take(arguments, settings)
        assert taken is not None, "the probe's kernel was not kept"
        km, workdir = taken
        try:
            return kernels.is_alive(km), workdir.is_dir(), km.__dict__.get("prepared_client") is not None
        finally:
            kernels.shutdown(km)
            shutil.rmtree(workdir, ignore_errors=True)

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(probe_then_take).result() == (True, True, True)

    monkeypatch.setattr(probe, "_proved", {})
    assert probe.kernel_starts(settings, arguments)[0]
    assert kernels.Spare.take(arguments, settings) is None


def _echo_size(payload: bytes) -> int:
    return len(payload)


def _payloads_held(marker: bytes) -> int:
    """How many distinct byte strings holding ``marker`` (a payload, or a pickle of one) the process still keeps."""
    import gc

    gc.collect()
    held = set()
    for container in gc.get_objects():
        if type(container) in (list, tuple, dict):
            for item in (container.values() if type(container) is dict else container):
                if type(item) is bytes and len(item) >= 32_768 and marker in item:
                    held.add(id(item))
    return len(held)


def test_the_local_cluster_forgets_the_jobs_it_ran(dask_client):
    """Dask's developer logs kept each task's submitted message, job included: the grader's memory grew with the
    class. They keep LOW_LEVEL_LOG_LENGTH entries now, so a batch of any size holds at most that many jobs."""
    from coursetools.grading import cluster

    marker = os.urandom(16)
    tasks = 3 * cluster.LOW_LEVEL_LOG_LENGTH
    for i in range(tasks):
        future = dask_client.submit(_echo_size, marker + i.to_bytes(4, "big") + bytes(40_000), pure=False)
        assert future.result() == 40_020
        future.release()
    held = _payloads_held(marker)
    assert held <= 2 * cluster.LOW_LEVEL_LOG_LENGTH, f"{held} of {tasks} jobs still held"
