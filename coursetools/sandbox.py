"""Run a submission's kernel inside a bubblewrap sandbox.

Student code runs on the instructor's machine, in the kernel that also runs the tests. Every kernel that executes a
submission is started here, inside `bubblewrap <https://github.com/containers/bubblewrap>`_ (Debian/Ubuntu package
``bubblewrap``, the sandbox Flatpak uses), with:

* **its own writable folder**: the submission's working copy, bound read-write at its own path; ``/tmp`` and
  ``/dev/shm`` are small private tmpfs;
* **nothing else but what it needs, read-only**: the sandbox's file system is built from an allow list, not by
  hiding things: the system folders, Python and its environment, the repository's ``helpers/`` (with
  ``helpers/reference`` swapped for a stub that knows no solution) and ``img/``. The repository's ``source/``,
  ``.git``, ``tests/`` and gradebook, every course folder (``submitted/``, ``autograded/``: other students),
  home folders, ``/run``, ``/var`` and the grader's caches do not exist in there; the kernel gets a clean
  environment (no tokens or passwords inherited);
* **no network**: a network namespace of its own (``--unshare-net``) with only a loopback device. The kernel and the
  grader talk over Unix sockets (ZeroMQ ``ipc`` transport) in a private folder bound into the sandbox;
* **its own process tree**: ``--unshare-pid`` and ``--die-with-parent``: when the kernel ends, or the grader dies,
  every process the submission started dies with it;
* **resource limits** (``setrlimit``, applied by a small launcher inside the sandbox before the kernel starts): CPU
  seconds, address space, processes, file size, open files, no core dumps; and a cap on the output the grader keeps
  (:class:`OutputBudget`), enforced on the grader's side of the connection;
* when the grader runs as root, the kernel runs as a fresh unprivileged user id, so that it has no capability, cannot
  read root-only files, and the process limit counts its processes alone.

Use :func:`kernel_manager` (what :mod:`coursetools.kernels` returns) and :func:`available`. When bubblewrap is
missing or cannot create namespaces, :func:`kernel_manager` raises :class:`SandboxUnavailable` with the fix; grading
without a sandbox happens only when the instructor asks for it explicitly (``COURSETOOLS_SANDBOX=off``, which the
toolkit's ``--no-sandbox`` flag sets), and is announced loudly.

Hidden tests still need the reference solutions: inside the sandbox they are served by the grader, outside it,
through :mod:`coursetools.integrity` (see ``docs/threat_model.md``).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import weakref
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.manager import AsyncKernelManager
from traitlets import Type

from . import settings

log = logging.getLogger("coursetools.sandbox")

#: ``required`` (the default: no sandbox, no grading) or ``off`` (the instructor's explicit ``--no-sandbox``).
ENV_MODE = "COURSETOOLS_SANDBOX"
#: Where the kernel finds the grader's socket for the hidden checks (set inside the sandbox only).
ENV_GRADER_SOCKET = "COURSE_GRADER_SOCKET"
#: The bubblewrap binary to use, when not ``bwrap`` on PATH.
ENV_BWRAP = "COURSETOOLS_BWRAP"

KERNEL_NAME = "python3"
MiB = 1 << 20
GiB = 1 << 30

INSTALL_HELP = (
    "Install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; Fedora: `sudo dnf install bubblewrap`). "
    "It needs user namespaces when not run as root: if it is installed but fails, check "
    "`sysctl kernel.unprivileged_userns_clone` (Debian) or Ubuntu's AppArmor restriction "
    "(`sysctl kernel.apparmor_restrict_unprivileged_userns`). To grade WITHOUT isolation anyway (student code then "
    "runs with your rights, can read the hidden tests and solutions, and can reach the network), pass --no-sandbox "
    f"(or set {ENV_MODE}=off)."
)


class SandboxUnavailable(RuntimeError):
    """Submissions cannot be isolated on this machine; the message says why and what to do."""


# --------------------------------------------------------------------------------------------------------------------
# Limits
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """What one submission's kernel may use. Each can be set with ``COURSETOOLS_LIMIT_<FIELD>`` (e.g.
    ``COURSETOOLS_LIMIT_CPU_SECONDS=60``), which the toolkit's Dask workers inherit."""

    cpu_seconds: int = 600            # CPU time of the kernel process (SIGXCPU, then SIGKILL 5 s later)
    memory_bytes: int = 4 * GiB       # address space of each process: a larger allocation raises MemoryError
    processes: int = 128              # processes and threads of the sandbox's user: a fork bomb gets EAGAIN
    file_bytes: int = 256 * MiB       # largest file it may write (EFBIG beyond)
    open_files: int = 1024
    output_bytes: int = 8 * MiB       # output the grader keeps from the whole notebook; the rest is discarded
    tmp_bytes: int = 256 * MiB        # size of the private /tmp

    @classmethod
    def from_env(cls, environ: dict | None = None, **overrides) -> "Limits":
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = environ.get(f"COURSETOOLS_LIMIT_{f.name.upper()}")
            if raw:
                values[f.name] = int(float(raw))
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def to_env(self) -> dict[str, str]:
        """The environment variables that reproduce these limits (for worker processes)."""
        return {f"COURSETOOLS_LIMIT_{k.upper()}": str(v) for k, v in asdict(self).items()}

    def describe(self) -> str:
        return (f"CPU {self.cpu_seconds} s, memory {self.memory_bytes / GiB:.3g} GiB, {self.processes} processes, "
                f"files {self.file_bytes / MiB:.0f} MiB, output {self.output_bytes / MiB:.3g} MiB")


