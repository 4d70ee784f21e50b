"""The warm template of sandboxed kernels: a Python that has imported the kernel's libraries and forks kernels.

Run by :mod:`coursetools.sandbox.warm` (``python -I _template.py``), one per grading process, outside any sandbox,
with the sandbox's clean environment. It imports numpy and ipykernel (about 0.4 CPU-s that every kernel would
otherwise spend), then reads requests, one JSON object a line on stdin: "fork a kernel into the sandbox whose
process is ``target``". bubblewrap has already built that sandbox, exactly as for a kernel started cold; the
template's child joins its namespaces (user, IPC, UTS, network, cgroup, PID, mount: the mount namespace last,
which also makes the sandbox's root its root), and forks the kernel there. The kernel applies the sandbox's
limits, drops to the sandbox's user (or drops every capability), proves that it holds none, closes every file it
inherited, and only then imports the course's helpers and starts ipykernel.

The template runs only this file's code, the libraries' imports and, on the first request, ipykernel's parse of
the kernels' command line (the course's arguments, see :func:`parse_kernel_arguments`): no student code, no
submission, no student's name (requests carry paths of random names) ever reaches it, so nothing passes from one
kernel to the next. It uses only the standard library besides what it preloads, and is not imported by anything.
"""

import ctypes
import fcntl
import importlib
import json
import os
import resource
import signal
import sys

#: ioctl on a namespace file: the user namespace that owns it (its parent).
NS_GET_PARENT = 0xB702
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 24, 38
LINUX_CAPABILITY_VERSION_3 = 0x20080522
#: The namespaces a kernel joins after the user namespace(s); the mount namespace last (it changes the root).
NAMESPACES = ("ipc", "uts", "net", "cgroup", "pid", "mnt")
#: A kernel that finds itself with any privilege left exits with this code before running anything.
EXIT_PRIVILEGED = 70

#: What ipykernel imports while it starts (``IPKernelApp.initialize``), found by comparing ``sys.modules`` before
#: and after: ipykernel's set-up fell from 0.07 to 0.05 CPU-s. Imports only: nothing here is run or configured.
KERNEL_START_MODULES = (
    "IPython.core.completerlib", "IPython.core.debugger", "IPython.core.oinspect", "IPython.extensions.storemagic",
    "IPython.utils.wildcard", "ipykernel.debugger", "faulthandler", "pdb", "psutil", "sqlite3", "tornado.gen",
    "tornado.locks", "tornado.platform.asyncio", "tornado.queues",
)
#: The libraries the course's helpers import (numpy's lazily loaded random and testing, and ``secrets``), found
#: the same way: the kernel's own import of the helpers fell from about 0.025 to 0.012 CPU-s. Library code only;
#: the helpers themselves are imported by each kernel (see :func:`preload`). A test keeps this list complete.
HELPER_LIBRARIES = ("numpy.random", "numpy.testing", "secrets")

libc = ctypes.CDLL(None, use_errno=True)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def preload(pyplot: bool) -> None:
    """What every kernel imports before its first cell (see bubblewrap.KERNEL_BOOT), minus the course's helpers,
    and pyplot, which every course notebook imports (its backend is loaded only when a figure is drawn).

    The helpers are imported by each kernel inside its sandbox: they read the kernel's own environment (its grader
    socket) and must see the sandbox's stub of ``helpers/reference``, never the solutions.
    """
    sys.modules["debugpy"] = None  # type: ignore[assignment]  # as in KERNEL_BOOT: no debugger in a grading kernel
    import numpy  # noqa: F401
    from ipykernel import ipkernel, kernelapp, zmqshell  # noqa: F401

    for module in KERNEL_START_MODULES + HELPER_LIBRARIES:
        importlib.import_module(module)

    if pyplot:
        import matplotlib.pyplot  # noqa: F401


def _without_connection_file(argv: list[str]) -> tuple[list[str], str] | None:
    """A kernel's command line split into (the rest, its connection file), or None unless ``-f`` is there once."""
    if argv.count("-f") != 1:
        return None
    i = argv.index("-f")
    if i + 1 >= len(argv):
        return None
    return argv[:i] + argv[i + 2:], argv[i + 1]


#: The kernel command line the template has parsed (see :func:`parse_kernel_arguments`), without its ``-f``.
_parsed: list[str] | None = None


def parse_kernel_arguments(argv: list[str]) -> None:
    """Parse a kernel's command line (all but its connection file) into ipykernel's application, here, once.

    Every kernel would parse the same arguments (traitlets builds a parser of all its classes' options: 5 ms of a
    kernel's 33 ms start-up). Parsing is configuration only: it reads no file, opens no socket, starts no thread,
    and the arguments are the course's, never a student's. A kernel with other arguments parses its own.
    """
    global _parsed
    split = _without_connection_file(argv)
    if _parsed is not None or split is None:
        return
    from ipykernel.kernelapp import IPKernelApp

    try:
        IPKernelApp.instance().parse_command_line(split[0])
        _parsed = split[0]
    except Exception:  # noqa: BLE001 - then each kernel parses its command line itself, as it would cold
        IPKernelApp.clear_instance()


def kernel_app(argv: list[str]):
    """ipykernel's application for a kernel started with ``argv``, and what its ``initialize`` still has to parse:
    with the arguments the template parsed, nothing (only the connection file is set); with any others, all of
    ``argv``, in a fresh application, as ``ipykernel_launcher`` would."""
    from ipykernel.kernelapp import IPKernelApp
    from traitlets.config import Config

    split = _without_connection_file(argv)
    if _parsed is None or split is None or split[0] != _parsed:
        IPKernelApp.clear_instance()  # not the template's arguments: none of its parse stays
        return IPKernelApp.instance(), argv
    app = IPKernelApp.instance()
    app.update_config(Config({"IPKernelApp": {"connection_file": split[1]}}))
    app.parse_command_line = lambda argv=None: None  # type: ignore[method-assign]  # parsed in the template
    return app, []


