"""What the assignment benchmarks share: timing a fit, accuracy in percent, and a line describing the machine."""

from __future__ import annotations

import os
import platform
import time

import numpy as np


def best_time(fit, repeats: int):
    """The shortest wall-clock time of ``repeats`` calls of ``fit()`` (the machine may be shared), and the last
    call's result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fit()
        best = min(best, time.perf_counter() - start)
    return best, result


def accuracy(prediction, labels) -> float:
    """Percentage of equal entries, whatever the shapes ((1, m) or (m,))."""
    return 100.0 * float(np.mean(np.ravel(prediction) == np.ravel(labels)))


def machine() -> str:
    """Python, NumPy and scikit-learn versions, CPUs and load: what the figures were measured on."""
    import sklearn

    load = f", load average {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else ""
    return (f"Python {platform.python_version()}, NumPy {np.__version__}, scikit-learn {sklearn.__version__}; "
            f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs{load}")


# --- the CPU time of a command and everything it starts -------------------------------------------------------------
class TreeCpu:
    """The CPU-seconds of one command and of every process it starts, the killed ones included.

    A sandboxed kernel is killed with its bubblewrap, whose parent never waits for the kernel: its CPU time reaches
    no ``RUSAGE_CHILDREN``. A cgroup counts every process that ran in it, however it ended, so the command runs in
    one of its own when this process may make one (root, cgroup v1 ``cpuacct`` or cgroup v2); otherwise the figure
    is ``RUSAGE_CHILDREN``, and :attr:`source` says it is blind to killed kernels.
    """

    V1 = "/sys/fs/cgroup/cpuacct"
    V2 = "/sys/fs/cgroup"

    def __init__(self, label: str):
        self.path = None
        self.source = "rusage of children (killed sandboxes not counted)"
        name = f"bench-{os.getpid()}-{label}-{time.time_ns()}"
        for base, usage in ((self.V1, "cpuacct.usage"), (self.V2, "cpu.stat")):
            if os.path.isfile(os.path.join(base, usage)) and os.access(base, os.W_OK):
                try:
                    os.mkdir(os.path.join(base, name))
                except OSError:
                    continue
                self.path, self.usage = os.path.join(base, name), usage
                self.source = f"cgroup ({'v1 cpuacct' if base == self.V1 else 'v2'})"
                break

    def enter(self) -> None:
        """Called in the child before it runs the command (``preexec_fn``): join the cgroup."""
        if self.path:
            with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))

    def seconds(self) -> float | None:
        if not self.path:
            return None
        with open(os.path.join(self.path, self.usage)) as f:
            text = f.read()
        if self.usage == "cpuacct.usage":
            return int(text) / 1e9
        return int(dict(line.split() for line in text.splitlines())["usage_usec"]) / 1e6

    def close(self) -> None:
        """Remove the cgroup once its last process ended (killed sandboxes take a moment)."""
        if not self.path:
            return
        for _ in range(50):
            try:
                os.rmdir(self.path)
                return
            except OSError:
                time.sleep(0.1)


class PeakRss:
    """The largest resident set size of one process (the grader's client), sampled every ``interval`` seconds."""

    def __init__(self, pid: int, interval: float = 0.2):
        import threading

        import psutil

        self.peak = 0
        self._stop = threading.Event()

        def sample():
            try:
                process = psutil.Process(pid)
                while not self._stop.is_set():
                    self.peak = max(self.peak, process.memory_info().rss)
                    self._stop.wait(interval)
            except psutil.Error:
                pass

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes): beside every figure, since the machine may be shared."""
    return "/".join(f"{x:.1f}" for x in os.getloadavg())
