"""The kernel manager whose kernel runs inside bubblewrap, and the one function that creates submission kernels.

The grader's service for the hidden tests (the attestation server of :mod:`coursetools.integrity`) is not known
here: the grading layer hands :func:`kernel_manager` a factory (``service``) that builds it on the socket this
module prepares inside the sandbox's private folder, so the sandbox stays independent of what is served.
"""

from __future__ import annotations

import functools
import os
import signal
import tempfile
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from jupyter_client.manager import AsyncKernelManager
from traitlets import Type

from ..course.kernel import KERNEL_NAME
from . import processes, warm
from .bubblewrap import (
    INSTALL_HELP,
    KERNEL_BOOT,
    REFERENCE_STUB,
    SandboxSpec,
    SandboxUnavailable,
    _chown_tree,
    _sandbox_uid,
    available,
    bwrap_path,
    kernel_argv,
)
from .bytecode import compile_helpers
from .connection import OutputBudget, SandboxedKernelClient
from .fonts import font_files
from .limits import SandboxSettings


class GraderService(Protocol):
    """What the grader serves a sandboxed kernel over a Unix socket (started with the kernel, stopped after it)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def report(self) -> dict: ...


#: Builds the service on ``socket_path``, owned by ``uid`` (None: the grader's), knowing the running cell's code.
ServiceFactory = Callable[[Path, "int | None", Callable[[], "str | None"]], GraderService]

EXIT_REASONS = {
    128 + signal.SIGXCPU: ("cpu_limit", "stopped by the CPU time limit"),
    128 + signal.SIGKILL: ("killed", "killed inside the sandbox (CPU hard limit, or out of memory)"),
    128 + signal.SIGXFSZ: ("file_limit", "stopped by the file size limit"),
    128 + signal.SIGSEGV: ("crashed", "crashed (segmentation fault)"),
    128 + signal.SIGABRT: ("crashed", "aborted"),
}
#: bubblewrap's own exit when the grader killed it (the toolkit always does, at the end): not an event.
KILLED_BY_GRADER = -signal.SIGKILL


def _cleanup_runtime(path: str) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


class SandboxedKernelManager(AsyncKernelManager):
    """An :class:`~jupyter_client.manager.AsyncKernelManager` whose kernel runs inside bubblewrap.

    Start it like any kernel manager, with ``cwd`` the submission's working copy (``workdir``). The kernel talks
    over Unix sockets in a private folder; interrupts travel as messages (a signal would hit bubblewrap, not the
    kernel); :attr:`output_budget` caps the output kept; :meth:`sandbox_report` says afterwards which limits
    stopped it and what the grader's service found.
    """

    client_class = "coursetools.sandbox.connection.SandboxedKernelClient"  # type: ignore[assignment]
    client_factory = Type(klass="jupyter_client.asynchronous.AsyncKernelClient")  # type: ignore[assignment]

    def __init__(self, workdir: Path | str, settings: SandboxSettings | None = None,
                 service: ServiceFactory | None = None, **kwargs):
        kwargs.setdefault("kernel_name", KERNEL_NAME)
        super().__init__(**kwargs)
        self.client_factory = SandboxedKernelClient
        self.workdir = Path(workdir)
        self.settings = settings or SandboxSettings()
        self.limits = self.settings.limits
        self.bwrap = bwrap_path(self.settings.bwrap) or "bwrap"
        self.output_budget = OutputBudget(self.limits.output_bytes)
        self.transport = "ipc"
        runtime = tempfile.mkdtemp(prefix="cg-", dir="/tmp" if os.path.isdir("/tmp") else None)
        os.chmod(runtime, 0o755)
        self.runtime_dir = Path(runtime)
        self._finalizer = weakref.finalize(self, _cleanup_runtime, runtime)
        (self.runtime_dir / "ipc").mkdir()
        (self.runtime_dir / "reference").mkdir()
        (self.runtime_dir / "reference" / "__init__.py").write_text(REFERENCE_STUB, encoding="utf-8")
        self.connection_file = str(self.runtime_dir / "ipc" / "kernel.json")
        self.ip = str(self.runtime_dir / "ipc" / "k")
        self.sandbox_uid = _sandbox_uid() if os.geteuid() == 0 else None
        self._process = None
        self._service_factory = service
        self.service: GraderService | None = None
        self.current_code: str | None = None
        self._log = None
        self.log_tail = ""
        # A warm kernel (see .warm): the request for the template, then the kernel's process id once forked.
        self._warm_request: dict | None = None
        self.warm_pid: int | None = None

    # -- what the kernel sees -----------------------------------------------------------------------------------
    def spec(self) -> SandboxSpec:
        spec = SandboxSpec(workdir=self.workdir, runtime_dir=self.runtime_dir, limits=self.limits,
                           show=self.settings.show, hide=self.settings.hide, uid=self.sandbox_uid, bwrap=self.bwrap,
                           files=font_files(self.bwrap, self.settings.show, self.settings.hide))
        compile_helpers(spec.helpers, spec.stubbed)  # once per process: kernels cannot write it
        return spec

    @property
    def kernel_spec(self):  # type: ignore[override]
        spec = super().kernel_spec
        if spec is not None:
            spec.interrupt_mode = "message"
        return spec

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        argv = kernel_argv(super().format_kernel_cmd(extra_arguments))
        launch_env = self._launch_args.get("env") if isinstance(self._launch_args, dict) else None
        spec = self.spec()
        env = launch_env if isinstance(launch_env, dict) else None
        # The cold command is built when it is used: a warm kernel needs it only if the template fails.
        self._cold_command = functools.partial(spec.command, argv, env)
        self._warm_request = None
        if self.settings.warm and warm.enabled() and argv[1:4] == ["-I", "-c", KERNEL_BOOT]:
            exit_fifo = self.runtime_dir / "ipc" / "exit"
            if not exit_fifo.exists():
                os.mkfifo(exit_fifo, 0o600)
            self._warm_request = {
                "python": argv[0], "argv": argv[4:], "cwd": str(self.workdir),
                "env": spec.environment(env),
                "rlimits": spec.rlimits(), "uid": self.sandbox_uid, "files": spec.allowed_files(),
                "log": str(self.runtime_dir / "kernel.log"), "exit": str(exit_fifo),
            }
            return spec.placeholder_command([*warm.PLACEHOLDER, str(exit_fifo)])
        return self._cold_command()

    def write_connection_file(self, **kwargs) -> None:
        super().write_connection_file(**kwargs)
        if self.sandbox_uid is not None and os.path.exists(self.connection_file):
            os.chown(self.connection_file, self.sandbox_uid, self.sandbox_uid)

    # -- life cycle -----------------------------------------------------------------------------------------------
    async def _async_pre_start_kernel(self, **kw):  # type: ignore[override]
        kw["cwd"] = str(self.workdir)
        # The kernel's own stdout and stderr (start-up notes, bubblewrap's errors) go to a log outside the sandbox,
        # capped by the file size limit, instead of the grader's terminal.
        self._log = open(self.runtime_dir / "kernel.log", "wb")
        kw["stdout"] = kw["stderr"] = self._log
        kw.pop("stdin", None)
        if self.sandbox_uid is not None:
            _chown_tree(self.workdir, self.sandbox_uid)
            os.chown(self.runtime_dir / "ipc", self.sandbox_uid, self.sandbox_uid)
        os.chmod(self.runtime_dir / "ipc", 0o700)
        if self._service_factory is not None:
            self.service = self._service_factory(self.runtime_dir / "ipc" / "grader.sock", self.sandbox_uid,
                                                 lambda: self.current_code)
            self.service.start()
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:  # type: ignore[override]
        await super()._async_launch_kernel(kernel_cmd, **kw)
        self._process = getattr(self.provisioner, "process", None)
        request, self._warm_request = self._warm_request, None
        if request is None or self._process is None:
            return
        python = request.pop("python")
        try:
            template = warm.template(python, request["env"], request["files"])
            if template is None:
                raise warm.TemplateError("no warm template in this process")
            request["target"] = warm.wait_for_placeholder(self._process.pid)
            self.warm_pid = template.fork(request)
        except warm.TemplateError:
            # Start this kernel cold (and the next ones of this process): a warm start only saves time.
            warm.give_up(python, request["env"], request["files"])
            self._process.kill()
            self._process.wait()
            await super()._async_launch_kernel(self._cold_command(), **kw)
            self._process = getattr(self.provisioner, "process", None)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:  # type: ignore[override]
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            if self.service is not None:
                self.service.stop()
            self.log_tail = self._read_log()
            if self._log is not None:
                self._log.close()
                self._log = None
            self._finalizer()

    def _read_log(self, limit: int = 4000) -> str:
        try:
            with open(self.runtime_dir / "kernel.log", "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - limit))
                return f.read().decode("utf-8", "replace")
        except OSError:
            return getattr(self, "log_tail", "")

    cleanup_resources = _async_cleanup_resources  # type: ignore[assignment]

    # -- afterwards -----------------------------------------------------------------------------------------------
    @property
    def exit_code(self) -> int | None:
        """bubblewrap's exit status: the kernel's, or 128 + the signal that killed it; None while running."""
        return None if self._process is None else self._process.poll()

    def sandbox_report(self) -> dict:
        """What the sandbox saw: how the kernel ended, the limits it hit, and what the grader's service found."""
        code = self.exit_code
        events = []
        if code in EXIT_REASONS:
            events.append(EXIT_REASONS[code][0])
        if self.output_budget.exceeded:
            events.append("output_limit")
        return {
            "sandboxed": True,
            "exit_code": code,
            "exit_reason": (EXIT_REASONS.get(code, (None, None))[1] if code != KILLED_BY_GRADER
                            else "stopped by the grader") if code is not None else None,
            "events": events,
            "output_bytes": self.output_budget.used,
            "output_dropped_messages": self.output_budget.dropped,
            "kernel_log": self._read_log(1500) if code not in (0, None, KILLED_BY_GRADER) else "",
            "limits": self.limits.as_dict(),
            "attestation": self.service.report() if self.service is not None else None,
            "warm": self.warm_pid is not None,
        }


