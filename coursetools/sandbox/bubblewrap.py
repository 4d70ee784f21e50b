"""bubblewrap: whether it works on this machine, and the command that starts a kernel inside it.

The sandbox's file system is built from an allow list, not by hiding things from the real one: the system folders,
Python and its environment, the repository's ``helpers/`` (with ``helpers/reference`` swapped for a stub that knows
no solution) and ``img/``, read-only; a private ``/tmp``; the submission's working copy, writable. The repository's
``source/``, ``.git``, ``tests/`` and gradebook, every course folder (other students' work), home folders, ``/run``,
``/var`` and the grader's caches do not exist in there. See :class:`SandboxSpec`.
"""

from __future__ import annotations

import functools
import json
import os
import random
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..course import settings
from .limits import Limits, MiB

INSTALL_HELP = (
    "Install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; Fedora: `sudo dnf install bubblewrap`). "
    "It needs user namespaces when not run as root: if it is installed but fails, check "
    "`sysctl kernel.unprivileged_userns_clone` (Debian) or Ubuntu's AppArmor restriction "
    "(`sysctl kernel.apparmor_restrict_unprivileged_userns`). To grade WITHOUT isolation anyway (student code then "
    "runs with your rights, can read the hidden tests and solutions, and can reach the network), pass --no-sandbox."
)

#: Where the kernel finds the grader's socket for the hidden checks (set inside the sandbox only).
ENV_GRADER_SOCKET = "COURSE_GRADER_SOCKET"


class SandboxUnavailable(RuntimeError):
    """Submissions cannot be isolated on this machine; the message says why and what to do."""


def bwrap_path(bwrap: str | None = None) -> str | None:
    """The bubblewrap binary: ``bwrap`` if given, else ``bwrap`` on PATH (None when there is none)."""
    return bwrap or shutil.which("bwrap")


@functools.cache
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
                       f"({detail[-1] if detail else f'exit code {result.returncode}'}).")
    try:
        version = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        version = "bubblewrap"
    return True, f"{version or 'bubblewrap'} ({bwrap})"


def available(bwrap: str | None = None) -> tuple[bool, str]:
    """Whether submissions can be sandboxed here, and why (or why not): ``(True, "bubblewrap 0.8.0 (/usr/bin/bwrap)")``."""
    return _probe(bwrap_path(bwrap))


#: The stub that replaces ``helpers/reference`` inside the sandbox: the hidden tests' ``solutions(...)`` then returns
#: proxies whose cases the grader checks outside (see helpers/checks/_grader.py and coursetools/integrity/).
REFERENCE_STUB = '''"""Inside the grading sandbox the reference solutions are not available.

The grader checks the hidden cases itself, outside the sandbox, and tells this kernel only whether each passed.
"""
from helpers.checks import ReferenceUnavailable  # noqa: F401
from helpers.checks._grader import remote_solutions as solutions  # noqa: F401
'''