def launch_kernel(argv: list[str]) -> None:
    """Start ipykernel with ``argv`` (in the kernel, in its sandbox); never returns while the kernel runs."""
    app, arguments = kernel_app(argv)
    app.initialize(arguments)
    app.start()


def _user_namespaces(target: int) -> list[int]:
    """Open files of the target's user namespace and its ancestors up to (not including) ours, outermost first."""
    ours = os.stat("/proc/self/ns/user").st_ino
    chain = [os.open(f"/proc/{target}/ns/user", os.O_RDONLY)]
    if os.fstat(chain[0]).st_ino == ours:
        os.close(chain[0])
        return []  # the grader is root: bubblewrap made no user namespace
    while True:
        try:
            parent = fcntl.ioctl(chain[-1], NS_GET_PARENT)
        except OSError:
            break
        if os.fstat(parent).st_ino == ours:
            os.close(parent)
            break
        chain.append(parent)
    return list(reversed(chain))


def join(target: int) -> bool:
    """Join every namespace of process ``target`` (a sandbox's); True if a user namespace was joined."""
    users = _user_namespaces(target)
    others = [(name, os.open(f"/proc/{target}/ns/{name}", os.O_RDONLY)) for name in NAMESPACES
              if os.path.exists(f"/proc/{target}/ns/{name}")]
    if users:
        # The outermost user namespace owns the sandbox's other namespaces; a nested one (bubblewrap's own, for
        # its uid mapping) is entered after them.
        _check(libc.setns(users[0], 0), "setns user")
    for name, fd in others:
        if os.readlink(f"/proc/self/fd/{fd}") != os.readlink(f"/proc/self/ns/{name}"):
            _check(libc.setns(fd, 0), f"setns {name}")
    for fd in users[1:]:
        _check(libc.setns(fd, 0), "setns user (nested)")
    for fd in users + [fd for _, fd in others]:
        os.close(fd)
    return bool(users)


def _drop_capabilities() -> None:
    for cap in range(64):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == 22:  # EINVAL: no such cap
            break
    data = (_CapData * 2)()
    _check(libc.capset(ctypes.byref(_CapHeader(LINUX_CAPABILITY_VERSION_3, 0)), data), "capset")


def _unprivileged() -> str | None:
    """Why this process still holds a privilege, or None."""
    status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
    for field in ("CapEff", "CapPrm", "CapAmb"):
        if int(status.get(field, "1").strip(), 16):
            return f"{field} is {status[field].strip()}"
    if status.get("NoNewPrivs", "0").strip() != "1":
        return "no_new_privs is not set"
    if os.getuid() == 0 or os.geteuid() == 0:
        return "it runs as root"
    return None


def kernel(request: dict, in_user_namespace: bool, log: int) -> None:
    """In the sandbox: limits, user, checks, then the kernel (never returns)."""
    os.setsid()
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])  # nothing of the outside stays open
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    for name, (soft, hard) in request["rlimits"].items():
        resource.setrlimit(getattr(resource, name), (soft, hard))
    uid = request.get("uid")
    if uid is not None and not in_user_namespace:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    else:
        _drop_capabilities()
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    why = _unprivileged()
    if why is not None:
        os.write(2, f"sandbox: the warm kernel is not unprivileged ({why}); it stops\n".encode())
        os._exit(EXIT_PRIVILEGED)
    for path, text in request.get("files", {}).items():
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        except OSError:
            pass
    os.umask(0o022)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    # A forked process keeps its parent's random state: every kernel draws its own.
    import random

    import numpy

    random.seed()
    numpy.random.seed()
    import helpers  # noqa: F401
    import helpers.checks  # noqa: F401
    import helpers.reference  # noqa: F401

    sys.argv = ["ipykernel_launcher", *request["argv"]]
    try:
        launch_kernel(request["argv"])
    finally:
        os._exit(0)


def child(request: dict, report: int) -> None:
    """Between the template and the kernel: join the sandbox, fork the kernel, wait for it, pass on its exit."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    # Opened for reading and writing, a FIFO never blocks: the sandbox's placeholder waits on it for the exit code.
    status_fifo = os.open(request["exit"], os.O_RDWR)
    in_user_namespace = join(request["target"])
    pid = os.fork()
    if pid == 0:
        try:
            kernel(request, in_user_namespace, log)
        except BaseException as error:  # noqa: BLE001 - before any student code: say why, stop
            os.write(2, f"sandbox: the warm kernel could not start: {type(error).__name__}: {error}\n".encode())
        os._exit(EXIT_PRIVILEGED)
    os.write(report, json.dumps({"pid": pid}).encode())
    os.close(report)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    os.write(status_fifo, f"{128 - code if code < 0 else code}\n".encode())
    os._exit(0)


def main() -> None:
    preload("--matplotlib" in sys.argv[1:])
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the template never waits for its children
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    for line in sys.stdin:
        request = json.loads(line)
        parse_kernel_arguments(request["argv"])
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            try:
                child(request, write)
            except BaseException as error:  # noqa: BLE001
                os.write(write, json.dumps({"error": f"{type(error).__name__}: {error}"}).encode())
            os._exit(1)
        os.close(write)
        reply = b""
        while chunk := os.read(read, 4096):
            reply += chunk
        os.close(read)
        sys.stdout.write((reply.decode() or json.dumps({"error": "the template's child ended without a word"}))
                         + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