def kernel_manager(workdir: Path, settings: SandboxSettings, service: ServiceFactory | None = None
                   ) -> AsyncKernelManager:
    """An unstarted kernel manager for one submission in ``workdir``, isolated as ``settings`` say.

    Raises :class:`SandboxUnavailable` when the sandbox is wanted but cannot work here: never falls back silently.
    Without the sandbox (the instructor's ``--no-sandbox``) it is a plain kernel manager and ``service`` is unused:
    the hidden tests then use the reference solutions in the kernel itself.
    """
    if not settings.enabled:
        return AsyncKernelManager(kernel_name=KERNEL_NAME)
    ok, reason = available(settings.bwrap)
    if not ok:
        raise SandboxUnavailable(f"Cannot isolate student code: {reason} {INSTALL_HELP}")
    return SandboxedKernelManager(workdir, settings, service=service)


def report(km) -> dict:
    """:meth:`SandboxedKernelManager.sandbox_report` for any kernel manager (``{"sandboxed": False}`` otherwise)."""
    if isinstance(km, SandboxedKernelManager):
        return km.sandbox_report()
    return {"sandboxed": False, "events": [], "attestation": None}


def cpu_seconds(km) -> dict[str, float] | None:
    """CPU-seconds spent so far by the kernel's processes: ``{"kernel": ..., "bwrap": ...}`` (None: no process).

    Read from the live process tree (bubblewrap, the kernel and whatever it started), so that it can be taken just
    before the kernel is killed: a killed sandbox is never reaped by its parent's ``wait``, so its CPU time would
    reach no ``RUSAGE_CHILDREN``. Children that already ended count through their parents' ``children_*`` times.
    """
    import psutil

    process = getattr(getattr(km, "provisioner", None), "process", None)
    if process is None or processes.name(process.pid) is None:
        return None
    totals = {"kernel": 0.0, "bwrap": 0.0}
    tree = [process.pid, *processes.descendants(process.pid)]
    warm_pid = getattr(km, "warm_pid", None)
    if warm_pid is not None and processes.name(warm_pid) is not None:
        tree += [warm_pid, *processes.descendants(warm_pid)]  # a warm kernel is the template's child, not bubblewrap's
    for pid in tree:
        try:
            member = psutil.Process(pid)
            own = "bwrap" if member.name() == "bwrap" else "kernel"
            reaped = member.cpu_times()
            spent = processes.cpu_seconds(pid)
        except psutil.Error:
            continue  # ended meanwhile: counted by its parent's children_* times
        if spent is None:
            continue
        totals[own] += spent
        # What a process already reaped (a finished subprocess of student code) ran inside the sandbox: the kernel's.
        totals["kernel"] += reaped.children_user + reaped.children_system
    return totals


def kill(km) -> None:
    """Kill the kernel process of ``km`` at once (a time limit); safe to call from any thread.

    nbclient notices the dead kernel within a second and stops executing the notebook.
    """
    provisioner = getattr(km, "provisioner", None)
    process = getattr(provisioner, "process", None)
    if process is not None and process.poll() is None:
        process.kill()