#: Run inside the sandbox, as root when the grader is root: apply the limits, drop to the sandbox's user, then exec
#: the kernel. It runs with ``python -I -S`` (no current directory or site-packages on sys.path), so nothing in the
#: submission's folder can take its place.
LAUNCHER = r"""
import json, os, resource, signal, sys
config = json.loads(sys.argv[1])
command = sys.argv[3:]
for path, text in config.get("files", {}).items():
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        if config.get("uid") is not None:
            os.chown(os.path.dirname(path), config["uid"], config["gid"])
            os.chown(path, config["uid"], config["gid"])
    except OSError:
        pass
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
#: can run, then start ipykernel as ``python -m ipykernel_launcher`` would. ipykernel's debugger is never used in a
#: grading kernel, yet importing debugpy for it costs every kernel about 0.2 CPU-s: it is made unimportable, which
#: ipykernel takes as "no debugger" (the kernel's info says ``debugger: false``).
KERNEL_BOOT = (
    "import sys; sys.modules['debugpy'] = None; import numpy, helpers, helpers.checks, helpers.reference; "
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


#: The system folders shown read-only (symlinks such as /bin -> usr/bin are recreated as symlinks).
SYSTEM_DIRS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


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
    show: tuple[Path, ...] = ()             # more folders to show read-only
    hide: tuple[Path, ...] = ()             # folders or files inside shown ones to hide
    uid: int | None = None                  # the user the kernel runs as, when the grader is root
    bwrap: str = "bwrap"
    files: dict[str, str] = field(default_factory=dict)  # written into the private /tmp before the kernel starts

    @property
    def ipc_dir(self) -> Path:
        return self.runtime_dir / "ipc"

    @property
    def stub_dir(self) -> Path:
        return self.runtime_dir / "reference"

    @property
    def helpers(self) -> Path:
        """The repository's helpers, shown read-only."""
        return _resolved(self.repository) / "helpers"

    @property
    def stubbed(self) -> Path:
        """The folder of the helpers that the stub (:attr:`stub_dir`) replaces: the reference solutions."""
        return self.helpers / "reference"

    def shown(self) -> list[Path]:
        """The folders shown read-only besides the system ones: Python, the helpers, images, extras."""
        repo = _resolved(self.repository)
        paths = [_resolved(p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}]
        paths += [self.helpers, repo / "img"]
        paths += [_resolved(p) for p in self.show]
        system = [Path(d) for d in SYSTEM_DIRS if os.path.isdir(d) and not os.path.islink(d)]
        result: list[Path] = []
        for path in sorted({p for p in paths if p.exists()}, key=lambda p: len(p.parts)):
            if not any(_is_within(path, s) for s in [*system, *result]):
                result.append(path)
        return result

    def aliases(self) -> list[tuple[Path, Path]]:
        """(real folder, the path it is reached by) for Python's folders reached through a symbolic link.

        The kernel is started as ``<prefix>/bin/python``, the path the grader runs from: with ``.venv`` a link to
        an environment elsewhere, that path exists in the sandbox only if the real folder is shown there too. Python
        finds its environment from that path (``pyvenv.cfg`` next to ``bin/``), so the link is not resolved away:
        the real folder is shown, read-only, at both places.
        """
        apparent = {Path(os.path.abspath(p)) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
        apparent.add(Path(os.path.abspath(sys.executable)).parent.parent)
        apparent.add(Path(os.path.abspath(self.repository)))
        pairs: list[tuple[Path, Path]] = []
        for path in sorted(apparent, key=lambda p: len(p.parts)):
            real = _resolved(path)
            if real != path and real.is_dir() and not any(_is_within(path, a) for _, a in pairs):
                pairs.append((real, path))
        return pairs

    def hidden(self) -> list[Path]:
        """What is hidden inside the shown folders: the grader's cache and anything asked for."""
        paths = [settings.cache_dir(), *(_resolved(p) for p in self.hide)]
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
        for real, path in self.aliases():
            if any(_is_within(path, r) for r in readonly):
                continue  # the link itself is in a folder shown as it is: it resolves in there too
            if real == _resolved(self.repository):
                for part in ("helpers", "img"):
                    if (real / part).is_dir():
                        args += mount_point(path / part) + ["--ro-bind", str(real / part), str(path / part)]
                args += ["--ro-bind", str(self.stub_dir), str(path / "helpers" / "reference")]
            elif any(_is_within(real, s) for s in shown + readonly):
                args += mount_point(path) + ["--ro-bind", str(real), str(path)]
        args += ["--ro-bind", str(self.stub_dir), str(self.stubbed)]
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

    def allowed_files(self) -> dict[str, str]:
        """The files written into the private ``/tmp`` before the kernel starts (only there, no ``..``)."""
        return {path: text for path, text in self.files.items() if path.startswith("/tmp/") and ".." not in path}

    def command(self, kernel_argv: list[str], launch_env: dict | None = None) -> list[str]:
        """The full command: bubblewrap, then the launcher (limits, user), then the kernel."""
        python = kernel_argv[0]
        args = self.bwrap_args() + ["--clearenv"]
        for key, value in sorted(self.environment(launch_env).items()):
            args += ["--setenv", key, value]
        config = {"rlimits": self.rlimits(), "uid": self.uid, "gid": self.uid, "files": self.allowed_files()}
        return args + ["--", python, "-I", "-S", "-c", LAUNCHER, json.dumps(config), "--", *kernel_argv]

    def placeholder_command(self, placeholder: list[str]) -> list[str]:
        """The same sandbox around ``placeholder``, the process a warm kernel joins (see :mod:`.warm`)."""
        return self.bwrap_args() + ["--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--", *placeholder]


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