# --------------------------------------------------------------------------------------------------------------------
# Is bubblewrap usable here?
# --------------------------------------------------------------------------------------------------------------------


def bwrap_path() -> str | None:
    return os.environ.get(ENV_BWRAP) or shutil.which("bwrap")


@functools.lru_cache(maxsize=None)
def _probe(bwrap: str | None) -> tuple[bool, str]:
    if not bwrap:
        return False, "bubblewrap (bwrap) is not installed."
    command = [bwrap, "--die-with-parent", "--unshare-pid", "--unshare-net", "--ro-bind", "/", "/", "--dev", "/dev",
               "--proc", "/proc", "--tmpfs", "/tmp", "--", "/bin/sh", "-c", "exit 0"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, f"bubblewrap at {bwrap} could not be run: {error}"
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        return False, (f"bubblewrap at {bwrap} cannot create a sandbox on this machine "
                       f"({detail[-1] if detail else 'exit code %d' % result.returncode}).")
    try:
        version = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        version = "bubblewrap"
    return True, f"{version or 'bubblewrap'} ({bwrap})"


def available() -> tuple[bool, str]:
    """Whether submissions can be sandboxed here, and why (or why not): ``(True, "bubblewrap 0.8.0 (/usr/bin/bwrap)")``."""
    return _probe(bwrap_path())


def enabled(environ: dict | None = None) -> bool:
    """False only when the instructor explicitly turned the sandbox off (``--no-sandbox``)."""
    value = (os.environ if environ is None else environ).get(ENV_MODE, "required").strip().lower()
    return value not in ("off", "0", "no", "false", "none")


def disable() -> None:
    """Grade without the sandbox from now on, in this process and the workers it starts (``--no-sandbox``)."""
    os.environ[ENV_MODE] = "off"


def require(allow_unsandboxed: bool = False) -> str:
    """Check before a batch that its submissions can be isolated; the line to print in autograde's output.

    Raises :class:`SandboxUnavailable` (with what to install) when they cannot and ``allow_unsandboxed`` is false.
    """
    if allow_unsandboxed or not enabled():
        return ("WARNING: grading WITHOUT a sandbox (--no-sandbox): student code runs with your rights, can read the "
                "hidden tests and reference solutions, change any of your files and use the network.")
    ok, reason = available()
    if not ok:
        raise SandboxUnavailable(f"Cannot isolate student code: {reason} {INSTALL_HELP}")
    return f"Sandbox: {reason}; no network, read-only files, limits: {Limits.from_env().describe()}."


# --------------------------------------------------------------------------------------------------------------------
# What the sandbox shows
# --------------------------------------------------------------------------------------------------------------------

#: The stub that replaces ``helpers/reference`` inside the sandbox: the hidden tests' ``solutions(...)`` then returns
#: proxies whose cases the grader checks outside (see helpers/checks.py and coursetools/integrity.py).
REFERENCE_STUB = '''"""Inside the grading sandbox the reference solutions are not available.

The grader checks the hidden cases itself, outside the sandbox, and tells this kernel only whether each passed.
"""
from helpers.checks import ReferenceUnavailable, _remote_solutions as solutions  # noqa: F401
'''

#: Run inside the sandbox, as root when the grader is root: apply the limits, drop to the sandbox's user, then exec
#: the kernel. It runs with ``python -I -S`` (no current directory or site-packages on sys.path), so nothing in the
#: submission's folder can take its place.
LAUNCHER = r"""
import json, os, resource, signal, sys
config = json.loads(sys.argv[1])
command = sys.argv[3:]
for name, (soft, hard) in config["rlimits"].items():
    resource.setrlimit(getattr(resource, name), (soft, hard))
if config.get("uid") is not None:
    os.setgroups([])
    os.setgid(config["gid"])
    os.setuid(config["uid"])
    if os.getuid() != config["uid"] or os.geteuid() != config["uid"]:
        sys.exit("sandbox: could not drop privileges")
os.umask(0o022)
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(command[0], command)
"""

#: The kernel itself: import numpy and the course's checks (which capture what they rely on) before any student code
#: can run, then start ipykernel as ``python -m ipykernel_launcher`` would.
KERNEL_BOOT = (
    "import sys; import numpy, helpers, helpers.checks, helpers.reference; "
    "from ipykernel import kernelapp as app; app.launch_new_instance()"
)

#: Environment variables the kernel inherits from the grader (all others are dropped: tokens, passwords, proxies).
PASSED_ENV = ("NBGRADER_EXECUTION", "LANG", "LC_ALL", "TZ", "MPLBACKEND", "JPY_SESSION_NAME", "PYDEVD_DISABLE_FILE_VALIDATION")
PASSED_ENV_PREFIXES = ("COURSE_TEST_",)


def _resolved(path: Path | str) -> Path:
    return Path(os.path.realpath(path))


def _is_within(path: Path, parent: Path) -> bool:
    try:
        path.relative_to(parent)
        return True
    except ValueError:
        return False


def cache_dir() -> Path:
    """Where the grader keeps what must never be visible to students (recorded hidden cases): hidden in the sandbox."""
    base = os.environ.get("COURSETOOLS_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "coursetools")
    return Path(base)


#: The system folders shown read-only (symlinks such as /bin -> usr/bin are recreated as symlinks).
SYSTEM_DIRS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


def _env_paths(name: str) -> tuple[Path, ...]:
    return tuple(Path(p) for p in os.environ.get(name, "").split(os.pathsep) if p)


@dataclass
class SandboxSpec:
    """Everything that decides what a sandboxed kernel sees; :meth:`bwrap_args` turns it into bubblewrap's options.

    The sandbox's file system is built from nothing (an allow list), not by hiding things from the real one: the
    system folders (:data:`SYSTEM_DIRS`), Python and its environment, the repository's ``helpers/`` (with the stub
    over ``helpers/reference``) and ``img/``, read-only; a private ``/tmp``; the submission's folder, writable.
    Everything else (homes, the repository's ``source/``, ``.git`` and gradebook, every course folder with other
    students' work, ``/run``, ``/var``, ``/srv``, mounted disks) does not exist in there.
    """

    workdir: Path
    runtime_dir: Path                       # private to this kernel: ipc/ is bound in, reference/ is the stub
    limits: Limits = field(default_factory=Limits)
    repository: Path = settings.ROOT
    show: tuple[Path, ...] = ()             # more folders to show read-only (COURSETOOLS_SANDBOX_SHOW)
    hide: tuple[Path, ...] = ()             # folders or files inside shown ones to hide (COURSETOOLS_SANDBOX_HIDE)
    uid: int | None = None                  # the user the kernel runs as, when the grader is root
    bwrap: str = "bwrap"

    @property
    def ipc_dir(self) -> Path:
        return self.runtime_dir / "ipc"

    @property
    def stub_dir(self) -> Path:
        return self.runtime_dir / "reference"

    def shown(self) -> list[Path]:
        """The folders shown read-only besides the system ones: Python, the helpers, images, extras."""
        repo = _resolved(self.repository)
        paths = [_resolved(p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}]
        paths += [repo / "helpers", repo / "img"]
        paths += [_resolved(p) for p in (*self.show, *_env_paths("COURSETOOLS_SANDBOX_SHOW"))]
        system = [Path(d) for d in SYSTEM_DIRS if os.path.isdir(d) and not os.path.islink(d)]
        result: list[Path] = []
        for path in sorted({p for p in paths if p.exists()}, key=lambda p: len(p.parts)):
            if not any(_is_within(path, s) for s in [*system, *result]):
                result.append(path)
        return result

    def hidden(self) -> list[Path]:
        """What is hidden inside the shown folders: the grader's cache and anything asked for."""
        paths = [cache_dir(), *(_resolved(p) for p in (*self.hide, *_env_paths("COURSETOOLS_SANDBOX_HIDE")))]
        shown = self.shown() + [Path(d) for d in SYSTEM_DIRS]
        return [p for p in paths if p.exists() and any(_is_within(p, s) for s in shown)]

    def bwrap_args(self) -> list[str]:
        workdir, ipc = _resolved(self.workdir), _resolved(self.ipc_dir)
        args = [self.bwrap, "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net", "--unshare-ipc",
                "--unshare-uts", "--hostname", "sandbox", "--unshare-cgroup-try"]
        for name in SYSTEM_DIRS:
            if os.path.islink(name):
                args += ["--symlink", os.readlink(name), name]
            elif os.path.isdir(name):
                args += ["--ro-bind", name, name]
        args += ["--dev", "/dev", "--proc", "/proc", "--perms", "1777", "--size", str(self.limits.tmp_bytes),
                 "--tmpfs", "/tmp", "--perms", "1777", "--size", str(64 * MiB), "--tmpfs", "/dev/shm"]
        shown = self.shown()
        readonly = [Path(d) for d in SYSTEM_DIRS if os.path.isdir(d) and not os.path.islink(d)] + shown
        made: set[Path] = set()

        def mount_point(path: Path) -> list[str]:
            # bubblewrap would create missing mount points as root-only folders: make them traversable first.
            extra = []
            for ancestor in reversed(path.parents):
                if ancestor in (Path("/"), Path("/tmp")) or ancestor in made:
                    continue
                if any(_is_within(ancestor, r) for r in readonly):
                    continue
                made.add(ancestor)
                extra += ["--perms", "0755", "--dir", str(ancestor)]
            return extra

        for path in shown:
            args += mount_point(path) + ["--ro-bind", str(path), str(path)]
        repo = _resolved(self.repository)
        args += ["--ro-bind", str(self.stub_dir), str(repo / "helpers" / "reference")]
        for path in self.hidden():
            args += (["--perms", "0755", "--tmpfs", str(path)] if path.is_dir() else ["--ro-bind", "/dev/null", str(path)])
        args += mount_point(ipc) + ["--bind", str(ipc), str(ipc)]
        args += mount_point(workdir) + ["--bind", str(workdir), str(workdir), "--chdir", str(workdir)]
        return args

    def rlimits(self) -> dict[str, tuple[int, int]]:
        lim = self.limits
        return {
            "RLIMIT_CPU": (lim.cpu_seconds, lim.cpu_seconds + 5),
            "RLIMIT_AS": (lim.memory_bytes, lim.memory_bytes),
            "RLIMIT_NPROC": (lim.processes, lim.processes),
            "RLIMIT_FSIZE": (lim.file_bytes, lim.file_bytes),
            "RLIMIT_NOFILE": (lim.open_files, lim.open_files),
            "RLIMIT_CORE": (0, 0),
        }

    def environment(self, launch_env: dict | None) -> dict[str, str]:
        launch_env = dict(os.environ if launch_env is None else launch_env)
        env = {k: v for k, v in launch_env.items() if k in PASSED_ENV or k.startswith(PASSED_ENV_PREFIXES)}
        python_bin = str(Path(sys.executable).parent)
        env.update({
            "PATH": f"{python_bin}:/usr/local/bin:/usr/bin:/bin",
            "HOME": "/tmp",
            "TMPDIR": "/tmp",
            "IPYTHONDIR": "/tmp/.ipython",
            "MPLCONFIGDIR": "/tmp/.matplotlib",
            "XDG_CACHE_HOME": "/tmp/.cache",
            "JUPYTER_RUNTIME_DIR": "/tmp/.jupyter-runtime",
            "PYTHONDONTWRITEBYTECODE": "1",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            ENV_GRADER_SOCKET: str(_resolved(self.ipc_dir) / "grader.sock"),
        })
        env.setdefault("LANG", "C.UTF-8")
        return env

    def command(self, kernel_argv: list[str], launch_env: dict | None = None) -> list[str]:
        """The full command: bubblewrap, then the launcher (limits, user), then the kernel."""
        python = kernel_argv[0]
        args = self.bwrap_args() + ["--clearenv"]
        for key, value in sorted(self.environment(launch_env).items()):
            args += ["--setenv", key, value]
        config = {"rlimits": self.rlimits(), "uid": self.uid, "gid": self.uid}
        return args + ["--", python, "-I", "-S", "-c", LAUNCHER, json.dumps(config), "--", *kernel_argv]


def kernel_argv(argv: list[str]) -> list[str]:
    """The kernelspec's command with ``-m ipykernel_launcher`` replaced by the boot code (isolated mode)."""
    argv = list(argv)
    if "-m" in argv:
        i = argv.index("-m")
        if i + 1 < len(argv) and argv[i + 1] in ("ipykernel_launcher", "ipykernel"):
            return argv[:i] + ["-I", "-c", KERNEL_BOOT] + argv[i + 2:]
    return argv


def _sandbox_uid() -> int:
    """A user id no account uses, different for each kernel: its process limit then counts this kernel alone."""
    return 1_600_000_000 + random.SystemRandom().randrange(100_000_000)


def _chown_tree(path: Path, uid: int) -> None:
    for root, dirs, files in os.walk(path):
        os.lchown(root, uid, uid)
        for name in dirs + files:
            os.lchown(os.path.join(root, name), uid, uid)


# --------------------------------------------------------------------------------------------------------------------
# Output budget: the grader keeps at most ``output_bytes`` of a notebook's outputs
# --------------------------------------------------------------------------------------------------------------------

OUTPUT_MESSAGES = ("stream", "display_data", "execute_result", "update_display_data", "error", "comm_open", "comm_msg")
MAX_TRACEBACK_CHARS = 20_000


def _content_size(content: dict) -> int:
    size = 0
    for value in content.values():
        if isinstance(value, str):
            size += len(value)
        elif isinstance(value, (list, tuple)):
            size += sum(len(v) if isinstance(v, str) else 64 for v in value)
        elif isinstance(value, dict):
            size += _content_size(value)
        else:
            size += 16
    return size


class OutputBudget:
    """Caps what the grader keeps of a kernel's output, whatever the kernel sends.

    Below the cap every message passes. Past it: stdout, displays and widget messages are dropped (one notice says
    so); stderr survives as a one-line marker per cell (nbgrader scores a test cell that wrote to stderr 0, and that
    must not change); errors always pass, their traceback cut to its end. Status messages are never touched.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0
        self.exceeded = False
        self.dropped = 0
        self._stderr_marked: set[str] = set()

    def filter(self, msg: dict) -> dict | None:
        kind = msg.get("header", {}).get("msg_type")
        if kind not in OUTPUT_MESSAGES:
            return msg
        content = msg.get("content") or {}
        if kind == "error":
            traceback = content.get("traceback") or []
            if sum(len(line) for line in traceback) > MAX_TRACEBACK_CHARS:
                kept, total = [], 0
                for line in reversed(traceback):
                    total += len(line)
                    if total > MAX_TRACEBACK_CHARS:
                        break
                    kept.append(line)
                content["traceback"] = ["[traceback cut by the grader]"] + kept[::-1]
            content["evalue"] = str(content.get("evalue", ""))[:MAX_TRACEBACK_CHARS]
            return msg
        self.used += _content_size(content)
        if self.used <= self.limit:
            return msg
        parent = msg.get("parent_header", {}).get("msg_id", "")
        if not self.exceeded:
            self.exceeded = True
            self.dropped += 1
            msg["header"]["msg_type"] = msg["msg_type"] = "stream"
            msg["content"] = {"name": "stdout", "text": (
                f"\n[grader: this notebook printed more than the output limit of {self.limit:,} bytes; "
                "the rest of its output is discarded]\n")}
            if kind == "stream" and content.get("name") == "stderr":
                msg["content"]["name"] = "stderr"
                self._stderr_marked.add(parent)
            return msg
        if kind == "stream" and content.get("name") == "stderr" and parent not in self._stderr_marked:
            self._stderr_marked.add(parent)
            content["text"] = "[stderr output discarded: output limit]\n"
            return msg
        self.dropped += 1
        return None


class _BudgetedIOPubChannel(AsyncZMQSocketChannel):
    budget: OutputBudget | None = None

    async def get_msg(self, timeout: float | None = None) -> dict:  # type: ignore[override]
        msg = await super().get_msg(timeout=timeout)
        if self.budget is None:
            return msg
        kept = self.budget.filter(msg)
        if kept is not None:
            return kept
        # Dropped: hand on a message every client ignores (its callers were told a message is ready).
        msg["header"]["msg_type"] = msg["msg_type"] = "execute_input"
        msg["content"] = {"code": ""}
        return msg


class SandboxedKernelClient(AsyncKernelClient):
    """The grader's side of the connection: caps the output kept and the size of any single message."""

    iopub_channel_class = Type(_BudgetedIOPubChannel)  # type: ignore[assignment]
    max_message_bytes = 256 * MiB

    def execute(self, code: str, *args, **kwargs):  # type: ignore[override]
        # The grader's own record of which cell runs: the reference solutions answer only hidden-test cells.
        parent = self.parent
        if isinstance(parent, SandboxedKernelManager):
            parent.current_code = code
        return super().execute(code, *args, **kwargs)

    @property
    def iopub_channel(self):  # type: ignore[override]
        channel = super().iopub_channel
        parent = self.parent
        if getattr(channel, "budget", None) is None and isinstance(parent, SandboxedKernelManager):
            channel.budget = parent.output_budget
        return channel

    def _create_connected_socket(self, channel: str, identity: bytes | None = None):  # type: ignore[override]
        from jupyter_client.connect import channel_socket_types

        sock = self.context.socket(channel_socket_types[channel])
        sock.linger = 1000
        # A message larger than this drops the connection instead of filling the grader's memory.
        sock.setsockopt(zmq.MAXMSGSIZE, self.max_message_bytes)
        if identity:
            sock.identity = identity
        if self.curve_publickey is not None:
            sock.curve_secretkey = self.curve_secretkey
            sock.curve_publickey = self.curve_publickey
            sock.curve_serverkey = self.curve_publickey
        sock.connect(self._make_url(channel))
        return sock


# --------------------------------------------------------------------------------------------------------------------
# The kernel manager
# --------------------------------------------------------------------------------------------------------------------

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
    shutil.rmtree(path, ignore_errors=True)


class SandboxedKernelManager(AsyncKernelManager):
    """An :class:`~jupyter_client.manager.AsyncKernelManager` whose kernel runs inside bubblewrap.

    Start it like any kernel manager, with ``cwd`` the submission's working copy (``workdir``). The kernel talks
    over Unix sockets in a private folder; interrupts travel as messages (a signal would hit bubblewrap, not the
    kernel); :attr:`output_budget` caps the output kept; :meth:`sandbox_report` says afterwards which limits
    stopped it and what the grader's own check of the hidden cases found.
    """

    client_class = "coursetools.sandbox.SandboxedKernelClient"  # type: ignore[assignment]
    client_factory = Type(klass="jupyter_client.asynchronous.AsyncKernelClient")  # type: ignore[assignment]

    def __init__(self, workdir: Path | str, limits: Limits | None = None, hide: tuple[Path, ...] = (),
                 show: tuple[Path, ...] = (), bwrap: str | None = None, **kwargs):
        kwargs.setdefault("kernel_name", KERNEL_NAME)
        super().__init__(**kwargs)
        self.client_factory = SandboxedKernelClient
        self.workdir = Path(workdir)
        self.limits = limits or Limits.from_env()
        self.extra_hide = tuple(Path(p) for p in hide)
        self.extra_show = tuple(Path(p) for p in show)
        self.bwrap = bwrap or bwrap_path() or "bwrap"
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
        self.attestation = None
        self.current_code: str | None = None
        self._log = None
        self.log_tail = ""

    # -- what the kernel sees -----------------------------------------------------------------------------------
    def spec(self) -> SandboxSpec:
        return SandboxSpec(workdir=self.workdir, runtime_dir=self.runtime_dir, limits=self.limits,
                           show=self.extra_show, hide=self.extra_hide, uid=self.sandbox_uid, bwrap=self.bwrap)

    @property
    def kernel_spec(self):  # type: ignore[override]
        spec = super().kernel_spec
        if spec is not None:
            spec.interrupt_mode = "message"
        return spec

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        argv = kernel_argv(super().format_kernel_cmd(extra_arguments))
        launch_env = self._launch_args.get("env") if isinstance(self._launch_args, dict) else None
        return self.spec().command(argv, launch_env)

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
        from .integrity import AttestationServer

        self.attestation = AttestationServer(self.runtime_dir / "ipc" / "grader.sock", uid=self.sandbox_uid,
                                             current_code=lambda: self.current_code)
        self.attestation.start()
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:  # type: ignore[override]
        await super()._async_launch_kernel(kernel_cmd, **kw)
        self._process = getattr(self.provisioner, "process", None)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:  # type: ignore[override]
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            if self.attestation is not None:
                self.attestation.stop()
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
        """What the sandbox saw: how the kernel ended, the limits it hit, and the grader's verdicts on hidden cases."""
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
            "limits": asdict(self.limits),
            "attestation": self.attestation.report() if self.attestation is not None else None,
        }


def kernel_manager(workdir: Path, *, sandbox: bool | None = None, limits: Limits | None = None,
                   hide: tuple[Path, ...] = ()) -> AsyncKernelManager:
    """An unstarted kernel manager for one submission, sandboxed unless the instructor turned the sandbox off.

    Raises :class:`SandboxUnavailable` when the sandbox is wanted but cannot work here: never falls back silently.
    """
    if sandbox is None:
        sandbox = enabled()
    if not sandbox:
        return AsyncKernelManager(kernel_name=KERNEL_NAME)
    ok, reason = available()
    if not ok:
        raise SandboxUnavailable(f"Cannot isolate student code: {reason} {INSTALL_HELP}")
    return SandboxedKernelManager(workdir, limits=limits, hide=hide)


def report(km) -> dict:
    """:meth:`SandboxedKernelManager.sandbox_report` for any kernel manager (``{"sandboxed": False}`` otherwise)."""
    if isinstance(km, SandboxedKernelManager):
        return km.sandbox_report()
    return {"sandboxed": False, "events": [], "attestation": None}
