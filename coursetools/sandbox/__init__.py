"""Run a submission's kernel inside a bubblewrap sandbox.

Student code runs on the instructor's machine, in the kernel that also runs the tests. Every kernel that executes a
submission is started by :func:`kernel_manager`, inside `bubblewrap <https://github.com/containers/bubblewrap>`_
(Debian/Ubuntu package ``bubblewrap``, the sandbox Flatpak uses), with:

* **its own writable folder**: the submission's working copy; ``/tmp`` and ``/dev/shm`` are small private tmpfs;
* **nothing else but what it needs, read-only**, from an allow list (:mod:`.bubblewrap`): the system folders, Python
  and its environment, the repository's ``helpers/`` (with ``helpers/reference`` swapped for a stub that knows no
  solution) and ``img/``; a clean environment (no tokens or passwords inherited);
* **no network**: a network namespace of its own with only a loopback device; kernel and grader talk over Unix
  sockets (ZeroMQ ``ipc`` transport) in a private folder bound into the sandbox;
* **its own process tree**: ``--unshare-pid`` and ``--die-with-parent``;
* **a warm start** (:mod:`.warm`): the kernel is forked from a template that has imported numpy and ipykernel and
  run nothing of anyone's, then joins its own sandbox (built by bubblewrap as for a cold kernel) and drops its
  privileges before the course's helpers are imported;
* **resource limits** (:class:`Limits`, ``setrlimit`` applied by a launcher inside the sandbox) and a cap on the output
  the grader keeps (:mod:`.connection`), enforced on the grader's side of the connection;
* when the grader runs as root, the kernel runs as a fresh unprivileged user id.

How isolation is set up is data (:class:`SandboxSettings`), decided by the instructor's command and carried to the
workers with each job. Grading without a sandbox happens only when the instructor asks for it
(``SandboxSettings(enabled=False)``, the toolkit's ``--no-sandbox``), and is announced loudly.
"""

from __future__ import annotations

from .bubblewrap import INSTALL_HELP, SandboxSpec, SandboxUnavailable, available
from .kernel import (
    EXIT_REASONS,
    GraderService,
    SandboxedKernelManager,
    ServiceFactory,
    cpu_seconds,
    kernel_manager,
    kill,
    report,
)
from .limits import GiB, Limits, MiB, SandboxSettings
from .warm import close_all as close_templates
from .warm import enabled as warm_kernels_start
from .warm import stop as stop_warm_kernels
from .warm import take_closed_cpu as take_template_cpu

__all__ = [
    "EXIT_REASONS", "GiB", "GraderService", "INSTALL_HELP", "Limits", "MiB", "SandboxSettings", "SandboxSpec",
    "SandboxUnavailable", "SandboxedKernelManager", "ServiceFactory", "available", "close_templates", "cpu_seconds",
    "kernel_manager", "kill", "notice", "report", "require", "stop_warm_kernels", "take_template_cpu",
    "warm_kernels_start",
]

UNSANDBOXED_WARNING = ("WARNING: grading WITHOUT a sandbox (--no-sandbox): student code runs with your rights, can "
                       "read the hidden tests and reference solutions, change any of your files and use the network.")


def require(settings: SandboxSettings) -> str:
    """Check on this machine that submissions can be isolated as ``settings`` say; returns the line to show.

    Raises :class:`SandboxUnavailable` (with what to install) when the sandbox is wanted and cannot work here.
    """
    if not settings.enabled:
        return UNSANDBOXED_WARNING
    ok, reason = available(settings.bwrap)
    if not ok:
        raise SandboxUnavailable(f"Cannot isolate student code: {reason} {INSTALL_HELP}")
    return notice(settings, reason)


def notice(settings: SandboxSettings, where: str) -> str:
    """The line that says how student code is isolated (``where``: which bubblewrap, on which workers)."""
    if not settings.enabled:
        return UNSANDBOXED_WARNING
    return f"Sandbox: {where}; no network, read-only files, limits: {settings.limits.describe()}."
