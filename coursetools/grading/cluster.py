"""The Dask cluster that grades: a local one (worker threads in this process) or an existing one (``--scheduler``).

A local cluster's workers are threads of the grading process, one task each at a time. A worker runs no student
code: it drives a kernel, which is a process of its own (sandboxed, see :mod:`coursetools.sandbox`), and spends
most of its time waiting on that kernel's sockets. In threads, the grading modules are imported once, the warm
template (:mod:`coursetools.sandbox.warm`) is shared, and jobs and results are handed over without being pickled
(what that saves against worker processes: docs/performance.md). The workers share the process
with the gradebook's writer, so a task must not change process-wide state (the current folder, the environment,
``sys.stdout``): see :func:`.kernels.in_worker_context` and the service's ``_quiet_thread``.

An existing cluster's workers are processes started by the instructor (``dask worker``). The scheduler and those
workers need the course checkout with the helpers installed (``pip install -e .``) and ``coursetools`` importable
(start them from the checkout's root, or put it on PYTHONPATH): the scheduler unpickles the tasks too; submissions
and settings travel with the tasks, so workers need no shared file system and no particular environment.
"""

from __future__ import annotations

import logging
import os

from .kernels import discard_spare_kernel

#: How many entries Dask's developer logs keep in the grading process (Dask's default: 1000).
LOW_LEVEL_LOG_LENGTH = 100


def start(workers: int | None = None, scheduler: str | None = None):
    """``(client, cluster)``: a client of the scheduler at ``scheduler``, or of a new local cluster (then returned)."""
    import dask
    from distributed import Client, LocalCluster

    # Dask's developer logs (``low-level-log-length`` entries each) keep the messages that submitted each task, job
    # and all: the grader's memory grew by about 140 KB a submission, for up to a thousand of them. A hundred is
    # plenty to debug a batch by.
    dask.config.set({"distributed.admin.low-level-log-length": LOW_LEVEL_LOG_LENGTH})
    if scheduler:
        return Client(scheduler), None
    # A submission that kills its worker twice is reported, not retried forever. What a waiting cluster does costs
    # the cores that grade: Dask's statistical profiler samples every worker thread 100 times a second; every event
    # loop checks every 20 ms that it is not blocked (1 s still notices: Dask warns after 3 s); memory is polled
    # every 0.1 s, system figures every 0.5 s; nobody is shown the dashboard (the scheduler's HTTP server stays, on
    # a free port). Idle, a 2-worker cluster spent 2.3 CPU-s in 20 s with the defaults, 0.4 with these (2 cores).
    dask.config.set({"distributed.scheduler.allowed-failures": 1,
                     "distributed.worker.profile.enabled": False, "distributed.admin.tick.interval": "1s",
                     "distributed.worker.memory.monitor-interval": "1s",
                     "distributed.admin.system-monitor.interval": "2s"})
    logging.getLogger("distributed").setLevel(logging.ERROR)
    cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=False,
                           dashboard_address=":0", scheduler_kwargs={"dashboard": False},
                           silence_logs=logging.ERROR)
    return Client(cluster), cluster


def close(client, cluster=None) -> None:
    """Stop the workers' spare kernels and warm templates (and remove their folders), then close the client and the
    local cluster.

    The workers of an existing cluster (``--scheduler``) outlive the batch: they are left without idle kernels.
    """
    try:
        client.run(discard_spare_kernel)
    except Exception:  # noqa: BLE001 - workers gone already
        pass
    client.close()
    if cluster is not None:
        cluster.close()
