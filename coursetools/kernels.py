"""Where student code runs: the one place that creates (and kills) the kernels that execute submissions.

Autograde never starts a kernel any other way, so isolating student code (a sandbox such as bubblewrap, resource
limits, no network) means changing :func:`kernel_manager` alone: return a kernel manager whose kernel process is
started inside the sandbox, with ``workdir`` as its only writable folder. Keep :func:`kill` able to stop it.
"""

from __future__ import annotations

from pathlib import Path

from jupyter_client.manager import AsyncKernelManager, KernelManager

#: The kernel that runs submissions: the course's Python, where the helpers are installed.
KERNEL_NAME = "python3"


def kernel_manager(workdir: Path) -> KernelManager:
    """An unstarted manager for the kernel that will execute one submission, in ``workdir``.

    ``workdir`` is a fresh folder holding the submission's files; the caller starts the kernel there
    (``start_kernel(cwd=workdir, ...)``) and deletes the folder afterwards. The manager is asynchronous because
    nbgrader's Execute preprocessor (nbclient) drives it from an event loop.
    """
    from . import sandbox  # bubblewrap: see coursetools/sandbox.py; COURSETOOLS_SANDBOX=off (--no-sandbox) skips it

    return sandbox.kernel_manager(workdir)


def kill(km: KernelManager) -> None:
    """Kill the kernel process of ``km`` at once (the per-notebook time limit); safe to call from any thread.

    nbclient notices the dead kernel within a second and stops executing the notebook.
    """
    provisioner = getattr(km, "provisioner", None)
    process = getattr(provisioner, "process", None)
    if process is not None and process.poll() is None:
        process.kill()
