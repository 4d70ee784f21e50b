"""Warm kernels: each sandboxed kernel forked from a template that has already imported numpy and ipykernel.

A kernel started cold spends about 0.4 CPU-s importing its libraries before it runs a cell; a grading process
starts hundreds of them. Instead, each grading process keeps one *template* (:mod:`._template`, a Python that has
imported those libraries and nothing of anyone's) and each kernel is a fork of it, moved into its own sandbox.

The sandbox itself is unchanged: bubblewrap builds it for every kernel exactly as for a cold one (fresh namespaces,
the allow-listed file system, a private ``/tmp``, no network) around a placeholder that waits for the kernel's exit
code; the template's child joins that sandbox's namespaces and forks the kernel inside, which applies the limits and
drops its privileges before it imports the course's helpers (see :mod:`._template`). When the kernel ends, the
placeholder exits with its code, so bubblewrap ends as it would with the kernel inside; killing bubblewrap kills
the kernel with its sandbox.

Anything that goes wrong on the way (no template, a template that cannot join a sandbox here) makes the kernel
start cold instead, and this process stops trying: warm kernels only save time.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from . import processes

TEMPLATE = Path(__file__).with_name("_template.py")
#: The template imports numpy and ipykernel: a slow machine under load takes a few seconds.
READY_TIMEOUT = 60.0
FORK_TIMEOUT = 30.0
#: The placeholder bubblewrap runs in the sandbox: it waits for the kernel's exit code and exits with it.
PLACEHOLDER = ["/bin/sh", "-c", 'read code < "$0"; exit "$code"']
#: Environment variables that differ from kernel to kernel: set in each kernel, not in the template.
PER_KERNEL = ("COURSE_GRADER_SOCKET",)
#: The matplotlib backend ipykernel sets when none is asked for.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def _is_font_list(path: str) -> bool:
    """Whether ``path`` is matplotlib's font list (``fontlist-v<version>.json``, see :mod:`.fonts`)."""
    return os.path.basename(path).startswith("fontlist-")


class TemplateError(RuntimeError):
    """The template could not fork a kernel into a sandbox (the kernel then starts cold)."""


class Template:
    """One template process: started with the sandbox's environment, asked to fork kernels into sandboxes.

    With matplotlib's font list (``files``, see :mod:`.fonts`) it also imports pyplot, with matplotlib's folder
    ``MPLCONFIGDIR`` a fresh private folder under ``/tmp`` holding that list: matplotlib remembers the folder, so
    every kernel recreates it, with the same list, in its own private ``/tmp`` (:attr:`kernel_files`,
    :attr:`kernel_env`). Without a list it does not import matplotlib (the font list it would build outside the
    sandbox could name fonts the sandbox does not show).
    """

    def __init__(self, python: str, env: dict[str, str], files: dict[str, str] | None = None):
        fontlists = {os.path.basename(p): t for p, t in (files or {}).items() if _is_font_list(p)}
        self.mplconfigdir: str | None = None
        self.kernel_files: dict[str, str] = {}
        self.kernel_env: dict[str, str] = {}
        argv = [python, "-I", str(TEMPLATE)]
        if fontlists:
            self.mplconfigdir = tempfile.mkdtemp(prefix="cg-mpl-", dir="/tmp")
            for name, text in fontlists.items():
                Path(self.mplconfigdir, name).write_text(text, encoding="utf-8")
                self.kernel_files[f"{self.mplconfigdir}/{name}"] = text
            # The backend ipykernel would choose; matplotlib reads it when it is imported.
            self.kernel_env = {"MPLCONFIGDIR": self.mplconfigdir,
                               "MPLBACKEND": env.get("MPLBACKEND") or INLINE_BACKEND}
            argv.append("--matplotlib")
        self.env = {**env, **self.kernel_env}
        self._lock = threading.Lock()
        try:
            self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.DEVNULL, env=self.env, cwd="/", close_fds=True)
        except OSError:
            self._remove_folder()
            raise
        if self._line(READY_TIMEOUT) != "ready":
            self.close()
            raise TemplateError("the warm template did not start")

    def _remove_folder(self) -> None:
        if self.mplconfigdir:
            shutil.rmtree(self.mplconfigdir, ignore_errors=True)

    def _line(self, timeout: float) -> str:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        data = b""
        fd = self.process.stdout.fileno()
        while not data.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TemplateError("the warm template did not answer in time")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise TemplateError("the warm template ended")
            data += chunk
        return data.decode().strip()

    def alive(self) -> bool:
        return self.process.poll() is None

    def fork(self, request: dict) -> int:
        """Fork a kernel into the sandbox of ``request["target"]``; returns the kernel's process id."""
        request = {**request, "env": {**request["env"], **self.kernel_env}}
        if self.kernel_files:  # the font list goes where this template's matplotlib looks for it
            files = {p: t for p, t in request["files"].items() if not _is_font_list(p)}
            request["files"] = {**files, **self.kernel_files}
        with self._lock:
            assert self.process.stdin is not None
            try:
                self.process.stdin.write((json.dumps(request) + "\n").encode())
                self.process.stdin.flush()
                reply = json.loads(self._line(FORK_TIMEOUT))
            except (OSError, ValueError) as error:
                self.close()
                raise TemplateError(f"the warm template failed: {error}") from None
        if not isinstance(reply, dict) or not isinstance(reply.get("pid"), int):
            raise TemplateError(str(reply.get("error") if isinstance(reply, dict) else reply))
        return reply["pid"]

    def cpu_seconds(self) -> float:
        """The template's own CPU-seconds so far (its imports, its forks; not its kernels'), 0 once it has ended."""
        return processes.cpu_seconds(self.process.pid) or 0.0

    def close(self) -> None:
        global _closed_cpu
        if self.process.poll() is None:
            spent = self.cpu_seconds()
            with _cpu_lock:
                _closed_cpu += spent
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        self._remove_folder()


