"""The Dask cluster that grades: a local one (worker processes on this machine) or an existing one (``--scheduler``).

The scheduler and the workers need the course checkout with the helpers installed (``pip install -e .``) and
``coursetools`` importable (start them from the checkout's root, or put it on PYTHONPATH): the scheduler unpickles
the tasks too; submissions and settings travel with the tasks, so
workers need no shared file system and no particular environment.
"""

from __future__ import annotations

import logging
import multiprocessing
import os

from . import worker
from .kernels import discard_spare_kernel

#: What a local cluster's worker processes have imported before they start: they are forked from Python's
#: forkserver, a fresh process that imports these once, instead of each importing them anew (spawn: about 1.9 CPU-s
#: a worker). The forkserver has run nothing but these imports, and each worker is a fresh fork of it.
WORKER_PRELOAD = ["distributed", worker.__name__]


def start(workers: int | None = None, scheduler: str | None = None):
    """``(client, cluster)``: a client of the scheduler at ``scheduler``, or of a new local cluster (then returned)."""
    import dask
    from distributed import Client, LocalCluster
    from distributed.utils import get_mp_context

    if scheduler:
        return Client(scheduler), None
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    # A submission that kills its worker twice is reported, not retried forever. What a waiting cluster does costs
    # the cores that grade: Dask's statistical profiler samples every worker thread 100 times a second; every event
    # loop checks every 20 ms that it is not blocked (1 s still notices: Dask warns after 3 s); memory is polled
    # every 0.1 s, system figures every 0.5 s; nobody is shown the dashboard (the scheduler's HTTP server stays, on
    # a free port). Idle, a 2-worker cluster spent 2.3 CPU-s in 20 s with the defaults, 0.4 with these (2 cores).
    dask.config.set({"distributed.scheduler.allowed-failures": 1, "distributed.worker.daemon": False,
                     "distributed.worker.profile.enabled": False, "distributed.admin.tick.interval": "1s",
                     "distributed.worker.memory.monitor-interval": "1s",
                     "distributed.admin.system-monitor.interval": "2s",
                     "distributed.worker.multiprocessing-method": method})
    if method == "forkserver":
        # Dask chooses its own list the first time it is asked for the context; this list replaces it.
        get_mp_context().set_forkserver_preload(WORKER_PRELOAD)
    logging.getLogger("distributed").setLevel(logging.ERROR)
    cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                           dashboard_address=":0", scheduler_kwargs={"dashboard": False},
                           silence_logs=logging.ERROR)
    return Client(cluster), cluster


def close(client, cluster=None) -> None:
    """Stop the workers' spare kernels (and remove their folders), then close the client and the local cluster.

    The workers of an existing cluster (``--scheduler``) outlive the batch: they are left without idle kernels.
    """
    try:
        client.run(discard_spare_kernel)
    except Exception:  # noqa: BLE001 - workers gone already
        pass
    client.close()
    if cluster is not None:
        cluster.close()