_lock = threading.Lock()
_templates: dict[tuple, Template] = {}
_broken: set[tuple] = set()
_stopped = False
_closed_cpu = 0.0  # CPU-seconds of the templates closed so far (see take_closed_cpu)
_cpu_lock = threading.Lock()  # not _lock: a template may be closed while _lock is held


def stop() -> None:
    """No more warm kernels in this process (a warm kernel did not answer where a cold one may)."""
    global _stopped
    _stopped = True
    close_all()


def enabled() -> bool:
    """Whether this process still starts kernels warm when their settings ask for it."""
    return not _stopped


def template_environment(kernel_env: dict[str, str]) -> dict[str, str]:
    """The template's environment: the sandboxed kernel's, without what differs from one kernel to the next."""
    return {k: v for k, v in kernel_env.items() if k not in PER_KERNEL}


def _key(python: str, kernel_env: dict[str, str], files: dict[str, str]) -> tuple:
    return python, tuple(sorted(template_environment(kernel_env).items())), tuple(sorted(files.items()))


def template(python: str, kernel_env: dict[str, str], files: dict[str, str]) -> Template | None:
    """This process's template for kernels of ``python`` with this environment and these files in their ``/tmp``
    (started on first use), or None."""
    key = _key(python, kernel_env, files)
    with _lock:
        if _stopped or key in _broken:
            return None
        current = _templates.get(key)
        if current is not None and current.alive():
            return current
        if current is not None:
            current.close()
        try:
            current = _templates[key] = Template(python, template_environment(kernel_env), files)
        except (OSError, TemplateError):
            _templates.pop(key, None)
            _broken.add(key)
            return None
        return current


def give_up(python: str, kernel_env: dict[str, str], files: dict[str, str]) -> None:
    """Kernels like this one start cold from now on in this process (the template could not fork one)."""
    key = _key(python, kernel_env, files)
    with _lock:
        _broken.add(key)
        old = _templates.pop(key, None)
    if old is not None:
        old.close()


def close_all() -> None:
    """Stop this process's templates (the end of a batch)."""
    with _lock:
        old = list(_templates.values())
        _templates.clear()
    for t in old:
        t.close()


def take_closed_cpu() -> float:
    """The CPU-seconds the templates closed since the last call spent (a batch's profile), and start again at 0."""
    global _closed_cpu
    with _cpu_lock:
        spent, _closed_cpu = _closed_cpu, 0.0
    return spent


def wait_for_placeholder(bwrap_pid: int, timeout: float = 10.0) -> int:
    """The placeholder's process id, once bubblewrap has built the sandbox and started it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in processes.descendants(bwrap_pid):
            if processes.name(pid) == "sh":
                return pid
        if processes.name(bwrap_pid) is None:
            raise TemplateError("bubblewrap ended before the sandbox was ready")
        time.sleep(0.002)
    raise TemplateError("the sandbox was not ready in time")
